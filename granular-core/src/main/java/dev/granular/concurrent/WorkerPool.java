package dev.granular.concurrent;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Worker threads that are all gone when {@link #close()} returns: queued tasks are dropped and
 * running ones waited for. A job opens its pool inside the try-with-resources
 * of what the workers use (a tokenizer, a cache), so that on any failure the workers stop before
 * those are closed:
 *
 * <pre>{@code
 * try (Tokenizer tok = Tokenizers.load(spec); WorkerPool pool = WorkerPool.platform(4, "granular-export")) {
 *     ... pool.submit(() -> tok.encode(text)) ...
 * }   // pool closed (workers joined) first, then the tokenizer
 * }</pre>
 *
 * <p>{@code ExecutorService.shutdownNow()} alone returns while tasks still run: a native call
 * (the Rust tokenizer) cannot be interrupted, and a handle freed under it crashes the JVM. The
 * JDK's {@code ExecutorService.close()} joins, but first runs every queued task to the end.
 */
public final class WorkerPool implements AutoCloseable {
    private final ExecutorService executor;
    private final boolean interrupt;

    private WorkerPool(ExecutorService executor, boolean interrupt) {
        this.executor = executor;
        this.interrupt = interrupt;
    }

    /** {@code threads} daemon platform threads named {@code name}; close interrupts the running tasks. */
    public static WorkerPool platform(int threads, String name) {
        return new WorkerPool(Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }), true);
    }

    /**
     * A virtual thread per task, for tasks that mostly wait (teacher calls). Every task submitted
     * is already running, and close lets each finish uninterrupted: a teacher call in flight is
     * paid for, and its reply, once in the response cache, serves the rerun.
     */
    public static WorkerPool virtual() {
        return new WorkerPool(Executors.newVirtualThreadPerTaskExecutor(), false);
    }

    public <T> Future<T> submit(Callable<T> task) {
        return executor.submit(task);
    }

    /**
     * Drops the queued tasks, interrupts the running ones (platform pools) and waits until every worker has
     * returned, however long that takes: an interrupt of the calling thread does not cut the
     * wait short (it is restored afterwards), since returning early is what lets a caller free
     * a resource that a worker still uses.
     */
    @Override
    public void close() {
        if (interrupt) {
            executor.shutdownNow();
        } else {
            executor.shutdown();
        }
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.DAYS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
