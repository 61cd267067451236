package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.teacher.internal.CircuitBreaker.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void opensAfterThresholdConsecutiveFailures() {
        CircuitBreaker cb = CircuitBreaker.defaults(FakeClock.autoAdvancing());
        for (int i = 0; i < 9; i++) {
            cb.onFailure();
        }
        assertThat(cb.state()).isEqualTo(State.CLOSED);
        cb.onSuccess();
        for (int i = 0; i < 9; i++) {
            cb.onFailure();
        }
        assertThat(cb.state()).as("a success in between resets the count").isEqualTo(State.CLOSED);
        cb.onFailure();
        assertThat(cb.state()).isEqualTo(State.OPEN);
        assertThat(cb.cooldown()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aClosedBreakerDoesNotWait() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        CircuitBreaker cb = CircuitBreaker.defaults(clock);
        cb.awaitClosed();
        assertThat(clock.nanoTime()).isZero();
    }

    @Test
    void anOpenBreakerHoldsCallersForTheCooldownThenLetsOneProbeThrough() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        CircuitBreaker cb = new CircuitBreaker(3, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 3);
        clock.sleep(Duration.ofSeconds(10));
        cb.awaitClosed();
        assertThat(clock.nanoTime()).as("waited out the rest of the cooldown").isEqualTo(30 * SECOND);
        assertThat(cb.state()).isEqualTo(State.HALF_OPEN);
        cb.onSuccess();
        assertThat(cb.state()).isEqualTo(State.CLOSED);
        cb.awaitClosed();
        assertThat(clock.nanoTime()).isEqualTo(30 * SECOND);
    }

    @Test
    void halfOpenLetsExactlyOneProbeThroughAndItsSuccessReleasesEveryone() throws Exception {
        FakeClock clock = FakeClock.manual();
        CircuitBreaker cb = new CircuitBreaker(2, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 2);
        AtomicInteger passed = new AtomicInteger();
        List<Thread> callers = startCallers(cb, 4, passed);
        clock.awaitSleepers(4);
        assertThat(cb.waiting()).isEqualTo(4);
        assertThat(passed).hasValue(0);

        clock.advance(Duration.ofSeconds(30));
        FakeClock.awaitTrue(() -> passed.get() == 1 && clock.sleepers() == 0 && cb.waiting() == 3);
        assertThat(cb.state()).isEqualTo(State.HALF_OPEN);
        assertThat(passed).as("the others wait for the probe").hasValue(1);

        cb.onSuccess();
        for (Thread t : callers) {
            t.join();
        }
        assertThat(passed).hasValue(4);
        assertThat(cb.state()).isEqualTo(State.CLOSED);
        assertThat(cb.waiting()).isZero();
        assertThat(clock.nanoTime()).isEqualTo(30 * SECOND);
    }

    @Test
    void aFailedProbeReopensWithADoubledCooldown() throws Exception {
        FakeClock clock = FakeClock.manual();
        CircuitBreaker cb = new CircuitBreaker(1, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 1);
        AtomicInteger passed = new AtomicInteger();
        List<Thread> callers = startCallers(cb, 3, passed);
        clock.awaitSleepers(3);

        clock.advance(Duration.ofSeconds(30));
        FakeClock.awaitTrue(() -> passed.get() == 1 && clock.sleepers() == 0 && cb.waiting() == 2);
        cb.onFailure();
        assertThat(cb.state()).isEqualTo(State.OPEN);
        assertThat(cb.cooldown()).isEqualTo(Duration.ofSeconds(60));
        clock.awaitSleepers(2);
        clock.awaitSleeperUntil(90 * SECOND);
        assertThat(passed).hasValue(1);

        clock.advance(Duration.ofSeconds(59));
        clock.awaitSleepers(2);
        assertThat(passed).as("still open a second before the doubled cooldown ends").hasValue(1);

        clock.advance(Duration.ofSeconds(1));
        FakeClock.awaitTrue(() -> passed.get() == 2 && clock.sleepers() == 0 && cb.waiting() == 1);
        cb.onSuccess();
        for (Thread t : callers) {
            t.join();
        }
        assertThat(passed).hasValue(3);
        assertThat(cb.cooldown()).as("a close resets the cooldown").isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theCooldownDoublesUpToItsCap() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        CircuitBreaker cb = CircuitBreaker.defaults(clock);
        open(cb, 10);
        List<Duration> cooldowns = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            long before = clock.nanoTime();
            cb.awaitClosed();
            cooldowns.add(Duration.ofNanos(clock.nanoTime() - before));
            cb.onFailure();
        }
        assertThat(cooldowns).containsExactly(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
                Duration.ofSeconds(240), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }

    @Test
    void reportsFromRequestsInFlightWhenItOpenedAreIgnored() {
        FakeClock clock = FakeClock.autoAdvancing();
        CircuitBreaker cb = new CircuitBreaker(2, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 2);
        cb.onSuccess();
        assertThat(cb.state()).isEqualTo(State.OPEN);
        cb.onFailure();
        assertThat(cb.state()).isEqualTo(State.OPEN);
        assertThat(cb.cooldown()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void afterClosingItTakesAFullThresholdToOpenAgain() throws InterruptedException {
        FakeClock clock = FakeClock.autoAdvancing();
        CircuitBreaker cb = new CircuitBreaker(3, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 3);
        cb.awaitClosed();
        cb.onSuccess();
        cb.onFailure();
        cb.onFailure();
        assertThat(cb.state()).isEqualTo(State.CLOSED);
        cb.onFailure();
        assertThat(cb.state()).isEqualTo(State.OPEN);
    }

    @Test
    void anInterruptedWaiterLeaves() throws Exception {
        FakeClock clock = FakeClock.manual();
        CircuitBreaker cb = new CircuitBreaker(1, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        open(cb, 1);
        AtomicInteger interrupted = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                cb.awaitClosed();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        clock.awaitSleepers(1);
        t.interrupt();
        t.join();
        assertThat(interrupted).hasValue(1);
        assertThat(cb.waiting()).isZero();
        assertThat(cb.state()).isEqualTo(State.OPEN);
    }

    private static void open(CircuitBreaker cb, int failures) {
        for (int i = 0; i < failures; i++) {
            cb.onFailure();
        }
        assertThat(cb.state()).isEqualTo(State.OPEN);
    }

    private static List<Thread> startCallers(CircuitBreaker cb, int n, AtomicInteger passed) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    cb.awaitClosed();
                    passed.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        return threads;
    }
}
