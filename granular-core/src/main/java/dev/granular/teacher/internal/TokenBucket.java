package dev.granular.teacher.internal;

/**
 * A per-minute budget that refills continuously, up to one minute's worth. This is the shape of
 * the servers' own limiters (Anthropic documents a token bucket; OpenAI's reset headers describe
 * one), so mirroring it lets a fresh run start with a full minute's burst and then settle at the
 * budget's rate. Its balance may go negative: a request is charged in full even when it is let
 * through on less (see {@link #waitNanos(long)}), so that the requests after it pay for it.
 *
 * <p>Not thread-safe: {@link RateLimiter} guards it with its lock.
 */
public final class TokenBucket {
    private static final double NANOS_PER_MINUTE = 60e9;
    /** Rounding slack, so that a wait computed to the nanosecond is not followed by a 1 ns wait. */
    private static final double EPSILON = 1e-6;

    private final long capacity;
    private final double perNano;
    private double balance;
    private long stamp;

    TokenBucket(long perMinute, long now) {
        if (perMinute <= 0) {
            throw new IllegalArgumentException("a budget must be positive");
        }
        this.capacity = perMinute;
        this.perNano = perMinute / NANOS_PER_MINUTE;
        this.balance = perMinute;
        this.stamp = now;
    }

    long capacity() {
        return capacity;
    }

    double balance(long now) {
        refill(now);
        return balance;
    }

    /**
     * Nanoseconds until {@code amount} may be taken (0 = now). An amount above the capacity needs only a full
     * bucket: waiting for more than the bucket can hold would wait forever.
     */
    long waitNanos(long amount, long now) {
        refill(now);
        double need = Math.min(amount, capacity);
        double missing = need - balance;
        return missing <= EPSILON ? 0 : (long) Math.ceil(missing / perNano);
    }

    void take(long amount, long now) {
        refill(now);
        balance -= amount;
    }

    /** Lowers the balance to what the server says is left (never raises it: other in-flight requests count). */
    void clampTo(long remaining, long now) {
        refill(now);
        balance = Math.min(balance, remaining);
    }

    private void refill(long now) {
        if (now > stamp) {
            balance = Math.min(capacity, balance + (now - stamp) * perNano);
            stamp = now;
        }
    }
}
