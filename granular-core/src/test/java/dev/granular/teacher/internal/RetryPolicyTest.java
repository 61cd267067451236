package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private final FakeClock clock = FakeClock.autoAdvancing();

    @Test
    void defaultsAreEightRetriesFromOneSecondCappedAtAMinute() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.maxRetries()).isEqualTo(8);
        assertThat(p.baseDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.maxDelay()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.allowsRetry(1)).isTrue();
        assertThat(p.allowsRetry(8)).isTrue();
        assertThat(p.allowsRetry(9)).isFalse();
        assertThat(p.allowsRetry(0)).isFalse();
    }

    @Test
    void backoffCeilingDoublesThenCaps() {
        RetryPolicy p = new RetryPolicy(100, Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(1));
        assertThat(p.ceilingNanos(1)).isEqualTo(1_000_000_000L);
        assertThat(p.ceilingNanos(2)).isEqualTo(2_000_000_000L);
        assertThat(p.ceilingNanos(6)).isEqualTo(32_000_000_000L);
        assertThat(p.ceilingNanos(7)).isEqualTo(60_000_000_000L);
        assertThat(p.ceilingNanos(100)).isEqualTo(60_000_000_000L);
        assertThat(p.ceilingNanos(Integer.MAX_VALUE)).isEqualTo(60_000_000_000L);
    }

    @Test
    void backoffIsFullJitterWithinTheCeiling() {
        RetryPolicy p = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(42));
        for (int retry = 1; retry <= 10; retry++) {
            long ceiling = p.ceilingNanos(retry);
            Set<Long> seen = new HashSet<>();
            long max = 0;
            for (int i = 0; i < 500; i++) {
                long d = p.backoff(retry, Optional.empty()).toNanos();
                assertThat(d).isBetween(0L, ceiling);
                seen.add(d);
                max = Math.max(max, d);
            }
            assertThat(seen).as("jittered, not fixed").hasSizeGreaterThan(400);
            assertThat(max).as("spans the range up to the ceiling").isGreaterThan(ceiling * 9 / 10);
        }
    }

    @Test
    void backoffIsDeterministicForASeed() {
        RetryPolicy a = new RetryPolicy(8, Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(7));
        RetryPolicy b = new RetryPolicy(8, Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(7));
        for (int retry = 1; retry <= 8; retry++) {
            assertThat(a.backoff(retry, Optional.empty())).isEqualTo(b.backoff(retry, Optional.empty()));
        }
    }

    @Test
    void serverRetryAfterWinsAndIsCapped() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.backoff(1, Optional.of(Duration.ofSeconds(17)))).isEqualTo(Duration.ofSeconds(17));
        assertThat(p.backoff(8, Optional.of(Duration.ofMillis(20)))).isEqualTo(Duration.ofMillis(20));
        assertThat(p.backoff(1, Optional.of(Duration.ofHours(3)))).isEqualTo(RetryPolicy.MAX_SERVER_DELAY);
        assertThat(p.backoff(1, Optional.of(Duration.ofSeconds(-5)))).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> p.backoff(0, Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void retryAfterSeconds() {
        assertThat(RetryPolicy.retryAfter(reply(429, "retry-after", "20"), clock)).contains(Duration.ofSeconds(20));
        assertThat(RetryPolicy.retryAfter(reply(503, "retry-after", "1.5"), clock)).contains(Duration.ofMillis(1500));
        assertThat(RetryPolicy.retryAfter(reply(429, "retry-after", "soon"), clock)).isEmpty();
        assertThat(RetryPolicy.retryAfter(reply(429), clock)).isEmpty();
    }

    @Test
    void retryAfterHttpDateIsMeasuredFromTheClocksWallTime() {
        String in90s = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                Instant.ofEpochMilli(FakeClock.EPOCH_MILLIS + 90_000).atOffset(ZoneOffset.UTC));
        assertThat(in90s).isEqualTo("Wed, 1 Jan 2025 00:01:30 GMT");
        assertThat(RetryPolicy.retryAfter(reply(429, "retry-after", in90s), clock)).contains(Duration.ofSeconds(90));
        assertThat(RetryPolicy.retryAfter(reply(429, "retry-after", "Wed, 01 Jan 2025 00:01:30 GMT"), clock))
                .contains(Duration.ofSeconds(90));
        assertThat(RetryPolicy.retryAfter(reply(429, "retry-after", "Tue, 31 Dec 2024 23:00:00 GMT"), clock))
                .as("a date in the past means now").contains(Duration.ZERO);
    }

    @Test
    void retryAfterMsWinsOverRetryAfter() {
        RawReply r = reply(429, "retry-after-ms", "250", "retry-after", "1");
        assertThat(RetryPolicy.retryAfter(r, clock)).contains(Duration.ofMillis(250));
    }

    @Test
    void openAiResetFormats() {
        assertThat(RateLimitHeaders.goDuration("1s")).contains(Duration.ofSeconds(1));
        assertThat(RateLimitHeaders.goDuration("6m0s")).contains(Duration.ofMinutes(6));
        assertThat(RateLimitHeaders.goDuration("20ms")).contains(Duration.ofMillis(20));
        assertThat(RateLimitHeaders.goDuration("1h2m3.5s")).contains(Duration.ofMillis(3_723_500));
        assertThat(RateLimitHeaders.goDuration("0.5s")).contains(Duration.ofMillis(500));
        assertThat(RateLimitHeaders.goDuration("7.66s")).contains(Duration.ofMillis(7_660));
        assertThat(RateLimitHeaders.goDuration("12")).contains(Duration.ofSeconds(12));
        assertThat(RateLimitHeaders.goDuration("")).isEmpty();
        assertThat(RateLimitHeaders.goDuration("6 minutes")).isEmpty();
        assertThat(RateLimitHeaders.goDuration("1s junk")).isEmpty();
    }

    @Test
    void resetHeadersCountWhenTheirBudgetIsExhausted() {
        RawReply tokensOut = reply(429, "x-ratelimit-remaining-requests", "10", "x-ratelimit-reset-requests", "1s",
                "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6m0s");
        assertThat(RetryPolicy.retryAfter(tokensOut, clock)).contains(Duration.ofMinutes(6));

        RawReply requestsOut = reply(429, "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "20ms",
                "x-ratelimit-remaining-tokens", "5000", "x-ratelimit-reset-tokens", "3s");
        assertThat(RetryPolicy.retryAfter(requestsOut, clock)).contains(Duration.ofMillis(20));
    }

    @Test
    void resetHeadersOnA429ThatNamesNoBudgetTakeTheLongest() {
        RawReply r = reply(429, "x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "2.5s");
        assertThat(RetryPolicy.retryAfter(r, clock)).contains(Duration.ofMillis(2_500));
    }

    @Test
    void resetHeadersOnOtherRepliesDescribeRefillNotAWait() {
        RawReply r = reply(500, "x-ratelimit-remaining-requests", "99", "x-ratelimit-reset-requests", "1s");
        assertThat(RetryPolicy.retryAfter(r, clock)).isEmpty();
    }

    @Test
    void anthropicResetInstants() {
        RawReply r = reply(429, "anthropic-ratelimit-tokens-remaining", "0",
                "anthropic-ratelimit-tokens-reset", "2025-01-01T00:00:45Z");
        assertThat(RetryPolicy.retryAfter(r, clock)).contains(Duration.ofSeconds(45));
    }

    @Test
    void classificationTable() {
        for (int s : new int[] {408, 409, 425, 429, 500, 502, 503, 504, 529, 599, 501}) {
            assertThat(RetryPolicy.classify(s)).as("status %d", s).isEqualTo(Classification.RETRY);
        }
        for (int s : new int[] {400, 404, 405, 413, 422, 451, 499, 301}) {
            assertThat(RetryPolicy.classify(s)).as("status %d", s).isEqualTo(Classification.FAIL);
        }
        assertThat(RetryPolicy.classify(401)).isEqualTo(Classification.AUTH);
        assertThat(RetryPolicy.classify(403)).isEqualTo(Classification.AUTH);
        assertThatThrownBy(() -> RetryPolicy.classify(200)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void transportErrorsRetry() {
        assertThat(RetryPolicy.classify(new HttpTimeoutException("timed out"))).isEqualTo(Classification.RETRY);
        assertThat(RetryPolicy.classify(new ConnectException("refused"))).isEqualTo(Classification.RETRY);
        assertThat(RetryPolicy.classify(new IOException("reset"))).isEqualTo(Classification.RETRY);
        assertThat(RetryPolicy.classify(new java.util.concurrent.TimeoutException())).isEqualTo(Classification.RETRY);
        assertThat(RetryPolicy.classify(new IllegalStateException())).isEqualTo(Classification.FAIL);
    }

    /** A reply with the given status and header name/value pairs. */
    static RawReply reply(int status, String... headers) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], List.of(headers[i + 1]));
        }
        return new RawReply(status, "", h, 0);
    }
}
