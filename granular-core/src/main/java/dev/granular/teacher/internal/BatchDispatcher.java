package dev.granular.teacher.internal;

import dev.granular.teacher.AuthenticationException;
import dev.granular.teacher.BatchSettings;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Sends {@link LlmClient#complete} requests through a provider's batch API ({@code --batch}): callers keep calling
 * {@link #complete} from their worker threads and block; this collects their requests into batches (a full batch goes
 * at once, else what has queued goes after {@link BatchSettings#linger} without a new request), submits them, polls
 * them with backoff, and completes each caller from the results, matched by custom id, which is the request's
 * {@link CacheKey} (never by order). Callers asking the same request share one entry, as they share one cached reply.
 *
 * <p><b>What is retried.</b> A request a batch did not answer (the batch expired or was cancelled, a server error or
 * a rate limit inside it, a result missing from its files) goes into a new batch, at most
 * {@code maxRetries + 1} submissions in all; one the provider refused (400, {@code invalid_request_error}) fails like
 * a real-time 400. A submission answered 429 or 5xx, or lost on the network, is tried again with backoff; 401/403
 * stops the run ({@link AuthenticationException}).
 *
 * <p><b>Durable.</b> Every accepted batch is in the {@link BatchJournal} before anything else happens to it. Each
 * result is journalled in the paid replies (with {@code "batch": true}, at the batch price) and put in the response
 * cache before its caller hears of it, and the batch is marked downloaded only after its last result. A dispatcher
 * that starts on a journal with open batches of its model follows them (polls, downloads) and never submits their
 * requests again: a caller asking one of them waits for that batch. A download cut short is read again from the start;
 * replies already journalled are not journalled (or counted) twice.
 *
 * <p><b>Budget.</b> Before a batch is submitted its worst case (every request's estimated prompt plus its
 * {@code max_tokens}, at the batch price) is booked with the {@link CostMeter}; when that would pass
 * {@code --max-cost} the batch is not submitted and its requests fail as {@link Outcome.FailureKind#BUDGET}, which
 * stops the run cleanly (exit 3). The booking is released when the batch's results are in.
 *
 * <p>One dispatcher serves every client of one model on one journal in a process ({@link #acquire}).
 */
public final class BatchDispatcher {
    private static final Map<String, BatchDispatcher> SHARED = new HashMap<>();

    private final String sharedKey;
    private final ModelSpec spec;
    private final BatchApi api;
    private final WireFormat wire;
    private final BatchSettings settings;
    private final BatchJournal journal;
    private final ResponseCache cache;
    private final PaidReplies replies;
    private final CostMeter meter;
    /** Each client's {@link LlmClient#stop}: a dispatcher shared by clients stops them all. */
    private final List<Consumer<RuntimeException>> onStop = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int maxSubmissions;
    private final int maxRequests;
    private final long maxBytes;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private final Map<String, Pending> pending = new HashMap<>();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private long lastEnqueue;
    private long firstQueued;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private volatile RuntimeException stopped;
    private int users;
    private final AtomicLong submittedBatches = new AtomicLong();

    /** One request waiting for a batch: by custom id; {@code request} is null for one found open in the journal. */
    private static final class Pending {
        final String key;
        final CompletableFuture<Outcome> future = new CompletableFuture<>();
        ChatRequest request;
        int submissions;
        boolean queued;
        String batch;

        Pending(String key) {
            this.key = key;
        }
    }

    private BatchDispatcher(String sharedKey, ModelSpec spec, BatchApi api, BatchSettings settings, BatchJournal journal,
                            ResponseCache cache, PaidReplies replies, CostMeter meter, int maxRetries) {
        this.sharedKey = sharedKey;
        this.spec = spec;
        this.api = api;
        this.wire = WireFormat.of(spec.provider());
        this.settings = settings;
        this.journal = journal;
        this.cache = cache;
        this.replies = replies;
        this.meter = meter;
        this.maxSubmissions = maxRetries + 1;
        this.maxRequests = settings.maxRequests() > 0 ? Math.min(settings.maxRequests(), api.maxRequests()) : api.maxRequests();
        this.maxBytes = settings.maxBytes() > 0 ? Math.min(settings.maxBytes(), api.maxBytes()) : api.maxBytes();
    }

    /**
     * The dispatcher of {@code spec} on {@code journalFile}, started (and following the journal's open batches of
     * {@code spec}) by the first client to ask; {@link #release} by each.
     */
    static BatchDispatcher acquire(ModelSpec spec, Optional<Secret> key, BatchSettings settings, Path journalFile,
                                   ResponseCache cache, PaidReplies replies, CostMeter meter, int maxRetries, Duration timeout,
                                   Consumer<RuntimeException> onStop) {
        String shared = journalFile.toAbsolutePath().normalize() + "|" + spec;
        synchronized (SHARED) {
            BatchDispatcher d = SHARED.get(shared);
            if (d == null) {
                BatchJournal journal = BatchJournal.acquire(journalFile);
                try {
                    d = new BatchDispatcher(shared, spec, BatchApi.of(spec, key, timeout), settings, journal, cache, replies,
                            meter, maxRetries);
                } catch (RuntimeException e) {
                    journal.release();
                    throw e;
                }
                d.start();
                SHARED.put(shared, d);
            }
            d.onStop.add(onStop);
            d.users++;
            return d;
        }
    }

    /** Stops this dispatcher after its last client: batches still open stay in the journal for the next run. */
    void release() {
        synchronized (SHARED) {
            if (--users > 0) {
                return;
            }
            SHARED.remove(sharedKey);
        }
        closed.countDown();
        lock.lock();
        try {
            queued.signalAll();
        } finally {
            lock.unlock();
        }
        api.close(); // aborts exchanges in flight
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        journal.release();
    }

    private void start() {
        for (BatchJournal.Open open : journal.open(spec.toString())) {
            List<String> ids = new ArrayList<>();
            for (String id : open.ids()) {
                if (!pending.containsKey(id)) {
                    Pending p = new Pending(id);
                    p.batch = open.batchId();
                    p.submissions = 1;
                    pending.put(id, p);
                    ids.add(id);
                }
            }
            progress("batch " + open.batchId() + ": resumed (" + open.ids().size() + " requests submitted by an earlier attempt)");
            // Submitted, so it will be paid for: booked at its worst case even past the budget, so that new batches see it.
            CostMeter.Reservation booked = meter.reserveBatch(spec, open.promptTokens(), open.maxCompletionTokens(), true)
                    .orElse(null);
            spawn("granular-batch-" + open.batchId(), () -> follow(open.batchId(), ids, booked, Duration.ZERO));
        }
        spawn("granular-batch-collector", this::collect);
    }

    private void spawn(String name, Runnable r) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                stop(e);
            }
        });
        synchronized (threads) {
            threads.add(t);
        }
        t.start();
    }

    /**
     * The reply to {@code request} (custom id {@code key}) from a batch, or why there is none. Blocks.
     *
     * @throws RuntimeException the reason the run was stopped (e.g. {@link AuthenticationException})
     */
    Outcome complete(ChatRequest request, String key) throws InterruptedException {
        CompletableFuture<Outcome> f;
        lock.lock();
        try {
            if (stopped != null) {
                throw stopped;
            }
            Pending p = pending.computeIfAbsent(key, Pending::new);
            if (p.request == null) {
                p.request = request;
            }
            if (p.batch == null && !p.queued) {
                enqueue(p);
            }
            f = p.future;
        } finally {
            lock.unlock();
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Guarded by the lock. */
    private void enqueue(Pending p) {
        long now = System.nanoTime();
        if (queue.isEmpty()) {
            firstQueued = now;
        }
        lastEnqueue = now;
        p.queued = true;
        queue.add(p);
        queued.signalAll();
    }

    /** Forms batches from the queue: a full one at once, else what there is after a quiet linger (or 10 lingers). */
    private void collect() {
        long linger = settings.linger().toNanos();
        while (closed.getCount() > 0) {
            List<Pending> drained = new ArrayList<>();
            lock.lock();
            try {
                while (queue.isEmpty() && closed.getCount() > 0) {
                    queued.await();
                }
                while (closed.getCount() > 0 && queue.size() < maxRequests) {
                    long now = System.nanoTime();
                    long wait = Math.min(lastEnqueue + linger - now, firstQueued + 10 * linger - now);
                    if (wait <= 0) {
                        break;
                    }
                    queued.awaitNanos(wait);
                }
                if (closed.getCount() == 0) {
                    return;
                }
                while (!queue.isEmpty() && drained.size() < maxRequests) {
                    Pending p = queue.poll();
                    p.queued = false;
                    drained.add(p);
                }
                if (!queue.isEmpty()) {
                    firstQueued = System.nanoTime();
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            split(drained);
        }
    }

    /** Cuts {@code drained} into batches within the byte limit and starts each. */
    private void split(List<Pending> drained) {
        List<Pending> members = new ArrayList<>();
        List<String> items = new ArrayList<>();
        long bytes = 64; // the wrapper: {"requests":[ ... ]} or the multipart head and tail
        long limit = maxBytes - 1024;
        for (Pending p : drained) {
            String item = api.item(p.key, wire.body(spec, p.request));
            long size = item.getBytes(StandardCharsets.UTF_8).length + 1;
            if (size + 64 > limit) {
                finish(p, new Outcome.Failed(Outcome.FailureKind.CLIENT_ERROR, "the request is larger (" + size
                        + " bytes) than a whole batch may be (" + maxBytes + " bytes)", 0, p.submissions));
                continue;
            }
            if (bytes + size > limit && !members.isEmpty()) {
                launch(members, items);
                members = new ArrayList<>();
                items = new ArrayList<>();
                bytes = 64;
            }
            members.add(p);
            items.add(item);
            bytes += size;
        }
        if (!members.isEmpty()) {
            launch(members, items);
        }
    }

    private void launch(List<Pending> members, List<String> items) {
        lock.lock();
        try {
            for (Pending p : members) {
                p.batch = "(submitting)"; // not queued again while this batch is being submitted
            }
        } finally {
            lock.unlock();
        }
        spawn("granular-batch-submit", () -> submit(members, items));
    }

    private void submit(List<Pending> members, List<String> items) {
        long prompt = 0;
        long completion = 0;
        for (Pending p : members) {
            prompt += p.request.estimatedPromptTokens();
            Integer max = p.request.params().maxTokens();
            completion += max != null ? max : AnthropicWire.DEFAULT_MAX_TOKENS;
        }
        CostMeter.Reservation booked = meter.reserveBatch(spec, prompt, completion, false).orElse(null);
        if (booked == null) {
            progress("batch of " + members.size() + " requests not submitted: the --max-cost budget would be exceeded");
            for (Pending p : members) {
                finish(p, new Outcome.Failed(Outcome.FailureKind.BUDGET, "the --max-cost budget would be exceeded by the next "
                        + "batch (counted at its maximum cost)", 0, p.submissions));
            }
            return;
        }
        String id;
        Duration wait = Duration.ofSeconds(1).compareTo(settings.maxPollInterval()) > 0 ? settings.maxPollInterval()
                : Duration.ofSeconds(1);
        for (int attempt = 1; ; attempt++) {
            try {
                id = api.submit(items);
                break;
            } catch (BatchHttp.StatusException e) {
                Classification c = RetryPolicy.classify(e.status);
                if (c == Classification.AUTH) {
                    meter.release(booked);
                    stop(new AuthenticationException("model " + spec + " answered " + e.getMessage() + " to a batch (check the key in "
                            + spec.apiKeyEnv() + "); the run stopped"));
                    return;
                }
                if (c == Classification.FAIL || attempt > maxSubmissions + 8) {
                    meter.release(booked);
                    for (Pending p : members) {
                        finish(p, new Outcome.Failed(c == Classification.FAIL ? Outcome.FailureKind.CLIENT_ERROR
                                : Outcome.FailureKind.RETRIES_EXHAUSTED, "the batch was refused: " + e.getMessage(), e.status,
                                p.submissions));
                    }
                    return;
                }
                Duration after = RetryPolicy.retryAfter(e.reply, Clock.SYSTEM).orElse(wait);
                progress("batch of " + members.size() + " requests: " + e.getMessage() + "; submitting again in " + after.toMillis() + " ms");
                if (!sleep(after)) {
                    meter.release(booked);
                    return;
                }
                wait = min(wait.multipliedBy(2), settings.maxPollInterval().multipliedBy(4));
            } catch (IOException e) {
                if (!sleep(wait)) {
                    meter.release(booked);
                    return;
                }
                wait = min(wait.multipliedBy(2), settings.maxPollInterval().multipliedBy(4));
            } catch (InterruptedException e) {
                meter.release(booked);
                return;
            }
        }
        items.clear(); // uploaded: the bodies need not wait hours for the results in memory
        List<String> ids = new ArrayList<>(members.size());
        members.forEach(p -> ids.add(p.key));
        journal.submitted(spec.toString(), id, ids, prompt, completion);
        submittedBatches.incrementAndGet();
        lock.lock();
        try {
            for (Pending p : members) {
                p.batch = id;
                p.submissions++;
            }
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < members.size(); i++) {
            meter.attempted(spec);
        }
        progress("batch " + id + " (" + spec + "): submitted " + members.size() + " requests");
        follow(id, ids, booked, settings.pollInterval());
    }

    /** Polls batch {@code id} until it ends, then reads its results; {@code first} is the wait before the first poll. */
    private void follow(String id, List<String> ids, CostMeter.Reservation booked, Duration first) {
        Duration wait = first;
        String last = null;
        BatchApi.Status status;
        while (true) {
            if (!sleep(wait)) {
                return;
            }
            wait = min(wait.isZero() ? settings.pollInterval() : wait.multipliedBy(2), settings.maxPollInterval());
            try {
                status = api.poll(id);
            } catch (BatchHttp.StatusException e) {
                if (RetryPolicy.classify(e.status) == Classification.AUTH) {
                    stop(new AuthenticationException("model " + spec + " answered " + e.getMessage() + " when polling batch " + id
                            + " (check the key in " + spec.apiKeyEnv() + "); the run stopped"));
                    return;
                }
                if (e.status == 404) {
                    // The provider does not know it (another account, deleted): its requests are asked again.
                    journal.downloaded(id, 0, 0, ids.size());
                    release(booked);
                    for (String k : ids) {
                        retry(k, "batch " + id + " is unknown to the provider (" + e.getMessage() + ")");
                    }
                    return;
                }
                continue;
            } catch (IOException e) {
                continue;
            } catch (InterruptedException e) {
                return;
            }
            if (!status.state().equals(last)) {
                last = status.state();
                journal.status(id, status.state(), status.counts());
                progress("batch " + id + ": " + status.state() + ", " + status.counts());
            }
            if (status.ended()) {
                break;
            }
        }
        download(status, ids, booked);
    }

    private void download(BatchApi.Status status, List<String> ids, CostMeter.Reservation booked) {
        Set<String> members = new HashSet<>(ids);
        Set<String> seen = new HashSet<>();
        long[] counts = new long[3];
        Duration wait = settings.pollInterval();
        while (true) {
            seen.clear();
            counts[0] = counts[1] = counts[2] = 0;
            try {
                api.results(status, r -> {
                    if (r.customId() == null || !members.contains(r.customId()) || !seen.add(r.customId())) {
                        return; // not one of ours, or a repeated line: the first result of an id counts
                    }
                    counts[result(r, status.id())]++;
                });
                break;
            } catch (BatchHttp.StatusException e) {
                if (RetryPolicy.classify(e.status) == Classification.AUTH) {
                    stop(new AuthenticationException("model " + spec + " answered " + e.getMessage() + " when reading batch "
                            + status.id() + "'s results; the run stopped"));
                    return;
                }
            } catch (IOException e) {
                // read again from the start: results already journalled are recognised
            } catch (InterruptedException e) {
                return;
            }
            if (!sleep(wait)) {
                return;
            }
            wait = min(wait.multipliedBy(2), settings.maxPollInterval());
        }
        String why = status.failure().map(f -> "batch " + status.id() + " failed: " + f)
                .orElse("batch " + status.id() + " (" + status.state() + ") returned no result for it");
        for (String k : ids) {
            if (!seen.contains(k)) {
                retry(k, why);
                counts[2]++;
            }
        }
        journal.downloaded(status.id(), counts[0], counts[1], counts[2]);
        release(booked);
        progress("batch " + status.id() + ": downloaded " + counts[0] + " replies, " + counts[1] + " failed, " + counts[2]
                + " to ask again");
    }

    /** Handles one result; returns 0 (a reply), 1 (failed) or 2 (asked again). */
    private int result(BatchApi.Result r, String batch) {
        String key = r.customId();
        switch (r.kind()) {
            case OK -> {
                Completion c;
                try {
                    c = wire.parse(r.body());
                } catch (MalformedReplyException e) {
                    retry(key, "batch " + batch + ": " + e.getMessage());
                    return 2;
                }
                ChatRequest req = request(key);
                boolean valid = req == null || req.jsonSchema() == null
                        || new StructuredOutput(req.jsonSchema()).problems(c.text()).isEmpty();
                // A download cut short by a crash is read again: a reply journalled then is not paid for twice.
                if (!valid || replies.get(key).isEmpty()) {
                    try {
                        replies.paidBatch(valid ? key : null, spec, c.usage(), meter.batchCostUsd(spec, c.usage()), r.body());
                    } catch (RuntimeException e) {
                        stop(e);
                        throw e;
                    }
                    meter.recordBatch(spec, c.usage());
                }
                if (valid) {
                    cache.put(key, spec.model(), r.body());
                }
                finish(key, new Outcome.Ok(c, r.body(), 0, false, submissions(key)));
                return 0;
            }
            case FAILED -> {
                finish(key, new Outcome.Failed(Outcome.FailureKind.CLIENT_ERROR, r.message(), r.status(), submissions(key)));
                return 1;
            }
            case RETRY -> {
                retry(key, "batch " + batch + ": " + r.message());
                return 2;
            }
        }
        throw new AssertionError(r.kind());
    }

    private ChatRequest request(String key) {
        lock.lock();
        try {
            Pending p = pending.get(key);
            return p == null ? null : p.request;
        } finally {
            lock.unlock();
        }
    }

    private int submissions(String key) {
        lock.lock();
        try {
            Pending p = pending.get(key);
            return p == null ? 1 : p.submissions;
        } finally {
            lock.unlock();
        }
    }

    /** Asks {@code key} again in a new batch, or fails it when it has had its submissions. */
    private void retry(String key, String why) {
        Pending fail = null;
        lock.lock();
        try {
            Pending p = pending.get(key);
            if (p == null) {
                return;
            }
            if (p.request == null) {
                pending.remove(key); // found in the journal, nobody asks for it now: a later caller submits it afresh
                return;
            }
            if (p.submissions >= maxSubmissions) {
                fail = p;
            } else {
                p.batch = null;
                enqueue(p);
            }
        } finally {
            lock.unlock();
        }
        if (fail != null) {
            finish(fail, new Outcome.Failed(Outcome.FailureKind.RETRIES_EXHAUSTED, why + " (after " + fail.submissions
                    + " batches)", 0, fail.submissions));
        }
    }

    private void finish(String key, Outcome o) {
        Pending p;
        lock.lock();
        try {
            p = pending.remove(key);
        } finally {
            lock.unlock();
        }
        if (p != null) {
            p.future.complete(o);
        }
    }

    private void finish(Pending p, Outcome o) {
        lock.lock();
        try {
            pending.remove(p.key, p);
        } finally {
            lock.unlock();
        }
        p.future.complete(o);
    }

    private void release(CostMeter.Reservation booked) {
        if (booked != null) {
            meter.release(booked);
        }
    }

    /** Stops the run: every waiting caller throws {@code why}. */
    private void stop(RuntimeException why) {
        List<Pending> all;
        lock.lock();
        try {
            if (stopped == null) {
                stopped = why;
            }
            all = new ArrayList<>(pending.values());
        } finally {
            lock.unlock();
        }
        for (Pending p : all) {
            p.future.completeExceptionally(stopped);
        }
        for (Consumer<RuntimeException> s : onStop) {
            s.accept(stopped);
        }
    }

    /** Sleeps {@code d}; false when the dispatcher closed meanwhile. */
    private boolean sleep(Duration d) {
        try {
            return !closed.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return false;
        }
    }

    private void progress(String line) {
        settings.progress().accept(line);
    }

    /** Batches this dispatcher submitted. */
    long submittedBatches() {
        return submittedBatches.get();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
