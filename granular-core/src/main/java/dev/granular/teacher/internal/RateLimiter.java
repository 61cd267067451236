package dev.granular.teacher.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps requests within a requests-per-minute and a tokens-per-minute budget (either may be off),
 * so that a run saturates a server's quota without tripping it.
 *
 * <p><b>Fairness.</b> Callers are served strictly first come, first served: only the caller at the head
 * of the queue waits on the {@link Clock} for its budget; the rest park until they reach the head. A small
 * request therefore never overtakes a big one, so the big one cannot starve.
 *
 * <p><b>Requests larger than the budget.</b> A request estimated at more tokens than the whole TPM budget
 * could never fit; it is let through as soon as the bucket is full and charged in full, so the bucket goes
 * negative and the requests after it wait until the debt is repaid. (The server may still refuse it; that is
 * its answer to give, not a reason to hang the run.)
 *
 * <p><b>Pauses.</b> {@link #pauseUntil(long)} stops every caller until then (a 429's Retry-After);
 * {@link #observe(RawReply)} follows the server's own account of what is left.
 *
 * <p>Thread-safe; waiting parks or sleeps on the injected clock, never holding the lock.
 */
public final class RateLimiter {
    private final Clock clock;
    private final TokenBucket requests;
    private final TokenBucket tokens;
    private final ReentrantLock lock = new ReentrantLock();
    /** One condition per queued caller, so that a departure wakes just the next one. */
    private final ArrayDeque<Condition> queue = new ArrayDeque<>();
    private long pausedUntil;
    private boolean paused;

    /**
     * @param requestsPerMinute the RPM budget, or 0 for none
     * @param tokensPerMinute   the TPM budget, or 0 for none
     */
    public RateLimiter(long requestsPerMinute, long tokensPerMinute, Clock clock) {
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException("budgets must be >= 0 (0 = no limit)");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        long now = clock.nanoTime();
        this.requests = requestsPerMinute > 0 ? new TokenBucket(requestsPerMinute, now) : null;
        this.tokens = tokensPerMinute > 0 ? new TokenBucket(tokensPerMinute, now) : null;
    }

    /** A limiter that never waits except for pauses. */
    public static RateLimiter unlimited(Clock clock) {
        return new RateLimiter(0, 0, clock);
    }

    /**
     * Waits until one request of about {@code estimatedTokens} tokens fits both budgets and no pause is in force,
     * then charges it.
     *
     * @throws InterruptedException when interrupted while waiting; nothing is charged then
     */
    public void acquire(int estimatedTokens) throws InterruptedException {
        if (estimatedTokens < 0) {
            throw new IllegalArgumentException("estimatedTokens must be >= 0");
        }
        Condition turn = lock.newCondition();
        lock.lockInterruptibly();
        try {
            queue.addLast(turn);
            try {
                while (queue.peekFirst() != turn) {
                    turn.await();
                }
                waitAtHead(estimatedTokens);
            } finally {
                queue.remove(turn);
                Condition next = queue.peekFirst();
                if (next != null) {
                    next.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** At the head of the queue (lock held): sleeps on the clock, lock released, until the request fits; charges it. */
    private void waitAtHead(int estimatedTokens) throws InterruptedException {
        while (true) {
            long now = clock.nanoTime();
            long wait = paused && now - pausedUntil < 0 ? pausedUntil - now : 0;
            if (wait == 0) {
                wait = Math.max(requests == null ? 0 : requests.waitNanos(1, now),
                        tokens == null ? 0 : tokens.waitNanos(estimatedTokens, now));
            }
            if (wait == 0) {
                if (requests != null) {
                    requests.take(1, now);
                }
                if (tokens != null) {
                    tokens.take(estimatedTokens, now);
                }
                return;
            }
            lock.unlock();
            try {
                clock.sleep(Duration.ofNanos(wait));
            } finally {
                lock.lock();
            }
        }
    }

    /** Stops every caller until {@code nanoTime} (on the clock's monotonic scale); an earlier pause end never shortens one in force. */
    public void pauseUntil(long nanoTime) {
        lock.lock();
        try {
            if (!paused || nanoTime - pausedUntil > 0) {
                pausedUntil = nanoTime;
                paused = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@link #pauseUntil(long)} {@code d} from now. */
    public void pauseFor(Duration d) {
        pauseUntil(clock.nanoTime() + Math.max(0, d.toNanos()));
    }

    /**
     * Follows a reply's rate-limit headers (OpenAI's {@code x-ratelimit-*}, Anthropic's
     * {@code anthropic-ratelimit-*}): a budget the server reports as lower than ours is lowered to match
     * (others may share the key), and a budget at 0 pauses everyone until its reset. Headers for a budget that
     * is off here still pause on 0, since the server's limit applies whether or not one was configured.
     */
    public void observe(RawReply reply) {
        long now = clock.nanoTime();
        observe(reply, RateLimitHeaders.Budget.REQUESTS, requests, now);
        observe(reply, RateLimitHeaders.Budget.TOKENS, tokens, now);
    }

    private void observe(RawReply reply, RateLimitHeaders.Budget budget, TokenBucket bucket, long now) {
        OptionalLong left = RateLimitHeaders.remaining(reply, budget);
        if (left.isEmpty()) {
            return;
        }
        if (bucket != null) {
            lock.lock();
            try {
                bucket.clampTo(left.getAsLong(), now);
            } finally {
                lock.unlock();
            }
        }
        if (left.getAsLong() == 0) {
            RateLimitHeaders.reset(reply, budget, clock)
                    .ifPresent(d -> pauseUntil(now + Math.min(d.toNanos(), RetryPolicy.MAX_SERVER_DELAY.toNanos())));
        }
    }

    /** Callers waiting now, including the one at the head (for progress display). */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** What is left of the RPM budget now (negative when in debt); empty when there is no RPM budget. */
    public OptionalLong requestsLeft() {
        return left(requests);
    }

    /** What is left of the TPM budget now (negative when in debt); empty when there is no TPM budget. */
    public OptionalLong tokensLeft() {
        return left(tokens);
    }

    private OptionalLong left(TokenBucket bucket) {
        if (bucket == null) {
            return OptionalLong.empty();
        }
        lock.lock();
        try {
            return OptionalLong.of((long) Math.floor(bucket.balance(clock.nanoTime()) + 1e-6));
        } finally {
            lock.unlock();
        }
    }
}
