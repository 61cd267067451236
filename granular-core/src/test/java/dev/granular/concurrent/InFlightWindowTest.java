package dev.granular.concurrent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The window shared by the teacher jobs: never more rows in flight than its size, a failure or a stop ends the
 * sending (and is counted), the first failure is rethrown once every task has ended, and interrupts are not lost.
 * The timeouts only keep a broken window from hanging the build; nothing here asserts how long anything takes.
 */
@Timeout(60)
class InFlightWindowTest {
    private static final int SIZE = 4;

    private static List<Integer> items(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    /** Each task waits at a barrier of SIZE parties, so the window is filled, and counts who runs at once. */
    private static InFlightWindow.Work<Integer> countingConcurrency(AtomicInteger running, AtomicInteger max,
                                                                   AtomicInteger ran) {
        CyclicBarrier full = new CyclicBarrier(SIZE);
        return item -> {
            max.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                full.await();
            } catch (java.util.concurrent.BrokenBarrierException e) {
                throw new IllegalStateException(e);
            } finally {
                running.decrementAndGet();
                ran.incrementAndGet();
            }
        };
    }

    @Test
    void neverRunsMoreThanItsSizeAtOnceAndFillsIt() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        InFlightWindow.of(SIZE).run(items(SIZE * 50), i -> false, countingConcurrency(running, max, ran));
        assertThat(max).as("most rows in flight at once").hasValue(SIZE);
        assertThat(ran).hasValue(SIZE * 50);
    }

    @Test
    void theUninterruptibleFlavourKeepsTheSameWindow() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        InFlightWindow.of(SIZE).<Integer>runUninterruptibly(items(SIZE * 50)::forEach, i -> false,
                countingConcurrency(running, max, ran));
        assertThat(max).as("most rows in flight at once").hasValue(SIZE);
        assertThat(ran).hasValue(SIZE * 50);
    }

    @Test
    void theFirstFailureStopsTheSendingCountsTheRestAndIsRethrown() {
        RuntimeException boom = new IllegalStateException("the journal cannot be written");
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger notSent = new AtomicInteger();
        List<RuntimeException> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        InFlightWindow window = InFlightWindow.of(1).countingNotSent(notSent::incrementAndGet).onFailure(told::add);
        AtomicInteger endedWhenThrown = new AtomicInteger(-1);
        assertThatThrownBy(() -> {
            try {
                // Row 0 is in the journal already: skipped, and not counted as held back.
                window.run(items(10), i -> i == 0, i -> {
                    started.add(i);
                    try {
                        if (i == 1) {
                            throw boom;
                        }
                        if (i > 1) {
                            throw new IllegalArgumentException("a later failure is not the one rethrown");
                        }
                    } finally {
                        ended.incrementAndGet();
                    }
                });
            } finally {
                endedWhenThrown.set(ended.get());
            }
        }).isSameAs(boom);
        // Row 2 may have been waiting for the permit when row 1 failed (the stop is checked before the wait); no row
        // after it is sent.
        assertThat(started).contains(1).isSubsetOf(1, 2);
        assertThat(notSent).as("rows held back").hasValue(9 - started.size());
        assertThat(endedWhenThrown).as("tasks ended when the failure was rethrown").hasValue(started.size());
        assertThat(told).first().isSameAs(boom);
    }

    @Test
    void aStopSaysSoBeforeEachRowAndCountsWhatItHoldsBack() throws Exception {
        AtomicBoolean budgetSpent = new AtomicBoolean();
        AtomicInteger notSent = new AtomicInteger();
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        InFlightWindow.of(1).stoppingWhen(budgetSpent::get).countingNotSent(notSent::incrementAndGet)
                .run(items(10), i -> false, i -> {
                    started.add(i);
                    if (i == 3) {
                        budgetSpent.set(true);
                    }
                });
        assertThat(started).contains(0, 1, 2, 3).isSubsetOf(0, 1, 2, 3, 4);
        assertThat(notSent).hasValue(10 - started.size());
    }

    @Test
    void returnsOnlyOnceEveryTaskHasEnded() throws Exception {
        int n = 8;
        AtomicInteger started = new AtomicInteger();
        AtomicInteger ended = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        Thread caller = Thread.currentThread();
        // Every row is in flight and the caller waits: only then do the rows end.
        Thread releaser = Thread.ofPlatform().start(() -> {
            while (started.get() < n || !waiting(caller)) {
                Thread.onSpinWait();
            }
            release.countDown();
        });
        InFlightWindow.of(n).run(items(n), i -> false, i -> {
            started.incrementAndGet();
            release.await();
            ended.incrementAndGet();
        });
        int endedAtReturn = ended.get();
        release.countDown();
        releaser.join();
        assertThat(endedAtReturn).isEqualTo(n);
    }

    @Test
    void anInterruptWhileWaitingForAPermitStopsTheSendingAndIsThrownAfterTheTasksEnd() throws Exception {
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger endedWhenThrown = new AtomicInteger(-1);
        Throwable thrown = interruptedWhileWaiting(started, work -> {
            try {
                InFlightWindow.of(1).run(items(5), i -> false, i -> {
                    try {
                        work.run(i);
                    } finally {
                        ended.incrementAndGet();
                    }
                });
            } finally {
                endedWhenThrown.set(ended.get());
            }
        });
        assertThat(thrown).isInstanceOf(InterruptedException.class);
        assertThat(started).containsExactly(0);
        assertThat(endedWhenThrown).as("row 0 ended before the interrupt was thrown").hasValue(1);
    }

    @Test
    void theUninterruptibleFlavourSendsOnAndLeavesTheInterruptSet() throws Exception {
        Set<Integer> started = ConcurrentHashMap.newKeySet();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Throwable thrown = interruptedWhileWaiting(started, work -> {
            InFlightWindow.of(1).<Integer>runUninterruptibly(items(3)::forEach, i -> false, work);
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        assertThat(thrown).isNull();
        assertThat(started).as("the rows after the interrupt were still sent").containsExactlyInAnyOrder(0, 1, 2);
        assertThat(interruptedAfter).as("the interrupt is still set when it returns").isTrue();
    }

    /** A run of a window of 1, given the work of its rows. */
    @FunctionalInterface
    private interface Submitter {
        void submit(InFlightWindow.Work<Integer> work) throws Exception;
    }

    /**
     * Runs {@code submitter} on a thread of its own with work that records each row in {@code started} and holds
     * row 0 (and so the only permit); interrupts that thread once it waits to send row 1, then lets row 0 end.
     * Returns what the submitter threw, or null.
     */
    private static Throwable interruptedWhileWaiting(Set<Integer> started, Submitter submitter)
            throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                submitter.submit(i -> {
                    started.add(i);
                    if (i == 0) {
                        release.await();
                    }
                });
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        while (!started.contains(0) || !waiting(thread)) {
            Thread.onSpinWait();
        }
        thread.interrupt();
        release.countDown();
        thread.join();
        return thrown.get();
    }

    private static boolean waiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }
}
