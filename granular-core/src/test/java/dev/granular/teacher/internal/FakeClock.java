package dev.granular.teacher.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A clock that moves only when told, so that tests of waiting code are exact and never sleep.
 *
 * <ul>
 *   <li>{@link #autoAdvancing()}: {@code sleep(d)} moves time forward by {@code d} and returns at once. For
 *       single-threaded tests: the time that passed is exactly the time the code asked to wait.</li>
 *   <li>{@link #manual()}: {@code sleep(d)} blocks until another thread {@link #advance advances} time past
 *       its deadline. For multi-threaded tests: {@link #awaitSleepers(int)} waits until the threads under
 *       test are all asleep, so the test advances time only once they have nothing else to do.</li>
 * </ul>
 *
 * Wall time ({@link #currentTimeMillis()}) moves with the monotonic time, from a fixed start.
 */
public final class FakeClock implements Clock {
    /** 2025-01-01T00:00:00Z: the wall time at fake time zero. */
    public static final long EPOCH_MILLIS = 1_735_689_600_000L;
    /** How long the test-side waits may take before a test fails as hung (a deadlock guard, not a timing). */
    private static final long HANG_SECONDS = 20;

    private final boolean autoAdvance;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long now;
    private int sleepers;
    /** Deadlines of the threads asleep now (a multiset: two may share one). */
    private final List<Long> deadlines = new ArrayList<>();

    private FakeClock(boolean autoAdvance) {
        this.autoAdvance = autoAdvance;
    }

    public static FakeClock autoAdvancing() {
        return new FakeClock(true);
    }

    public static FakeClock manual() {
        return new FakeClock(false);
    }

    @Override
    public long nanoTime() {
        lock.lock();
        try {
            return now;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long currentTimeMillis() {
        return EPOCH_MILLIS + Math.floorDiv(nanoTime(), 1_000_000L);
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (d.isNegative() || d.isZero()) {
            return;
        }
        lock.lockInterruptibly();
        try {
            if (autoAdvance) {
                now += d.toNanos();
                changed.signalAll();
                return;
            }
            long deadline = now + d.toNanos();
            sleepers++;
            deadlines.add(deadline);
            changed.signalAll();
            try {
                while (now < deadline) {
                    changed.await();
                }
            } finally {
                sleepers--;
                deadlines.remove(Long.valueOf(deadline));
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves time forward, waking every sleeper whose deadline has come. */
    public void advance(Duration d) {
        lock.lock();
        try {
            now += d.toNanos();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Threads blocked in {@link #sleep} now. */
    public int sleepers() {
        lock.lock();
        try {
            return sleepers;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until exactly {@code n} threads are blocked in {@link #sleep}. */
    public void awaitSleepers(int n) throws InterruptedException {
        lock.lock();
        try {
            long left = TimeUnit.SECONDS.toNanos(HANG_SECONDS);
            while (sleepers != n) {
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " sleepers, have " + sleepers);
                }
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until some thread is asleep until exactly {@code deadline} (nanoseconds on this clock). */
    public void awaitSleeperUntil(long deadline) throws InterruptedException {
        lock.lock();
        try {
            long left = TimeUnit.SECONDS.toNanos(HANG_SECONDS);
            while (!deadlines.contains(deadline)) {
                if (left <= 0) {
                    throw new AssertionError("nobody sleeps until " + deadline + "; deadlines: " + deadlines);
                }
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code condition} holds, spinning (it observes other threads' progress, which no clock
     * drives). Fails the test if it never does.
     */
    public static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition never held");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
