package dev.granular.teacher.internal;

import static dev.granular.teacher.internal.RetryPolicyTest.reply;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void startsWithAMinutesBurstThenLetsExactlyNPerMinuteThrough() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(60, 0, clock);
        for (int i = 0; i < 60; i++) {
            limiter.acquire(1000);
        }
        assertThat(clock.nanoTime()).as("a full bucket lets the first minute's budget through at once").isZero();

        limiter.acquire(1000);
        assertThat(clock.nanoTime()).as("then one per 60/N seconds").isEqualTo(SECOND);

        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            limiter.acquire(1000);
            times.add(clock.nanoTime());
        }
        assertThat(clock.nanoTime()).as("600 more at 60 per minute take 10 minutes").isEqualTo(601 * SECOND);
        long inMinuteTwo = times.stream().filter(t -> t > 60 * SECOND && t <= 120 * SECOND).count();
        assertThat(inMinuteTwo).isEqualTo(60);
    }

    @Test
    void tokensPerMinuteBudget() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(0, 60_000, clock);
        for (int i = 0; i < 6; i++) {
            limiter.acquire(10_000);
        }
        assertThat(clock.nanoTime()).isZero();
        assertThat(limiter.tokensLeft()).hasValue(0);
        assertThat(limiter.requestsLeft()).isEmpty();

        limiter.acquire(10_000);
        assertThat(clock.nanoTime()).as("10k tokens refill in 10 s at 60k/min").isEqualTo(10 * SECOND);
        limiter.acquire(500);
        assertThat(clock.nanoTime()).isEqualTo(10 * SECOND + SECOND / 2);
    }

    @Test
    void bothBudgetsMustAllow() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(120, 6_000, clock);
        limiter.acquire(6_000);
        limiter.acquire(100);
        assertThat(clock.nanoTime()).as("the token budget binds, not the request budget").isEqualTo(SECOND);
        assertThat(limiter.requestsLeft()).as("120, less 2, plus 2 refilled in that second, capped, less 1").hasValue(119);
    }

    @Test
    void aRequestLargerThanTheWholeBudgetGoesThroughOnAFullBucketAndIsPaidFor() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(0, 60_000, clock);
        limiter.acquire(30_000);
        limiter.acquire(90_000);
        assertThat(clock.nanoTime()).as("waited only until the bucket was full again").isEqualTo(30 * SECOND);
        assertThat(limiter.tokensLeft()).hasValue(-30_000);

        limiter.acquire(6_000);
        assertThat(clock.nanoTime()).as("the debt of 30k plus 6k is repaid first").isEqualTo(66 * SECOND);
    }

    @Test
    void unlimitedNeverWaits() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = RateLimiter.unlimited(clock);
        for (int i = 0; i < 10_000; i++) {
            limiter.acquire(1_000_000);
        }
        assertThat(clock.nanoTime()).isZero();
    }

    @Test
    void pauseHoldsEveryCallerUntilItEnds() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = RateLimiter.unlimited(clock);
        limiter.pauseFor(Duration.ofSeconds(30));
        limiter.pauseUntil(5 * SECOND);
        limiter.acquire(1);
        assertThat(clock.nanoTime()).as("an earlier end does not shorten a pause").isEqualTo(30 * SECOND);
        limiter.acquire(1);
        assertThat(clock.nanoTime()).as("over once it has passed").isEqualTo(30 * SECOND);
    }

    @Test
    void aPauseDuringAWaitIsHonouredByTheWaiterAndThoseQueuedBehindIt() throws Exception {
        FakeClock clock = FakeClock.manual();
        RateLimiter limiter = new RateLimiter(60, 0, clock);
        for (int i = 0; i < 60; i++) {
            limiter.acquire(0);
        }
        AtomicInteger through = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    limiter.acquire(0);
                    through.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        clock.awaitSleepers(1);
        FakeClock.awaitTrue(() -> limiter.waiting() == 3);
        limiter.pauseFor(Duration.ofSeconds(10));

        clock.advance(Duration.ofSeconds(1));
        clock.awaitSleeperUntil(10 * SECOND);
        assertThat(through).as("the head woke for its token, found the pause, slept again").hasValue(0);

        clock.advance(Duration.ofSeconds(9));
        FakeClock.awaitTrue(() -> through.get() == 3);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(clock.nanoTime()).isEqualTo(10 * SECOND);
        assertThat(limiter.waiting()).isZero();
    }

    @Test
    void queuedCallersAreServedOneTokenIntervalApartInArrivalOrder() throws Exception {
        FakeClock clock = FakeClock.manual();
        RateLimiter limiter = new RateLimiter(60, 0, clock);
        for (int i = 0; i < 60; i++) {
            limiter.acquire(0);
        }
        List<Long> passedAt = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    limiter.acquire(0);
                    passedAt.add(clock.nanoTime());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        FakeClock.awaitTrue(() -> limiter.waiting() == 4);
        for (int i = 1; i <= 4; i++) {
            clock.awaitSleeperUntil(i * SECOND);
            clock.advance(Duration.ofSeconds(1));
            int expected = i;
            FakeClock.awaitTrue(() -> passedAt.size() == expected);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(passedAt).containsExactly(SECOND, 2 * SECOND, 3 * SECOND, 4 * SECOND);
    }

    @Test
    void anInterruptedWaiterLeavesTheQueueAndIsNotCharged() throws Exception {
        FakeClock clock = FakeClock.manual();
        RateLimiter limiter = new RateLimiter(60, 0, clock);
        for (int i = 0; i < 60; i++) {
            limiter.acquire(0);
        }
        AtomicInteger interrupted = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                limiter.acquire(0);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        clock.awaitSleepers(1);
        t.interrupt();
        t.join();
        assertThat(interrupted).hasValue(1);
        assertThat(limiter.waiting()).isZero();
        clock.advance(Duration.ofSeconds(1));
        assertThat(limiter.requestsLeft()).hasValue(1);
    }

    @Test
    void observeRemainingZeroPausesUntilTheReset() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(600, 0, clock);
        limiter.observe(reply(200, "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s"));
        assertThat(limiter.requestsLeft()).hasValue(0);
        limiter.acquire(1);
        assertThat(clock.nanoTime()).isEqualTo(360 * SECOND);
    }

    @Test
    void observeRemainingZeroPausesEvenWithoutAConfiguredBudget() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = RateLimiter.unlimited(clock);
        limiter.observe(reply(200, "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "20ms"));
        limiter.acquire(1);
        assertThat(clock.nanoTime()).isEqualTo(20_000_000L);
    }

    @Test
    void observeLowersButNeverRaisesTheBudget() {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(100, 10_000, clock);
        limiter.observe(reply(200, "x-ratelimit-remaining-requests", "40", "x-ratelimit-remaining-tokens", "2500",
                "x-ratelimit-reset-requests", "36s", "x-ratelimit-reset-tokens", "45s"));
        assertThat(limiter.requestsLeft()).hasValue(40);
        assertThat(limiter.tokensLeft()).hasValue(2_500);
        limiter.observe(reply(200, "x-ratelimit-remaining-requests", "90", "x-ratelimit-remaining-tokens", "9000"));
        assertThat(limiter.requestsLeft()).hasValue(40);
        assertThat(limiter.tokensLeft()).hasValue(2_500);
    }

    @Test
    void observeReadsAnthropicHeaders() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(50, 0, clock);
        limiter.observe(reply(200, "anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", "2025-01-01T00:00:12Z"));
        limiter.acquire(1);
        assertThat(clock.nanoTime()).isEqualTo(12 * SECOND);
    }

    @Test
    void observeIgnoresRepliesWithoutHeadersAndMalformedOnes() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        RateLimiter limiter = new RateLimiter(60, 0, clock);
        limiter.observe(reply(200));
        limiter.observe(reply(200, "x-ratelimit-remaining-requests", "lots", "x-ratelimit-reset-requests", "0"));
        limiter.observe(reply(200, "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "whenever"));
        assertThat(limiter.requestsLeft()).as("remaining 0 is believed even without a readable reset").hasValue(0);
        limiter.acquire(1);
        assertThat(clock.nanoTime()).as("no pause: just the bucket's own refill").isEqualTo(SECOND);
    }
}
