package dev.granular.teacher.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the rate-limit headers that OpenAI, OpenAI-compatible servers and Anthropic send.
 * Kept apart from the policies so that {@link RetryPolicy} and {@link RateLimiter} read the
 * same headers the same way. Every reader is lenient: a malformed header is treated as absent,
 * because a server's odd header must never fail a request that succeeded.
 */
public final class RateLimitHeaders {
    /** The budgets a server reports on: requests and tokens. */
    enum Budget {
        REQUESTS("requests"), TOKENS("tokens");

        private final String word;

        Budget(String word) {
            this.word = word;
        }
    }

    private static final Pattern GO_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(h|ms|us|µs|ns|m|s)");

    private RateLimitHeaders() {
    }

    /** {@code retry-after-ms} (OpenAI) or {@code retry-after} as seconds or an HTTP-date; never negative. */
    static Optional<Duration> retryAfter(RawReply reply, Clock clock) {
        Optional<Duration> ms = reply.header("retry-after-ms").flatMap(v -> decimal(v, 1_000_000L));
        if (ms.isPresent()) {
            return ms;
        }
        return reply.header("retry-after").flatMap(v -> {
            Optional<Duration> seconds = decimal(v, 1_000_000_000L);
            return seconds.isPresent() ? seconds : httpDate(v, clock);
        });
    }

    /** What is left of {@code budget}: {@code x-ratelimit-remaining-*} or {@code anthropic-ratelimit-*-remaining}. */
    static OptionalLong remaining(RawReply reply, Budget budget) {
        Optional<String> v = reply.header("x-ratelimit-remaining-" + budget.word)
                .or(() -> reply.header("anthropic-ratelimit-" + budget.word + "-remaining"));
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Math.max(0, Long.parseLong(v.get().strip())));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * How long until {@code budget} refills: OpenAI's {@code x-ratelimit-reset-*} (a Go duration such as
     * {@code 6m0s}) or Anthropic's {@code anthropic-ratelimit-*-reset} (an RFC 3339 instant).
     */
    static Optional<Duration> reset(RawReply reply, Budget budget, Clock clock) {
        Optional<Duration> openAi = reply.header("x-ratelimit-reset-" + budget.word).flatMap(RateLimitHeaders::goDuration);
        if (openAi.isPresent()) {
            return openAi;
        }
        return reply.header("anthropic-ratelimit-" + budget.word + "-reset").flatMap(v -> {
            try {
                return Optional.of(untilMillis(Instant.parse(v.strip()).toEpochMilli(), clock));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        });
    }

    /** A Go-style duration ({@code 1s}, {@code 6m0s}, {@code 20ms}, {@code 1h2m3.5s}); a bare number is seconds. */
    static Optional<Duration> goDuration(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            return Optional.empty();
        }
        Optional<Duration> bare = decimal(s, 1_000_000_000L);
        if (bare.isPresent()) {
            return bare;
        }
        Matcher m = GO_PART.matcher(s);
        double nanos = 0;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                return Optional.empty();
            }
            nanos += Double.parseDouble(m.group(1)) * switch (m.group(2)) {
                case "h" -> 3_600e9;
                case "m" -> 60e9;
                case "s" -> 1e9;
                case "ms" -> 1e6;
                case "us", "µs" -> 1e3;
                default -> 1;
            };
            at = m.end();
        }
        return Optional.of(Duration.ofNanos((long) Math.min(nanos, Long.MAX_VALUE)));
    }

    private static Optional<Duration> decimal(String text, long nanosPerUnit) {
        try {
            double v = Double.parseDouble(text.strip());
            if (Double.isNaN(v) || Double.isInfinite(v) || text.strip().matches(".*[a-zA-Z].*")) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos((long) Math.min(Math.max(0, v) * nanosPerUnit, Long.MAX_VALUE)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> httpDate(String text, Clock clock) {
        try {
            ZonedDateTime at = ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
            return Optional.of(untilMillis(at.toInstant().toEpochMilli(), clock));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Duration untilMillis(long epochMillis, Clock clock) {
        return Duration.ofMillis(Math.max(0, epochMillis - clock.currentTimeMillis()));
    }
}
