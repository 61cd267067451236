package dev.granular.teacher.testserver;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Ready-made scripts for {@link FakeLlmServer#script}. Each call returns a fresh script with its own counters. */
public final class Scripts {
    private Scripts() {
    }

    /** Replies with the last user message, verbatim. */
    public static Function<ReceivedRequest, Reply> echo() {
        return r -> Reply.text(r.lastUserMessage());
    }

    /** The replies in order, one per request across the whole server; the last one repeats forever. */
    public static Function<ReceivedRequest, Reply> sequence(Reply... replies) {
        if (replies.length == 0) {
            throw new IllegalArgumentException("sequence needs at least one reply");
        }
        List<Reply> list = List.of(replies);
        AtomicInteger next = new AtomicInteger();
        return r -> list.get(Math.min(next.getAndIncrement(), list.size() - 1));
    }

    /**
     * For each distinct prompt ({@link ReceivedRequest#promptKey()}), its first {@code n} attempts
     * get {@code fault} and later ones {@code then}: a retry loop must succeed on attempt n + 1 for
     * every prompt, however requests interleave.
     */
    public static Function<ReceivedRequest, Reply> failFirst(int n, Reply fault, Reply then) {
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        return r -> attempts.computeIfAbsent(r.promptKey(), k -> new AtomicInteger()).getAndIncrement() < n
                ? fault : then;
    }

    /** {@code text} after {@code latency}, for every request: the throughput benchmark's server. */
    public static Function<ReceivedRequest, Reply> fixedLatency(Duration latency, String text) {
        Reply reply = Reply.text(text).delay(latency);
        return r -> reply;
    }

    /**
     * Holds every request until {@code n} requests have arrived (or {@code maxWait} has passed for
     * it), then answers {@code then}. A concurrency check that does not depend on the machine's
     * speed: if the client really has {@code n} requests in flight, all are released together, and
     * {@link FakeLlmServer#maxInFlight()} reaches {@code n}; if it caps them lower, each request
     * waits {@code maxWait} and the high-water mark shows the cap.
     */
    public static Function<ReceivedRequest, Reply> gathered(int n, Duration maxWait, Reply then) {
        CountDownLatch arrived = new CountDownLatch(n);
        return r -> {
            arrived.countDown();
            try {
                arrived.await(maxWait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return then;
        };
    }
}
