package dev.granular.concurrent;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Close returns only when every worker has returned; queued tasks never start. */
class WorkerPoolTest {

    @Test
    void closeWaitsForARunningTaskThatIgnoresInterruptsAndDropsQueuedOnes() throws Exception {
        AtomicInteger clock = new AtomicInteger();
        AtomicInteger taskEnded = new AtomicInteger();
        AtomicInteger closeReturned = new AtomicInteger();
        AtomicInteger queuedRan = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WorkerPool pool = WorkerPool.platform(1, "test-worker");
        pool.submit(() -> {
            started.countDown();
            // Like a native call: an interrupt does not stop it.
            boolean done = false;
            while (!done) {
                try {
                    release.await();
                    done = true;
                } catch (InterruptedException e) {
                    // keep waiting
                }
            }
            taskEnded.set(clock.incrementAndGet());
            return null;
        });
        Future<?> queued = pool.submit(() -> queuedRan.incrementAndGet());
        started.await();
        Thread closer = Thread.ofPlatform().start(() -> {
            pool.close();
            closeReturned.set(clock.incrementAndGet());
        });
        // Release the task only once close is under way: it has returned already, or it waits for the task.
        while (closer.isAlive() && closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join();
        assertThat(closeReturned.get()).as("close returned after the running task ended").isGreaterThan(taskEnded.get());
        assertThat(taskEnded.get()).isPositive();
        assertThat(queuedRan).as("the queued task never started").hasValue(0);
        assertThat(queued.isDone()).isFalse();
    }

    @Test
    void closeKeepsWaitingWhenTheClosingThreadIsInterruptedAndRestoresTheFlag() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger taskEnded = new AtomicInteger();
        WorkerPool pool = WorkerPool.platform(1, "test-worker");
        pool.submit(() -> {
            started.countDown();
            while (true) {
                try {
                    release.await();
                    break;
                } catch (InterruptedException e) {
                    // keep waiting
                }
            }
            taskEnded.set(1);
            return null;
        });
        started.await();
        boolean[] interruptedAfter = new boolean[1];
        int[] endedWhenClosed = new int[1];
        Thread closer = Thread.ofPlatform().start(() -> {
            pool.close();
            endedWhenClosed[0] = taskEnded.get();
            interruptedAfter[0] = Thread.currentThread().isInterrupted();
        });
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        closer.interrupt();
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive()) {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join();
        assertThat(endedWhenClosed[0]).as("close returned only after the task ended").isEqualTo(1);
        assertThat(interruptedAfter[0]).as("the interrupt is kept for the caller").isTrue();
    }
}
