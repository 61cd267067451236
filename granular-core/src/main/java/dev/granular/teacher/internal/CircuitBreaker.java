package dev.granular.teacher.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Stops sending to a server that keeps failing, so that an outage does not burn every row's retry
 * budget: callers wait in {@link #awaitClosed()} (and do not count that as an attempt) until the server
 * has proven it is back.
 *
 * <ul>
 *   <li>CLOSED: requests flow; {@code threshold} consecutive failures (5xx, timeouts, connection errors, as
 *       the caller reports them) open it.</li>
 *   <li>OPEN: every caller waits out the cooldown, which doubles with each re-open without a success in
 *       between (30 s, 60 s, ... up to 5 min), so a long outage is probed rarely.</li>
 *   <li>HALF_OPEN: after the cooldown exactly one caller, the probe, goes through; the others wait for its
 *       outcome. Success closes the breaker and resets the cooldown; failure re-opens it.</li>
 * </ul>
 *
 * <p>Outcomes are reported without saying which request they belong to, so reports that arrive while OPEN
 * (requests that were in flight when it opened) are ignored, and in HALF_OPEN the first report decides. A
 * caller that passed {@link #awaitClosed()} must report exactly one outcome, {@link #onFailure()} when it
 * gives up without a reply, or a half-open breaker would wait for its probe forever.
 *
 * <p>Thread-safe; the cooldown is waited on the injected {@link Clock}, never holding the lock.
 */
public final class CircuitBreaker {
    /** Where the breaker stands. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final Duration baseCooldown;
    private final Duration maxCooldown;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition probeDone = lock.newCondition();
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private Duration cooldown;
    private long openUntil;
    private boolean probeOut;
    private int held;

    /**
     * @param threshold    consecutive failures that open it
     * @param cooldown     the first open's length
     * @param maxCooldown  the longest an open may last, however often it re-opens
     */
    public CircuitBreaker(int threshold, Duration cooldown, Duration maxCooldown, Clock clock) {
        if (threshold < 1 || cooldown.isNegative() || cooldown.isZero() || maxCooldown.compareTo(cooldown) < 0) {
            throw new IllegalArgumentException("need threshold >= 1 and 0 < cooldown <= maxCooldown");
        }
        this.threshold = threshold;
        this.baseCooldown = cooldown;
        this.maxCooldown = maxCooldown;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cooldown = cooldown;
    }

    /** Threshold 10, cooldown 30 s doubling up to 5 min. */
    public static CircuitBreaker defaults(Clock clock) {
        return new CircuitBreaker(10, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
    }

    /**
     * Returns at once when CLOSED; otherwise waits until the cooldown is over and either this caller is the
     * half-open probe or the probe succeeded.
     */
    public void awaitClosed() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                long now = clock.nanoTime();
                settle(now);
                if (state == State.CLOSED) {
                    return;
                }
                if (state == State.HALF_OPEN && !probeOut) {
                    probeOut = true;
                    return;
                }
                held++;
                try {
                    if (state == State.OPEN) {
                        lock.unlock();
                        try {
                            clock.sleep(Duration.ofNanos(openUntil - now));
                        } finally {
                            lock.lock();
                        }
                    } else {
                        probeDone.await();
                    }
                } finally {
                    held--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A request got a good reply (any reply that is not a server fault): closes a half-open breaker. */
    public void onSuccess() {
        lock.lock();
        try {
            settle(clock.nanoTime());
            switch (state) {
                case CLOSED -> consecutiveFailures = 0;
                case HALF_OPEN -> {
                    state = State.CLOSED;
                    consecutiveFailures = 0;
                    cooldown = baseCooldown;
                    probeOut = false;
                    probeDone.signalAll();
                }
                case OPEN -> {
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A request failed with a server fault (5xx, timeout, connection error). */
    public void onFailure() {
        lock.lock();
        try {
            long now = clock.nanoTime();
            settle(now);
            switch (state) {
                case CLOSED -> {
                    if (++consecutiveFailures >= threshold) {
                        open(now);
                    }
                }
                case HALF_OPEN -> {
                    Duration doubled = cooldown.multipliedBy(2);
                    cooldown = doubled.compareTo(maxCooldown) > 0 ? maxCooldown : doubled;
                    open(now);
                    probeDone.signalAll();
                }
                case OPEN -> {
                }
            }
        } finally {
            lock.unlock();
        }
    }

    public State state() {
        lock.lock();
        try {
            settle(clock.nanoTime());
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** The length of the current (or next) open period. */
    public Duration cooldown() {
        lock.lock();
        try {
            return cooldown;
        } finally {
            lock.unlock();
        }
    }

    /** Callers held in {@link #awaitClosed()} now (for progress display). */
    public int waiting() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    private void open(long now) {
        state = State.OPEN;
        openUntil = now + cooldown.toNanos();
        probeOut = false;
    }

    /** An OPEN breaker whose cooldown is over is HALF_OPEN, with no probe out yet. */
    private void settle(long now) {
        if (state == State.OPEN && now - openUntil >= 0) {
            state = State.HALF_OPEN;
            probeOut = false;
        }
    }
}
