package dev.granular.teacher.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many requests may be in flight at once, adapted to the server with AIMD (additive increase,
 * multiplicative decrease), as TCP does with its window.
 *
 * <p><b>Start.</b> The limit starts at the configured maximum unless a lower initial value is given.
 * Overload is cheap to detect (a 429 or 503 comes back fast) and halving reaches a sustainable level
 * within log2(max) steps, whereas growing from 1 at +1 per limit successes would need about max²/2
 * successes to saturate a server that could take everything from the start (a local vLLM usually can).
 *
 * <p><b>Decrease once per window.</b> A limit of 64 puts 64 requests on the wire; when the server is
 * overloaded they may all fail together. Each permit remembers how many decreases had happened when it
 * was acquired, and an overload signal decreases the limit only if no decrease has happened since: a
 * request that started before the last cut was sent under the old, higher limit, and its failure is
 * already answered. So a burst of 300 simultaneous 429s halves the limit once, while overloads of
 * requests sent under the new limit cut it again. The window needs no clock, so it is exact in tests.
 *
 * <p><b>Increase.</b> +1 per {@code limit} successes (one "round trip" of the whole window), counted
 * exactly rather than as {@code 1/limit} fractions, which would compound to slightly fewer steps.
 * A cut clears the count.
 *
 * <p>Thread-safe; waiting parks on a {@link Condition} (virtual-thread friendly).
 */
public final class AdaptiveConcurrency {
    /** How a request ended, as far as the server's load is concerned. */
    public enum Signal {
        /** A usable reply: counts towards the next +1. */
        OK,
        /** 429 or 503 (or Anthropic's 529): the server is saturated. Halve, once per window. */
        OVERLOADED,
        /** A failure that says nothing about load (4xx other than 429, 500, a malformed body): no change. */
        ERROR,
        /**
         * No reply at all: timed out, or the connection was reset. Treated like {@link #OVERLOADED}, since a
         * server that cannot answer in time is saturated or failing, and fewer requests help either way.
         */
        DROPPED
    }

    private final int max;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    private int limit;
    /** Successes since the limit last changed: at {@code limit} of them it grows by one. */
    private int credit;
    private int inFlight;
    private long decreases;

    /** Starts at {@code max}. */
    public AdaptiveConcurrency(int max) {
        this(max, max);
    }

    /**
     * @param max     the highest the limit may grow to
     * @param initial the starting limit, 1..max
     */
    public AdaptiveConcurrency(int max, int initial) {
        if (max < 1 || initial < 1 || initial > max) {
            throw new IllegalArgumentException("need 1 <= initial <= max, got initial=" + initial + ", max=" + max);
        }
        this.max = max;
        this.limit = initial;
    }

    /** Waits while {@link #inFlight()} is at or above {@link #limit()}, then takes a slot. */
    public Permit acquire() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (inFlight >= limit) {
                try {
                    room.await();
                } catch (InterruptedException e) {
                    // The signal this thread may have consumed belongs to another waiter.
                    if (inFlight < limit) {
                        room.signal();
                    }
                    throw e;
                }
            }
            inFlight++;
            return new Permit(decreases);
        } finally {
            lock.unlock();
        }
    }

    /** The current limit, 1..max. */
    public int limit() {
        lock.lock();
        try {
            return limit;
        } finally {
            lock.unlock();
        }
    }

    /** Requests holding a permit now. */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Callers blocked in {@link #acquire()} now. */
    public int waiting() {
        lock.lock();
        try {
            return lock.getWaitQueueLength(room);
        } finally {
            lock.unlock();
        }
    }

    public int max() {
        return max;
    }

    private void release(long startedAfter, Signal signal) {
        lock.lock();
        try {
            inFlight--;
            int before = limit;
            switch (signal) {
                case OK -> {
                    if (limit < max && ++credit >= limit) {
                        limit++;
                        credit = 0;
                    }
                }
                case OVERLOADED, DROPPED -> {
                    if (startedAfter == decreases) {
                        limit = Math.max(1, limit / 2);
                        credit = 0;
                        decreases++;
                    }
                }
                case ERROR -> {
                }
            }
            if (limit > before) {
                room.signalAll();
            } else if (inFlight < limit) {
                room.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * One slot, released exactly once with how the request ended. {@link #close()} releases with
     * {@link Signal#ERROR} (no effect on the limit) if the holder did not, so that try-with-resources never leaks
     * a slot on an unexpected exception.
     */
    public final class Permit implements AutoCloseable {
        private final long decreasesAtStart;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(long decreasesAtStart) {
            this.decreasesAtStart = decreasesAtStart;
        }

        /** @throws IllegalStateException when already released */
        public void release(Signal signal) {
            if (!released.compareAndSet(false, true)) {
                throw new IllegalStateException("permit already released");
            }
            AdaptiveConcurrency.this.release(decreasesAtStart, signal);
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                AdaptiveConcurrency.this.release(decreasesAtStart, Signal.ERROR);
            }
        }
    }
}
