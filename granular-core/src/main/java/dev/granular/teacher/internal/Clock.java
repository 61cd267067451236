package dev.granular.teacher.internal;

import java.time.Duration;

/**
 * Time, injected so that backoff, rate limits, AIMD and the circuit breaker are tested
 * without sleeping.
 */
public interface Clock {
    /** Monotonic time in nanoseconds. */
    long nanoTime();

    /** Waits for {@code d} (a fake clock advances instead). */
    void sleep(Duration d) throws InterruptedException;

    /** Wall-clock milliseconds since the epoch, for HTTP dates in Retry-After. */
    long currentTimeMillis();

    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            if (!d.isNegative() && !d.isZero()) {
                Thread.sleep(d);
            }
        }

        @Override
        public long currentTimeMillis() {
            return System.currentTimeMillis();
        }
    };
}
