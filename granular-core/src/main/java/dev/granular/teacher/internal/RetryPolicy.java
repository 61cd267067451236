package dev.granular.teacher.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * How often and how long to wait before retrying one request.
 *
 * <p>Backoff is "full jitter" exponential: retry {@code n} waits a uniformly random time in
 * {@code [0, min(maxDelay, baseDelay * 2^(n-1))]}. Full jitter rather than a fixed schedule
 * because a million requests failing together (a server restart) must not come back together.
 * A server that says when to come back ({@code Retry-After} and friends) is obeyed instead,
 * up to {@link #MAX_SERVER_DELAY}, so that a bogus header cannot park a run for hours.
 *
 * <p>Thread-safe: the random generator is drawn from under a lock, so a generator that is not
 * thread-safe itself (a seeded {@link java.util.SplittableRandom} in tests) may be injected.
 */
public final class RetryPolicy {
    /** The longest server-requested wait that is honoured as given. */
    public static final Duration MAX_SERVER_DELAY = Duration.ofMinutes(10);

    private final int maxRetries;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final RandomGenerator random;
    private final ReentrantLock randomLock = new ReentrantLock();

    /**
     * @param maxRetries retries after the first attempt (0 = never retry)
     * @param baseDelay  the ceiling of the first retry's wait
     * @param maxDelay   the largest ceiling any retry's wait can have
     * @param random     the jitter source
     */
    public RetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay, RandomGenerator random) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0");
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= baseDelay <= maxDelay");
        }
        this.maxRetries = maxRetries;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.random = Objects.requireNonNull(random, "random");
    }

    /** 8 retries, 1 s base, 60 s cap, jitter from {@link ThreadLocalRandom}. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(8, Duration.ofSeconds(1), Duration.ofSeconds(60), () -> ThreadLocalRandom.current().nextLong());
    }

    public int maxRetries() {
        return maxRetries;
    }

    public Duration baseDelay() {
        return baseDelay;
    }

    public Duration maxDelay() {
        return maxDelay;
    }

    /** Whether retry number {@code retry} (1-based) may be made. */
    public boolean allowsRetry(int retry) {
        return retry >= 1 && retry <= maxRetries;
    }

    /**
     * The wait before retry number {@code retry} (1-based).
     *
     * @param retryAfter what the server asked for, if anything ({@link #retryAfter(RawReply, Clock)}): wins over
     *                   the computed backoff, capped at {@link #MAX_SERVER_DELAY}
     */
    public Duration backoff(int retry, Optional<Duration> retryAfter) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry numbers start at 1");
        }
        if (retryAfter.isPresent()) {
            Duration d = retryAfter.get();
            return d.isNegative() ? Duration.ZERO : d.compareTo(MAX_SERVER_DELAY) > 0 ? MAX_SERVER_DELAY : d;
        }
        long ceiling = ceilingNanos(retry);
        randomLock.lock();
        try {
            return Duration.ofNanos(ceiling == Long.MAX_VALUE ? random.nextLong(ceiling) : random.nextLong(ceiling + 1));
        } finally {
            randomLock.unlock();
        }
    }

    /** The upper bound of {@link #backoff}'s jitter for retry {@code retry}: base doubled per retry, capped. */
    long ceilingNanos(int retry) {
        long base = baseDelay.toNanos();
        long max = maxDelay.toNanos();
        int shift = retry - 1;
        if (base == 0) {
            return 0;
        }
        if (shift >= 62 || base > (max >> shift)) {
            return max;
        }
        return Math.min(max, base << shift);
    }

    /**
     * When the server says to come back, if it says so: {@code retry-after-ms}, then {@code retry-after}
     * (seconds or an HTTP-date, against {@code clock}'s wall time), then the reset headers
     * ({@code x-ratelimit-reset-requests}/{@code -tokens} as {@code 1s}, {@code 6m0s}, {@code 20ms}; Anthropic's
     * {@code anthropic-ratelimit-*-reset} instants). A reset header counts only when it says when to come back:
     * its budget's remaining count is 0, or the reply is a 429 that names no exhausted budget (then the longest
     * reset is taken, since the server did not say which budget ran out). Other replies carry reset headers on
     * every response, where they describe refill, not a wait.
     */
    public static Optional<Duration> retryAfter(RawReply reply, Clock clock) {
        Optional<Duration> explicit = RateLimitHeaders.retryAfter(reply, clock);
        if (explicit.isPresent()) {
            return explicit;
        }
        List<Duration> exhausted = new ArrayList<>();
        List<Duration> any = new ArrayList<>();
        for (RateLimitHeaders.Budget b : RateLimitHeaders.Budget.values()) {
            Optional<Duration> reset = RateLimitHeaders.reset(reply, b, clock);
            if (reset.isEmpty()) {
                continue;
            }
            any.add(reset.get());
            OptionalLong left = RateLimitHeaders.remaining(reply, b);
            if (left.isPresent() && left.getAsLong() == 0) {
                exhausted.add(reset.get());
            }
        }
        List<Duration> chosen = !exhausted.isEmpty() ? exhausted : reply.status() == 429 ? any : List.of();
        return chosen.stream().max(Duration::compareTo);
    }

    /**
     * What a non-2xx status means: 401/403 {@link Classification#AUTH}; 408, 409, 425, 429 and every 5xx (529 is
     * Anthropic's "overloaded") {@link Classification#RETRY}; any other 3xx/4xx {@link Classification#FAIL}
     * (an unfollowed redirect is a wrong URL, which retrying cannot fix).
     *
     * @throws IllegalArgumentException for a status below 300, which is not a failure
     */
    public static Classification classify(int status) {
        if (status < 300) {
            throw new IllegalArgumentException("status " + status + " is not a failure");
        }
        return switch (status) {
            case 401, 403 -> Classification.AUTH;
            case 408, 409, 425, 429 -> Classification.RETRY;
            default -> status >= 500 ? Classification.RETRY : Classification.FAIL;
        };
    }

    /**
     * What a transport error means: I/O errors (refused, reset, {@link java.net.http.HttpTimeoutException}) and
     * timeouts are {@link Classification#RETRY}; anything else is a bug or a misuse, {@link Classification#FAIL}.
     */
    public static Classification classify(Throwable error) {
        return error instanceof IOException || error instanceof UncheckedIOException || error instanceof TimeoutException
                ? Classification.RETRY : Classification.FAIL;
    }
}
