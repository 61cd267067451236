package dev.granular.teacher.internal;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.AuthenticationException;
import dev.granular.teacher.BatchSettings;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import dev.granular.teacher.UnreachableServerException;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One model, reached safely: the single place every design's LLM calls go through.
 *
 * <p>{@link #complete} blocks and is meant to be called from many virtual threads at once.
 * For each request it: serves it from the {@link ResponseCache} when it can (a request whose key another caller
 * is sending waits for that reply, so one key is never paid for twice at once); waits while the
 * {@link CircuitBreaker} is open (a server that keeps failing pauses everyone instead of
 * burning every row's retries); reserves its worst-case cost with the {@link CostMeter}
 * (a budget stops new requests cleanly); takes an {@link AdaptiveConcurrency} permit (AIMD:
 * halved on 429, grown on success) and a {@link RateLimiter} slot (requests and tokens per
 * minute, Retry-After, rate-limit headers); sends; then classifies the reply: retry with
 * jittered exponential backoff (429, 5xx, timeouts, connection errors, malformed or truncated
 * bodies), fail the row (400/404/422), or stop the run (401/403). A reply that must satisfy a
 * JSON Schema and does not is re-asked with the validation errors shown to the model. Only
 * valid replies are cached. No API key ever reaches a message, a log or the cache.
 *
 * <p><b>Stopping the run.</b> Some failures mean no request can succeed: 401/403 (a wrong key), a server that
 * refuses connections before it ever answered (a wrong URL, a server not started), or a disk that cannot hold
 * the replies. Then the client {@linkplain #stop stops}: the first caller to see it stops the run, every caller
 * inside {@link #complete} (in flight, waiting for a permit, the breaker or a backoff) is interrupted and throws
 * that same exception, and every later call throws it before sending. So a run with a wrong key sends at most
 * the requests already in flight, instead of retrying every row through the breaker's cooldowns. A reply that
 * had already arrived is still returned (it was paid for), never dropped.
 *
 * <p><b>Paid replies.</b> With a {@link PaidReplies} store (an output folder's journal of replies), every billable
 * reply goes there first, with its usage and cost, before it is validated, cached or turned into a record; a
 * later request with the same {@link CacheKey} is served from it, with or without the response cache.
 */
public final class LlmClient implements AutoCloseable {

    private final ModelSpec spec;
    private final Optional<Secret> key;
    private final WireFormat wire;
    private final Transport transport;
    private final ClientLimits limits;
    private final ResponseCache cache;
    private final CostMeter meter;
    private final Clock clock;
    private final RetryPolicy retry;
    private final RateLimiter rate;
    private final AdaptiveConcurrency aimd;
    private final CircuitBreaker breaker;
    private final PaidReplies replies;
    /** Where requests go in batch mode ({@code --batch}), else null. */
    private final BatchDispatcher batch;
    /** Threads inside {@link #complete}, interrupted by {@link #stop}; changed only under {@code callersLock}. */
    private final Set<Thread> callers = new HashSet<>();
    private final ReentrantLock callersLock = new ReentrantLock();
    /** The keys being sent now (with a cache or paid replies), each by one caller; see {@link #complete}. */
    private final ConcurrentHashMap<String, Sending> sending = new ConcurrentHashMap<>();
    private volatile RuntimeException stopped;
    /** Whether the server has answered at all (any HTTP status): a refused connection before that is a wrong URL. */
    private volatile boolean answered;

    public LlmClient(ModelSpec spec, Optional<Secret> key, Transport transport, ClientLimits limits, ResponseCache cache,
                     CostMeter meter, Clock clock, RetryPolicy retry, CircuitBreaker breaker) {
        this(spec, key, transport, limits, cache, meter, clock, retry, breaker, PaidReplies.NONE);
    }

    public LlmClient(ModelSpec spec, Optional<Secret> key, Transport transport, ClientLimits limits, ResponseCache cache,
                     CostMeter meter, Clock clock, RetryPolicy retry, CircuitBreaker breaker, PaidReplies replies) {
        this.replies = replies;
        this.spec = spec;
        this.key = key;
        this.wire = WireFormat.of(spec.provider());
        this.transport = transport;
        this.limits = limits;
        this.cache = cache;
        this.meter = meter;
        this.clock = clock;
        this.retry = retry;
        this.rate = new RateLimiter(limits.rpm(), limits.tpm(), clock);
        this.aimd = new AdaptiveConcurrency(limits.concurrency());
        this.breaker = breaker;
        this.batch = limits.batch() == null ? null : BatchDispatcher.acquire(spec, key, limits.batch(),
                batchJournal(limits.batch(), replies), cache, replies, meter, limits.maxRetries(), limits.timeout(), this::stop);
    }

    /** The batches journal: the settings' own, else {@code batches.jsonl} beside the output folder's paid replies. */
    private static java.nio.file.Path batchJournal(BatchSettings settings, PaidReplies replies) {
        if (settings.journal() != null) {
            return settings.journal();
        }
        if (replies instanceof PaidRepliesFile f) {
            return f.file().resolveSibling(BATCHES_JOURNAL);
        }
        throw new dev.granular.io.InvalidConfigException("${batch} needs an output folder to journal its batches in");
    }

    /** The batches journal's name, beside {@code replies.jsonl} in {@code DIR/.granular}. */
    public static final String BATCHES_JOURNAL = "batches.jsonl";

    /**
     * A client with the standard parts: the JDK HTTP transport, the system clock, jittered
     * exponential backoff (1 s doubling to 60 s) with {@code limits.maxRetries()} retries, and
     * the default circuit breaker. The key comes from {@code env} (a required key that is
     * missing is a {@link dev.granular.io.BadInputException}).
     */
    public static LlmClient open(ModelSpec model, Map<String, String> env, ClientLimits limits, ResponseCache cache, CostMeter meter) {
        return open(model, env, limits, cache, meter, PaidReplies.NONE);
    }

    /** {@link #open(ModelSpec, Map, ClientLimits, ResponseCache, CostMeter)} journalling every paid reply to {@code replies}. */
    public static LlmClient open(ModelSpec model, Map<String, String> env, ClientLimits limits, ResponseCache cache, CostMeter meter,
                                 PaidReplies replies) {
        return new LlmClient(model, model.key(env), new HttpTransport(), limits, cache, meter, Clock.SYSTEM,
                new RetryPolicy(limits.maxRetries(), Duration.ofSeconds(1), Duration.ofSeconds(60),
                        java.util.random.RandomGenerator.getDefault()),
                CircuitBreaker.defaults(Clock.SYSTEM), replies);
    }

    /**
     * Stops the run for {@code reason} (the first reason wins): callers inside {@link #complete} are interrupted and
     * throw it, later calls throw it at once. Jobs call it too, e.g. when their own journal cannot be written.
     */
    public void stop(RuntimeException reason) {
        callersLock.lock();
        try {
            if (stopped == null) {
                stopped = reason;
            }
            for (Thread t : callers) {
                t.interrupt();
            }
        } finally {
            callersLock.unlock();
        }
    }

    /** Why the run was stopped, if it was. */
    public Optional<RuntimeException> stopped() {
        return Optional.ofNullable(stopped);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Requests the AIMD limiter currently allows in flight. */
    public int concurrencyLimit() {
        return aimd.limit();
    }

    public int inFlight() {
        return aimd.inFlight();
    }

    /**
     * The reply to {@code request}, or why there is none. Blocks; thread-safe.
     *
     * @throws RuntimeException the reason the run was {@linkplain #stop stopped} (e.g. {@link AuthenticationException},
     *                          {@link UnreachableServerException}), thrown by every caller from then on
     */
    public Outcome complete(ChatRequest request) throws InterruptedException {
        RuntimeException why = stopped;
        if (why != null) {
            throw why;
        }
        StructuredOutput schema = request.jsonSchema() == null ? null : new StructuredOutput(request.jsonSchema());
        // Without a cache there is nothing to key: skip the canonical JSON and its hash.
        boolean caching = cache != ResponseCache.NONE;
        boolean journalling = replies != PaidReplies.NONE;
        String cacheKey = caching || journalling ? CacheKey.of(spec, request) : null;
        if (cacheKey == null) {
            return complete(request, schema, null, false, false);
        }
        // One request per key at a time: a caller whose key is being sent waits for that reply, then reads it from
        // the cache (or the paid replies), as it would had it come a moment later. Two callers sending the same key
        // at once would each pay for a reply and each use its own, while only the first is stored, so a rerun would
        // serve both the first one: which replies a run used, and so its data, would depend on timing. A key whose
        // sender got no valid reply is sent again by the next waiter, as a later request would be.
        while (true) {
            Sending mine = new Sending();
            Sending other = sending.putIfAbsent(cacheKey, mine);
            if (other == null) {
                try {
                    return complete(request, schema, cacheKey, caching, journalling);
                } finally {
                    sending.remove(cacheKey, mine);
                    mine.done.countDown();
                }
            }
            awaitUnlessStopped(other.done);
        }
    }

    /** A request being sent; {@code done} opens when its reply is stored (or it failed). */
    private static final class Sending {
        final CountDownLatch done = new CountDownLatch(1);
    }

    /** {@link #complete(ChatRequest)} by its sole sender: the cache and paid replies first, then the server. */
    private Outcome complete(ChatRequest request, StructuredOutput schema, String cacheKey, boolean caching, boolean journalling)
            throws InterruptedException {
        // The folder's own paid replies first: they are there even under --no-cache.
        Optional<String> hit = journalling ? replies.get(cacheKey) : Optional.empty();
        if (hit.isEmpty() && caching) {
            hit = cache.get(cacheKey);
        }
        if (hit.isPresent()) {
            try {
                Completion c = wire.parse(hit.get());
                if (schema == null || schema.problems(c.text()).isEmpty()) {
                    meter.record(spec, c.usage(), true);
                    return new Outcome.Ok(c, hit.get(), 0, true, 0);
                }
            } catch (MalformedReplyException e) {
                // A cached body the current parser rejects: ask again; the new reply replaces it below.
            }
        }
        // A hit that got here was rejected (parser or schema): a plain put would keep it, since the first reply wins.
        boolean replaceStale = hit.isPresent();
        ChatRequest current = request;
        int attempts = 0;
        for (int round = 0; ; round++) {
            Outcome o = sendUnlessStopped(current);
            attempts += o.attempts();
            switch (o) {
                case Outcome.Failed f -> {
                    return new Outcome.Failed(f.kind(), f.message(), f.status(), attempts);
                }
                case Outcome.Ok ok -> {
                    // The schema constrains a text answer; a reply that calls tools is another kind of reply, returned as
                    // it came (generate keeps it, self-correct fails its row) rather than re-asked until it stops calling.
                    List<String> problems = schema == null || ok.completion().toolCalls() != null ? List.of()
                            : schema.problems(ok.completion().text());
                    // Journalled before anything else is done with it: it is paid for. Only a valid one is reusable.
                    // A batch reply was journalled and cached by the dispatcher, the moment it was downloaded.
                    if (batch == null) {
                        journal(problems.isEmpty() ? cacheKey : null, ok);
                    }
                    if (problems.isEmpty()) {
                        if (batch != null) {
                            // journalled and cached already
                        } else if (caching && replaceStale) {
                            cache.replace(cacheKey, spec.model(), ok.raw());
                        } else if (caching) {
                            cache.put(cacheKey, spec.model(), ok.raw());
                        }
                        return new Outcome.Ok(ok.completion(), ok.raw(), ok.latencyMs(), false, attempts);
                    }
                    if (round >= limits.schemaRetries()) {
                        return new Outcome.Failed(Outcome.FailureKind.INVALID_OUTPUT,
                                "reply does not satisfy the JSON schema: " + String.join("; ", problems), 200, attempts);
                    }
                    current = reask(current, ok.completion().text(), problems);
                }
            }
        }
    }

    private void journal(String key, Outcome.Ok ok) {
        if (replies == PaidReplies.NONE) {
            return;
        }
        Usage u = ok.completion().usage();
        try {
            replies.paid(key, spec, u, meter.costUsd(spec, u), ok.raw());
        } catch (RuntimeException e) {
            // The store cannot hold what is being paid for (a full disk): stop before paying for more.
            stop(e);
            throw e;
        }
    }

    /**
     * {@link #send}, during which {@link #stop} interrupts this thread. Only the waiting and the network are
     * interruptible: the cache and the paid replies are read and written outside, since an interrupt during a
     * {@code FileChannel} read or write closes the channel (and the reply being journalled would be lost).
     */
    private Outcome sendUnlessStopped(ChatRequest request) throws InterruptedException {
        return unlessStopped(() -> send(request));
    }

    /** Waits for {@code latch} (another caller sending the same key), during which {@link #stop} interrupts this thread. */
    private void awaitUnlessStopped(CountDownLatch latch) throws InterruptedException {
        unlessStopped(() -> {
            latch.await();
            return null;
        });
    }

    /** A wait that {@link #stop} may interrupt. */
    private interface Wait<T> {
        T run() throws InterruptedException;
    }

    /** Runs {@code wait} with this thread among the callers {@link #stop} interrupts; a stopped run throws its reason. */
    private <T> T unlessStopped(Wait<T> wait) throws InterruptedException {
        Thread me = Thread.currentThread();
        callersLock.lock();
        try {
            if (stopped != null) {
                throw stopped;
            }
            callers.add(me);
        } finally {
            callersLock.unlock();
        }
        try {
            return wait.run();
        } catch (InterruptedException e) {
            if (stopped != null) {
                throw stopped;
            }
            throw e;
        } finally {
            callersLock.lock();
            try {
                callers.remove(me);
            } finally {
                callersLock.unlock();
            }
            if (stopped != null) {
                // stop() may have interrupted this thread just after its reply came: the reply is still returned (it
                // was paid for), and the flag must not reach the journal writes that follow.
                Thread.interrupted();
            }
        }
    }

    /** The conversation extended with the invalid reply and what was wrong with it. */
    private static ChatRequest reask(ChatRequest r, String reply, List<String> problems) {
        List<ChatMessage> msgs = new ArrayList<>(r.messages());
        msgs.add(ChatMessage.assistant(reply));
        msgs.add(ChatMessage.user("That reply is not valid: " + String.join("; ", problems)
                + ". Answer again with only a JSON value that satisfies the schema."));
        return new ChatRequest(r.rowId(), msgs, r.params(), r.sampleIndex(), r.jsonSchema(), r.templateHash(), r.tools());
    }

    /** What one attempt led to: a final outcome, or another try (after a backoff). */
    private sealed interface Step {
        AdaptiveConcurrency.Signal signal();
    }

    private record Done(Outcome outcome, AdaptiveConcurrency.Signal signal, boolean settled) implements Step {
    }

    private record Again(String error, int status, Optional<Duration> retryAfter, AdaptiveConcurrency.Signal signal)
            implements Step {
    }

    /** One request with retries; never throws for server behaviour except authentication. */
    private Outcome send(ChatRequest request) throws InterruptedException {
        if (batch != null) {
            // custom id = cache key: results are matched by it, and a rerun recognises what was submitted
            return batch.complete(request, CacheKey.of(spec, request));
        }
        String body = wire.body(spec, request);
        int estimate = request.estimatedPromptTokens();
        int maxCompletion = request.params().maxTokens() != null ? request.params().maxTokens() : AnthropicWire.DEFAULT_MAX_TOKENS;
        Again last = null;
        for (int attempt = 1; attempt <= limits.maxRetries() + 1; attempt++) {
            if (last != null) {
                clock.sleep(retry.backoff(attempt - 1, last.retryAfter()));
            }
            // Permit, then budget, then breaker. The worst case is reserved only once a request may go on the
            // wire: reserved while still queued for a permit, the bookings of the queued (a job queues about as
            // many as are in flight) would refuse requests the budget could pay for and stop the run early.
            // Budget before the breaker: a request that will not be sent must not pass it, since a half-open
            // breaker waits for the report of whoever passed. The breaker last, right before sending: a caller
            // that passed it and then waited for a permit would send although it had opened meanwhile (burning
            // a retry on a server known to be down), and one interrupted in that wait would never report,
            // leaving a half-open breaker waiting for its probe forever.
            AdaptiveConcurrency.Permit permit = aimd.acquire();
            CostMeter.Reservation reservation = meter.reserve(spec, estimate, maxCompletion).orElse(null);
            if (reservation == null) {
                permit.close(); // not sent: no effect on the limit
                return new Outcome.Failed(Outcome.FailureKind.BUDGET, "the --max-cost budget would be exceeded", 0, attempt - 1);
            }
            try {
                breaker.awaitClosed();
            } catch (InterruptedException e) {
                meter.release(reservation);
                permit.close(); // no effect on the limit
                throw e;
            }
            Step step = null;
            try {
                step = attemptOnce(body, estimate + maxCompletion, reservation, attempt);
            } catch (RuntimeException | InterruptedException e) {
                breaker.onFailure(); // whoever passed the breaker reports once, also when giving up
                throw e;
            } finally {
                if (!(step instanceof Done d && d.settled())) {
                    meter.release(reservation);
                }
                permit.release(step == null ? AdaptiveConcurrency.Signal.DROPPED : step.signal());
            }
            switch (step) {
                case Done d -> {
                    return d.outcome();
                }
                case Again again -> last = again;
            }
        }
        return new Outcome.Failed(Outcome.FailureKind.RETRIES_EXHAUSTED, last.error(), last.status(), limits.maxRetries() + 1);
    }

    private Step attemptOnce(String body, int tokens, CostMeter.Reservation reservation, int attempt) throws InterruptedException {
        rate.acquire(tokens);
        RawReply reply;
        if (stopped != null) {
            throw new InterruptedException("the run was stopped"); // interrupted outside an interruptible wait
        }
        try {
            meter.attempted(spec);
            reply = transport.post(wire.endpoint(spec), wire.headers(spec, key), body, limits.timeout());
        } catch (java.net.ConnectException e) {
            if (!answered) {
                // Refused (or no such host) before the server ever answered: a wrong URL or a server not started.
                // Retrying every row through the breaker's cooldowns would take minutes to say the same thing.
                UnreachableServerException stop = new UnreachableServerException("cannot connect to " + spec.baseUrl()
                        + " (" + (e.getMessage() == null ? "connection refused" : redact(e.getMessage()))
                        + ") for model " + spec + ": is the server running and the URL right?");
                stop(stop);
                throw stop;
            }
            breaker.onFailure();
            return new Again("connection error (" + e.getClass().getSimpleName() + ")", 0, Optional.empty(),
                    AdaptiveConcurrency.Signal.DROPPED);
        } catch (HttpTimeoutException e) {
            breaker.onFailure();
            return new Again("timed out after " + describe(limits.timeout()), 0, Optional.empty(),
                    AdaptiveConcurrency.Signal.DROPPED);
        } catch (IOException e) {
            breaker.onFailure();
            // The exception's own message may quote a URL but never headers; name only its type to be safe.
            return new Again("connection error (" + e.getClass().getSimpleName() + ")", 0, Optional.empty(),
                    AdaptiveConcurrency.Signal.DROPPED);
        }
        answered = true;
        rate.observe(reply);
        if (reply.status() / 100 == 2) {
            try {
                Completion c = wire.parse(reply.body());
                breaker.onSuccess();
                meter.settle(reservation, c.usage());
                return new Done(new Outcome.Ok(c, reply.body(), reply.latencyMs(), false, attempt), AdaptiveConcurrency.Signal.OK, true);
            } catch (MalformedReplyException e) {
                // Truncated or malformed body: the server answered but this reply is unusable; try again.
                breaker.onFailure();
                return new Again(redact(e.getMessage()), reply.status(), Optional.empty(), AdaptiveConcurrency.Signal.ERROR);
            }
        }
        String error = "HTTP " + reply.status() + ": " + redact(wire.errorMessage(reply.body()).orElse("(no message)"));
        return switch (RetryPolicy.classify(reply.status())) {
            case AUTH -> {
                AuthenticationException stop = new AuthenticationException("model " + spec + " answered " + error
                        + " (check the key in " + spec.apiKeyEnv() + "); the run stopped: nothing else was sent");
                stop(stop);
                throw stop;
            }
            case FAIL -> {
                breaker.onSuccess(); // the server works; this request is wrong
                yield new Done(new Outcome.Failed(Outcome.FailureKind.CLIENT_ERROR, error, reply.status(), attempt),
                        AdaptiveConcurrency.Signal.OK, false);
            }
            case RETRY -> {
                Optional<Duration> after = RetryPolicy.retryAfter(reply, clock);
                AdaptiveConcurrency.Signal signal = AdaptiveConcurrency.Signal.ERROR;
                if (reply.status() == 429) {
                    // Rate limited, not broken: AIMD and the pause handle it; the breaker hears the server is up.
                    signal = AdaptiveConcurrency.Signal.OVERLOADED;
                    after.ifPresent(rate::pauseFor);
                    breaker.onSuccess();
                } else {
                    if (reply.status() == 503 || reply.status() == 529) {
                        signal = AdaptiveConcurrency.Signal.OVERLOADED;
                    }
                    breaker.onFailure();
                }
                yield new Again(error, reply.status(), after, signal);
            }
        };
    }

    /**
     * {@code text} with the key masked. Servers and proxies may quote the key they were sent in an error message
     * ("Incorrect API key provided: sk-..."); those messages become outcomes, exceptions, failed.jsonl lines and logs.
     */
    private String redact(String text) {
        return key.isEmpty() ? text : key.get().redact(text);
    }

    /** {@code 120 s}, {@code 300 ms}: a sub-second --timeout must not read as "0 s". */
    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    @Override
    public void close() {
        if (batch != null) {
            batch.release();
        }
        transport.close();
    }
}
