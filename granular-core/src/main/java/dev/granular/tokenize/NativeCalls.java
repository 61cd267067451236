package dev.granular.tokenize;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The calls in flight into a native handle, so that freeing it can never race with using it.
 * Every call runs between {@link #enter()} and {@link #exit()} (a shared read lock: calls run in
 * parallel); {@link #close(Runnable)} takes the lock exclusively, so it waits until the calls in
 * flight have returned, frees the handle once, and every later {@link #enter()} fails with an
 * {@link IllegalStateException} naming the resource instead of reaching freed memory.
 *
 * <pre>{@code
 * calls.enter();
 * try {
 *     return lib.encode(handle, text);
 * } finally {
 *     calls.exit();
 * }
 * }</pre>
 *
 * <p>Jobs still join their workers before closing (see {@link dev.granular.concurrent.WorkerPool});
 * this guard makes a job that forgets it fail with an exception, not a SIGSEGV.
 */
final class NativeCalls {
    private final String what;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Written under the write lock, read under the read lock. */
    private boolean closed;

    /** @param what the resource, for the message of a call after close, e.g. "tokenizer qwen3" */
    NativeCalls(String what) {
        this.what = what;
    }

    /** Starts a call. @throws IllegalStateException when the resource is closed */
    void enter() {
        lock.readLock().lock();
        if (closed) {
            lock.readLock().unlock();
            throw new IllegalStateException(what + " is closed: it was used after close()");
        }
    }

    /** Ends a call started by {@link #enter()}. */
    void exit() {
        lock.readLock().unlock();
    }

    /** Waits for the calls in flight, then runs {@code free} the first time only. */
    void close(Runnable free) {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                free.run();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether a {@link #close} is waiting for calls in flight (for tests). */
    boolean closeWaiting() {
        return lock.hasQueuedThreads();
    }
}
