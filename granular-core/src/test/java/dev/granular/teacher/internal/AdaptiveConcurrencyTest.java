package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.teacher.internal.AdaptiveConcurrency.Permit;
import dev.granular.teacher.internal.AdaptiveConcurrency.Signal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AdaptiveConcurrencyTest {

    @Test
    void startsAtTheMaximumUnlessToldOtherwise() {
        assertThat(new AdaptiveConcurrency(64).limit()).isEqualTo(64);
        assertThat(new AdaptiveConcurrency(64, 8).limit()).isEqualTo(8);
        assertThatThrownBy(() -> new AdaptiveConcurrency(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdaptiveConcurrency(4, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBurstOfOverloadsFromOneWindowHalvesOnce() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(64);
        List<Permit> window = acquire(ac, 64);
        assertThat(ac.inFlight()).isEqualTo(64);
        for (Permit p : window) {
            p.release(Signal.OVERLOADED);
        }
        assertThat(ac.limit()).isEqualTo(32);
        assertThat(ac.inFlight()).isZero();
    }

    @Test
    void overloadsOfRequestsSentAfterACutCutAgain() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(64);
        List<Permit> old = acquire(ac, 10);
        old.get(0).release(Signal.OVERLOADED);
        assertThat(ac.limit()).isEqualTo(32);

        Permit fresh = ac.acquire();
        old.get(1).release(Signal.OVERLOADED);
        assertThat(ac.limit()).as("started before the cut: ignored").isEqualTo(32);
        fresh.release(Signal.OVERLOADED);
        assertThat(ac.limit()).as("started after the cut: the halved limit is still too high").isEqualTo(16);
        old.get(2).release(Signal.DROPPED);
        assertThat(ac.limit()).isEqualTo(16);
    }

    @Test
    void droppedCutsLikeOverloadedAndErrorChangesNothing() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(20);
        ac.acquire().release(Signal.ERROR);
        assertThat(ac.limit()).isEqualTo(20);
        ac.acquire().release(Signal.DROPPED);
        assertThat(ac.limit()).isEqualTo(10);
    }

    @Test
    void growsBackByOnePerLimitSuccesses() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(64, 8);
        for (int i = 0; i < 7; i++) {
            ac.acquire().release(Signal.OK);
        }
        assertThat(ac.limit()).as("7 of the 8 successes a step needs").isEqualTo(8);
        ac.acquire().release(Signal.OK);
        assertThat(ac.limit()).isEqualTo(9);
        for (int i = 0; i < 9; i++) {
            ac.acquire().release(Signal.OK);
        }
        assertThat(ac.limit()).isEqualTo(10);
    }

    @Test
    void neverBelowOneNorAboveTheMaximum() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(16);
        for (int i = 0; i < 20; i++) {
            ac.acquire().release(Signal.OVERLOADED);
        }
        assertThat(ac.limit()).isEqualTo(1);
        for (int i = 0; i < 10_000; i++) {
            ac.acquire().release(Signal.OK);
        }
        assertThat(ac.limit()).isEqualTo(16);
    }

    @Test
    void blocksAcquirersAtTheLimitUntilASlotFrees() throws Exception {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(2);
        List<Permit> held = acquire(ac, 2);
        AtomicInteger got = new AtomicInteger();
        List<Permit> late = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    late.add(ac.acquire());
                    got.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        FakeClock.awaitTrue(() -> ac.waiting() == 3);
        assertThat(got).hasValue(0);
        assertThat(ac.inFlight()).isEqualTo(2);

        held.get(0).release(Signal.ERROR);
        FakeClock.awaitTrue(() -> got.get() == 1 && ac.waiting() == 2);
        assertThat(ac.inFlight()).isEqualTo(2);

        held.get(1).release(Signal.OK);
        FakeClock.awaitTrue(() -> got.get() == 2 && ac.waiting() == 1);
        assertThat(ac.inFlight()).isEqualTo(2);

        late.getFirst().release(Signal.OK);
        FakeClock.awaitTrue(() -> got.get() == 3);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(ac.inFlight()).isEqualTo(2);
        assertThat(ac.waiting()).isZero();
    }

    @Test
    void aCutHoldsNewAcquirersUntilInFlightDropsBelowTheNewLimit() throws Exception {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(4);
        List<Permit> held = acquire(ac, 4);
        held.get(0).release(Signal.OVERLOADED);
        assertThat(ac.limit()).isEqualTo(2);
        AtomicInteger got = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                ac.acquire();
                got.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FakeClock.awaitTrue(() -> ac.waiting() == 1);
        held.get(1).release(Signal.ERROR);
        assertThat(ac.inFlight()).isEqualTo(2);
        assertThat(got).as("2 in flight at a limit of 2: still blocked").hasValue(0);
        held.get(2).release(Signal.ERROR);
        t.join();
        assertThat(got).hasValue(1);
        assertThat(ac.inFlight()).isEqualTo(2);
    }

    @Test
    void growthWakesAsManyWaitersAsTheNewLimitAllows() throws Exception {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(3, 1);
        Permit first = ac.acquire();
        AtomicInteger got = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    ac.acquire();
                    got.incrementAndGet();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        FakeClock.awaitTrue(() -> ac.waiting() == 2);
        first.release(Signal.OK);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(ac.limit()).isEqualTo(2);
        assertThat(got).hasValue(2);
    }

    @Test
    void anInterruptedAcquirerTakesNoSlot() throws Exception {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(1);
        Permit held = ac.acquire();
        AtomicInteger interrupted = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                ac.acquire();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        FakeClock.awaitTrue(() -> ac.waiting() == 1);
        t.interrupt();
        t.join();
        assertThat(interrupted).hasValue(1);
        assertThat(ac.inFlight()).isEqualTo(1);
        held.release(Signal.OK);
        assertThat(ac.inFlight()).isZero();
    }

    @Test
    void aPermitIsReleasedOnceAndCloseIsASafetyNet() throws InterruptedException {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(4);
        Permit p = ac.acquire();
        p.release(Signal.OK);
        assertThatThrownBy(() -> p.release(Signal.OK)).isInstanceOf(IllegalStateException.class);
        p.close();
        assertThat(ac.inFlight()).isZero();
        try (Permit q = ac.acquire()) {
            assertThat(ac.inFlight()).isEqualTo(1);
            assertThat(q).isNotNull();
        }
        assertThat(ac.inFlight()).isZero();
        assertThat(ac.limit()).isEqualTo(4);
    }

    @Test
    void manyThreadsKeepTheBooksBalanced() throws Exception {
        AdaptiveConcurrency ac = new AdaptiveConcurrency(8);
        AtomicInteger maxSeen = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    Permit p = ac.acquire();
                    maxSeen.accumulateAndGet(ac.inFlight(), Math::max);
                    p.release(n % 10 == 0 ? Signal.OVERLOADED : Signal.OK);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(ac.inFlight()).isZero();
        assertThat(maxSeen.get()).isBetween(1, 8);
        assertThat(ac.limit()).isBetween(1, 8);
    }

    private static List<Permit> acquire(AdaptiveConcurrency ac, int n) throws InterruptedException {
        List<Permit> permits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            permits.add(ac.acquire());
        }
        return permits;
    }
}
