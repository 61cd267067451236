package dev.granular.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs a job's rows on virtual threads, at most {@code size} at a time, and stops sending at the first failure.
 *
 * <p>Why it exists: every design that asks an LLM a request per row (generate, distill and its calibration,
 * self-correct's steps, eval) had its own copy of this loop, and the copies must agree on what a stop means for a
 * resumable run. Per row, in source order:
 * <ul>
 *   <li>a row already {@code done} (in the run's journal) is skipped: a resumed run sends only what is missing;</li>
 *   <li>once a task has failed, or {@link #stoppingWhen stopped} says so (the budget is spent, the client stopped),
 *       the row is not sent and {@link #countingNotSent notSent} runs for it, so the report counts every row that a
 *       rerun will send;</li>
 *   <li>otherwise the row waits for one of the {@code size} permits and runs on its own virtual thread, releasing
 *       the permit when it ends however it ends. The window bounds how many rows wait at the client at once; the
 *       client's own limiter decides how many requests are on the wire.</li>
 * </ul>
 * The stop is checked before a row waits for its permit, so a row that was waiting when a task failed is still
 * sent (the copies this replaces did the same). Every task submitted has ended when a run returns or throws. The
 * first {@link RuntimeException} a task throws (a full disk under the journal, a wrong key) is then rethrown; later
 * ones are dropped, and {@link #onFailure onFailure} sees each as it happens (generate stops its client there, so
 * rows in flight end at once). A task interrupted inside its work just ends, its interrupt restored on its thread:
 * the row stays out of the journal and a rerun sends it. Journals are written by the tasks, in whatever order they
 * end; the jobs order their outputs by the journal's row index, not by this.
 *
 * <p>Two flavours, because the callers' sources differ: {@link #run} takes an {@link Iterable} and waits for a permit
 * interruptibly (an interrupt of the submitting thread stops the submission, waits for the tasks in flight and
 * throws {@link InterruptedException}); {@link #runUninterruptibly} takes a push source (a reader's
 * {@code forEach}, whose consumer cannot throw) and waits for permits uninterruptibly, so an interrupt there is not
 * lost but left set on the thread (the executor's close then interrupts the tasks still running).
 */
public final class InFlightWindow {
    /** The work of one row; may block on the network. */
    @FunctionalInterface
    public interface Work<T> {
        void run(T item) throws InterruptedException;
    }

    private final int size;
    private final BooleanSupplier stopped;
    private final Runnable notSent;
    private final Consumer<RuntimeException> onFailure;

    private InFlightWindow(int size, BooleanSupplier stopped, Runnable notSent, Consumer<RuntimeException> onFailure) {
        if (size < 1) {
            throw new IllegalArgumentException("a window of " + size + " rows runs nothing");
        }
        this.size = size;
        this.stopped = stopped;
        this.notSent = notSent;
        this.onFailure = onFailure;
    }

    /** At most {@code size} rows in flight; no stop but a failure, nothing counted, nothing told. */
    public static InFlightWindow of(int size) {
        return new InFlightWindow(size, () -> false, () -> { }, e -> { });
    }

    /**
     * The window of the teacher jobs for a client of {@code concurrency} requests: twice that, at least 16, so that
     * the client always has rows waiting while its adaptive limit rises, and the rows waiting stay few.
     */
    public static InFlightWindow forConcurrency(int concurrency) {
        return of(Math.max(16, concurrency * 2));
    }

    /** Also stops sending once {@code stopped} is true (checked before each row); replaces an earlier stop. */
    public InFlightWindow stoppingWhen(BooleanSupplier stopped) {
        return new InFlightWindow(size, stopped, notSent, onFailure);
    }

    /**
     * Runs {@code notSent} for each row not sent because of a stop (not for rows already done); replaces an earlier
     * one.
     */
    public InFlightWindow countingNotSent(Runnable notSent) {
        return new InFlightWindow(size, stopped, notSent, onFailure);
    }

    /**
     * Tells {@code onFailure} of every task's failure, on the failing task's thread, once the first is kept;
     * replaces an earlier one.
     */
    public InFlightWindow onFailure(Consumer<RuntimeException> onFailure) {
        return new InFlightWindow(size, stopped, notSent, onFailure);
    }

    /**
     * Runs {@code work} for every item of {@code items} not {@code done}, as above.
     *
     * @throws InterruptedException the submitting thread was interrupted while waiting for a permit (the tasks
     *                              already submitted have ended)
     * @throws RuntimeException     the first failure of a task
     */
    public <T> void run(Iterable<? extends T> items, Predicate<? super T> done, Work<? super T> work)
            throws InterruptedException {
        Semaphore permits = new Semaphore(size);
        AtomicReference<RuntimeException> fatal = new AtomicReference<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (T item : items) {
                if (admit(item, done, fatal)) {
                    permits.acquire();
                    submit(pool, permits, fatal, item, work);
                }
            }
        }
        rethrow(fatal);
    }

    /**
     * Runs {@code work} for every item that {@code source} hands to the consumer it is given, in that order, not
     * {@code done}, as above; an interrupt while waiting for a permit is left set on the calling thread.
     *
     * @throws RuntimeException the first failure of a task, or what {@code source} throws
     */
    public <T> void runUninterruptibly(Consumer<Consumer<T>> source, Predicate<? super T> done, Work<? super T> work) {
        Semaphore permits = new Semaphore(size);
        AtomicReference<RuntimeException> fatal = new AtomicReference<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            source.accept(item -> {
                if (admit(item, done, fatal)) {
                    permits.acquireUninterruptibly();
                    submit(pool, permits, fatal, item, work);
                }
            });
        }
        rethrow(fatal);
    }

    /** Whether {@code item} is to be sent: not done, and nothing has stopped the run (else it counts as not sent). */
    private <T> boolean admit(T item, Predicate<? super T> done, AtomicReference<RuntimeException> fatal) {
        if (done.test(item)) {
            return false;
        }
        if (stopped.getAsBoolean() || fatal.get() != null) {
            notSent.run();
            return false;
        }
        return true;
    }

    private <T> void submit(ExecutorService pool, Semaphore permits, AtomicReference<RuntimeException> fatal, T item,
                            Work<? super T> work) {
        pool.submit(() -> {
            try {
                work.run(item);
            } catch (RuntimeException e) {
                fatal.compareAndSet(null, e);
                onFailure.accept(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                permits.release();
            }
        });
    }

    private static void rethrow(AtomicReference<RuntimeException> fatal) {
        if (fatal.get() != null) {
            throw fatal.get();
        }
    }
}
