package dev.granular.teacher.internal;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.AuthenticationException;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import dev.granular.teacher.UnreachableServerException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.Role;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import dev.granular.teacher.testserver.Scripts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine end to end over real HTTP: {@link LlmClient} with {@link HttpTransport} against {@link FakeLlmServer}.
 * Every wait the engine makes (backoff, Retry-After, breaker cooldown) is on an auto-advancing {@link FakeClock}, so
 * no test sleeps for them and the time that passed is exactly what the engine asked to wait.
 */
class LlmClientTest {
    static final String KEY = "sk-test-SECRET123";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    FakeLlmServer server;
    FakeClock clock;
    final List<LlmClient> clients = new ArrayList<>();
    final List<ResponseCache> caches = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
        clock = FakeClock.autoAdvancing();
    }

    @AfterEach
    void stop() {
        clients.forEach(LlmClient::close);
        caches.forEach(ResponseCache::close);
        server.close();
    }

    // ---------------------------------------------------------------- building blocks

    ModelSpec openai(String model) {
        return ModelSpec.parse("openai:" + model + "@" + server.baseUrl(), null);
    }

    static ClientLimits limits(int concurrency, int maxRetries, Duration timeout, int schemaRetries) {
        return new ClientLimits(concurrency, 0, 0, maxRetries, timeout, schemaRetries);
    }

    /** A client with its own breaker (threshold 10, 30 s cooldown) and a seeded retry policy. */
    LlmClient client(ModelSpec spec, ClientLimits limits, ResponseCache cache, CostMeter meter) {
        return client(spec, limits, cache, meter, new CircuitBreaker(10, Duration.ofSeconds(30), Duration.ofMinutes(5), clock));
    }

    LlmClient client(ModelSpec spec, ClientLimits limits, ResponseCache cache, CostMeter meter, CircuitBreaker breaker) {
        LlmClient c = new LlmClient(spec, Optional.of(Secret.of(KEY)), new HttpTransport(), limits, cache, meter, clock,
                new RetryPolicy(limits.maxRetries(), Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(42)),
                breaker);
        clients.add(c);
        return c;
    }

    LlmClient client(int maxRetries) {
        return client(openai("test"), limits(4, maxRetries, TIMEOUT, 2), ResponseCache.NONE, new CostMeter(PriceTable.builtIn()));
    }

    SqliteResponseCache cache() {
        SqliteResponseCache c = SqliteResponseCache.open(tmp.resolve("cache.sqlite"));
        caches.add(c);
        return c;
    }

    static ChatRequest ask(String prompt) {
        return ChatRequest.of("row-" + prompt, List.of(ChatMessage.user(prompt)), GenerationParams.DEFAULT);
    }

    static ChatRequest sample(String prompt, int k) {
        return new ChatRequest("row-" + prompt, List.of(ChatMessage.user(prompt)), GenerationParams.DEFAULT, k, null, null);
    }

    static Outcome.Ok ok(Outcome o) {
        assertThat(o).isInstanceOf(Outcome.Ok.class);
        return (Outcome.Ok) o;
    }

    static Outcome.Failed failed(Outcome o) {
        assertThat(o).isInstanceOf(Outcome.Failed.class);
        return (Outcome.Failed) o;
    }

    // ---------------------------------------------------------------- success and faults

    @Test
    void successSendsOneRequestWithTheKeyOnlyInTheHeader() throws Exception {
        Outcome.Ok o = ok(client(3).complete(ask("hello")));

        assertThat(o.completion().text()).isEqualTo("hello");
        assertThat(o.completion().finishReason()).isEqualTo("stop");
        assertThat(o.completion().usage().completionTokens()).isPositive();
        assertThat(o.cached()).isFalse();
        assertThat(o.attempts()).isEqualTo(1);
        assertThat(server.totalRequests()).isEqualTo(1);
        ReceivedRequest r = server.lastRequest();
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.header("authorization")).contains("Bearer " + KEY);
        assertThat(r.body()).doesNotContain(KEY);
        assertThat(clock.nanoTime()).as("no wait on success").isZero();
    }

    @Test
    void a429WithRetryAfterIsRetriedAfterPausingTheRateLimiter() throws Exception {
        server.enqueue("test", Reply.status(429).retryAfter("7"));
        LlmClient c = client(3);

        Outcome.Ok o = ok(c.complete(ask("hello")));

        assertThat(o.attempts()).isEqualTo(2);
        assertThat(server.totalRequests()).isEqualTo(2);
        assertThat(Duration.ofNanos(clock.nanoTime())).isGreaterThanOrEqualTo(Duration.ofSeconds(7));
        assertThat(c.concurrencyLimit()).as("a 429 halves the AIMD limit").isEqualTo(2);
    }

    @Test
    void serverErrorsAreRetriedWithBackoffThenSucceed() throws Exception {
        server.enqueue("test", Reply.status(500), Reply.status(503), Reply.status(502));

        Outcome.Ok o = ok(client(5).complete(ask("hello")));

        assertThat(o.completion().text()).isEqualTo("hello");
        assertThat(o.attempts()).isEqualTo(4);
        assertThat(server.totalRequests()).isEqualTo(4);
        // full jitter: each wait is within its ceiling (1 s, 2 s, 4 s)
        assertThat(Duration.ofNanos(clock.nanoTime())).isLessThanOrEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void retriesExhaustedFailTheRowWithTheLastError() throws Exception {
        server.script(r -> Reply.status(500).message("the GPU caught fire"));

        Outcome.Failed f = failed(client(3).complete(ask("hello")));

        assertThat(f.kind()).isEqualTo(Outcome.FailureKind.RETRIES_EXHAUSTED);
        assertThat(f.attempts()).isEqualTo(4);
        assertThat(f.status()).isEqualTo(500);
        assertThat(f.message()).contains("HTTP 500").contains("the GPU caught fire");
        assertThat(server.totalRequests()).isEqualTo(4);
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 422})
    void clientErrorsFailAtOnceWithTheServersMessage(int status) throws Exception {
        server.script(r -> Reply.status(status).message("context length exceeded (" + status + ")"));

        Outcome.Failed f = failed(client(5).complete(ask("hello")));

        assertThat(f.kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
        assertThat(f.status()).isEqualTo(status);
        assertThat(f.attempts()).isEqualTo(1);
        assertThat(f.message()).contains("context length exceeded (" + status + ")");
        assertThat(server.totalRequests()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 403})
    void authenticationFailuresStopWithoutShowingTheKey(int status) throws Exception {
        // Some servers and proxies quote the key they were given: the engine must not pass it on.
        server.script(r -> Reply.status(status).message("Incorrect API key provided: " + KEY));

        Throwable t = catchThrowable(() -> client(5).complete(ask("hello")));

        assertThat(t).isInstanceOf(AuthenticationException.class);
        assertThat(t.getMessage()).contains(String.valueOf(status)).contains("OPENAI_API_KEY").doesNotContain(KEY)
                .doesNotContain("SECRET123");
        assertThat(server.totalRequests()).isEqualTo(1);
    }

    @Test
    void aTimeoutIsRetried() throws Exception {
        server.enqueue("test", Reply.hang());
        LlmClient c = client(openai("test"), limits(4, 3, Duration.ofMillis(300), 2), ResponseCache.NONE,
                new CostMeter(PriceTable.builtIn()));

        Outcome.Ok o = ok(c.complete(ask("hello")));

        assertThat(o.attempts()).isEqualTo(2);
        assertThat(server.totalRequests()).isEqualTo(2);
    }

    @Test
    void aTimeoutThatNeverEndsReportsTheTimeout() throws Exception {
        server.script(r -> Reply.hang());
        LlmClient c = client(openai("test"), limits(4, 1, Duration.ofMillis(300), 2), ResponseCache.NONE,
                new CostMeter(PriceTable.builtIn()));

        Outcome.Failed f = failed(c.complete(ask("hello")));

        assertThat(f.kind()).isEqualTo(Outcome.FailureKind.RETRIES_EXHAUSTED);
        assertThat(f.attempts()).isEqualTo(2);
        assertThat(f.message()).contains("timed out after 300 ms");
    }

    static Stream<Reply> brokenReplies() {
        return Stream.of(Reply.reset(), Reply.truncated(), Reply.malformedJson(), Reply.raw(200, "{\"choices\": []}"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("brokenReplies")
    void brokenRepliesAreRetriedThenSucceed(Reply broken) throws Exception {
        server.enqueue("test", broken, broken);

        Outcome.Ok o = ok(client(3).complete(ask("hello")));

        assertThat(o.completion().text()).isEqualTo("hello");
        assertThat(o.attempts()).isEqualTo(3);
        assertThat(server.totalRequests()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- structured output

    static final String SCHEMA = "{\"type\":\"object\",\"required\":[\"answer\"],"
            + "\"properties\":{\"answer\":{\"type\":\"integer\"}}}";

    static ChatRequest withSchema(String prompt) throws IOException {
        JsonNode schema = JSON.readTree(SCHEMA);
        return new ChatRequest("row-" + prompt, List.of(ChatMessage.user(prompt)), GenerationParams.DEFAULT, 0, schema, null);
    }

    @Test
    void anInvalidReplyIsReAskedWithTheErrorAndThePreviousReply() throws Exception {
        server.enqueue("test", Reply.text("I think the answer is forty-two."), Reply.text("```json\n{\"answer\": 42}\n```"));
        SqliteResponseCache cache = cache();
        LlmClient c = client(openai("test"), limits(4, 3, TIMEOUT, 2), cache, new CostMeter(PriceTable.builtIn()));

        Outcome.Ok o = ok(c.complete(withSchema("what is six times seven?")));

        assertThat(StructuredOutput.extract(o.completion().text()).orElseThrow().path("answer").asInt()).isEqualTo(42);
        assertThat(o.attempts()).isEqualTo(2);
        assertThat(server.totalRequests()).isEqualTo(2);
        List<ChatMessage> second = server.requests().get(1).messages();
        assertThat(second).hasSize(3);
        assertThat(second.get(0)).isEqualTo(ChatMessage.user("what is six times seven?"));
        assertThat(second.get(1)).isEqualTo(ChatMessage.assistant("I think the answer is forty-two."));
        assertThat(second.get(2).role()).isEqualTo(Role.USER);
        assertThat(second.get(2).content()).contains("not valid").contains("the reply is not JSON");
        assertThat(server.requests().get(0).json().path("response_format").path("json_schema").path("schema"))
                .isEqualTo(JSON.readTree(SCHEMA));

        // the valid reply is cached under the ORIGINAL request
        Outcome.Ok again = ok(c.complete(withSchema("what is six times seven?")));
        assertThat(again.cached()).isTrue();
        assertThat(server.totalRequests()).isEqualTo(2);
    }

    @Test
    void aReplyThatFailsTheSchemaIsReportedWithTheValidationError() throws Exception {
        server.enqueue("test", Reply.text("{\"answer\": \"many\"}"));
        server.script(r -> Reply.text("{\"answer\": \"still many\"}"));
        SqliteResponseCache cache = cache();
        LlmClient c = client(openai("test"), limits(4, 3, TIMEOUT, 2), cache, new CostMeter(PriceTable.builtIn()));

        Outcome.Failed f = failed(c.complete(withSchema("how many?")));

        assertThat(f.kind()).isEqualTo(Outcome.FailureKind.INVALID_OUTPUT);
        assertThat(f.attempts()).as("the first ask and 2 re-asks").isEqualTo(3);
        assertThat(f.message()).contains("answer");
        assertThat(server.totalRequests()).isEqualTo(3);
        assertThat(server.requests().get(1).lastUserMessage()).contains("answer");

        // nothing invalid was cached: asking again goes to the server
        failed(c.complete(withSchema("how many?")));
        assertThat(server.totalRequests()).isEqualTo(6);
        assertThat(cache.stats().puts()).isZero();
    }

    // ---------------------------------------------------------------- cache

    @Test
    void aSecondIdenticalRequestIsServedFromTheCacheWithoutSending() throws Exception {
        SqliteResponseCache cache = cache();
        CostMeter meter = new CostMeter(PriceTable.builtIn());
        LlmClient c = client(openai("test"), limits(4, 3, TIMEOUT, 2), cache, meter);

        Outcome.Ok first = ok(c.complete(ask("hello")));
        Outcome.Ok second = ok(c.complete(ask("hello")));

        assertThat(server.totalRequests()).isEqualTo(1);
        assertThat(first.cached()).isFalse();
        assertThat(second.cached()).isTrue();
        assertThat(second.attempts()).isZero();
        assertThat(second.completion()).isEqualTo(first.completion());
        assertThat(meter.cachedRequests()).isEqualTo(1);

        // a different sample index is a different reply
        Outcome.Ok other = ok(c.complete(sample("hello", 1)));
        assertThat(other.cached()).isFalse();
        assertThat(server.totalRequests()).isEqualTo(2);
        assertThat(ok(c.complete(sample("hello", 1))).cached()).isTrue();
        assertThat(server.totalRequests()).isEqualTo(2);

        // a new client on the same file (a rerun) finds them too
        LlmClient rerun = client(openai("test"), limits(4, 3, TIMEOUT, 2), cache, meter);
        assertThat(ok(rerun.complete(ask("hello"))).cached()).isTrue();
        assertThat(server.totalRequests()).isEqualTo(2);
    }

    @Test
    void identicalRequestsAtOnceSendOneAndEveryCallerGetsItsReply() throws Exception {
        // Replies numbered in arrival order and held until released: callers that each sent would get different texts,
        // and the cache would keep one of them, so a rerun would serve something else than some callers used.
        CountDownLatch release = new CountDownLatch(1);
        server.script(r -> {
            awaitQuietly(release);
            return Reply.text("reply " + r.seq());
        });
        CostMeter meter = new CostMeter(PriceTable.builtIn());
        LlmClient c = client(openai("test"), limits(8, 3, TIMEOUT, 2), cache(), meter);

        CompletableFuture<Outcome> first = completeOnVirtualThread(c, ask("same")).future();
        waitUntil(() -> server.totalRequests() == 1);
        List<Caller> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            others.add(completeOnVirtualThread(c, ask("same")));
        }
        waitUntilWaitingOrSent(others, 1);
        release.countDown();

        assertThat(ok(first.get(20, TimeUnit.SECONDS)).completion().text()).isEqualTo("reply 1");
        for (Caller o : others) {
            Outcome.Ok got = ok(o.future().get(20, TimeUnit.SECONDS));
            assertThat(got.completion().text()).isEqualTo("reply 1");
            assertThat(got.cached()).isTrue();
        }
        assertThat(server.totalRequests()).isEqualTo(1);
        assertThat(meter.cachedRequests()).isEqualTo(3);
    }

    @Test
    void aKeyWhoseSenderFailedIsSentAgainByTheCallerWaitingForIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server.script(r -> {
            awaitQuietly(release);
            return r.seq() == 1 ? Reply.status(400) : Reply.text("second");
        });
        LlmClient c = client(openai("test"), limits(8, 3, TIMEOUT, 2), cache(), new CostMeter(PriceTable.builtIn()));

        CompletableFuture<Outcome> first = completeOnVirtualThread(c, ask("same")).future();
        waitUntil(() -> server.totalRequests() == 1);
        Caller waiting = completeOnVirtualThread(c, ask("same"));
        waitUntilWaitingOrSent(List.of(waiting), 1);
        release.countDown();

        assertThat(failed(first.get(20, TimeUnit.SECONDS)).kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
        Outcome.Ok o = ok(waiting.future().get(20, TimeUnit.SECONDS));
        assertThat(o.completion().text()).isEqualTo("second");
        assertThat(o.cached()).isFalse();
        assertThat(server.totalRequests()).isEqualTo(2);
    }

    @Test
    void aCallerWaitingForTheSameKeyStopsWhenItsSenderGetsA401() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server.script(r -> {
            awaitQuietly(release);
            return Reply.status(401);
        });
        LlmClient c = client(openai("test"), limits(8, 3, TIMEOUT, 2), cache(), new CostMeter(PriceTable.builtIn()));

        CompletableFuture<Outcome> first = completeOnVirtualThread(c, ask("same")).future();
        waitUntil(() -> server.totalRequests() == 1);
        Caller waiting = completeOnVirtualThread(c, ask("same"));
        waitUntilWaitingOrSent(List.of(waiting), 1);
        release.countDown();

        assertThat(catchThrowable(() -> first.get(20, TimeUnit.SECONDS))).hasCauseInstanceOf(AuthenticationException.class);
        assertThat(catchThrowable(() -> waiting.future().get(20, TimeUnit.SECONDS))).hasCauseInstanceOf(AuthenticationException.class);
        assertThat(server.totalRequests()).isEqualTo(1);
    }

    /** A {@link LlmClient#complete} running on its own virtual thread. */
    record Caller(Thread thread, CompletableFuture<Outcome> future) {
    }

    static Caller completeOnVirtualThread(LlmClient c, ChatRequest request) {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                f.complete(c.complete(request));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return new Caller(t, f);
    }

    /**
     * Until every caller is parked (waiting for the key's sender) or the server got more than {@code sent} requests
     * (callers that sent their own, which the test then finds). A guard, not a timing assertion: it fails after 20 s.
     */
    void waitUntilWaitingOrSent(List<Caller> callers, long sent) throws InterruptedException {
        waitUntil(() -> server.totalRequests() > sent || callers.stream().allMatch(c -> c.thread().getState() == Thread.State.WAITING));
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("still waiting after 20 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void failedRepliesAreNeverCached() throws Exception {
        server.enqueue("test", Reply.status(400), Reply.status(500), Reply.malformedJson());
        SqliteResponseCache cache = cache();
        LlmClient c = client(openai("test"), limits(4, 1, TIMEOUT, 2), cache, new CostMeter(PriceTable.builtIn()));

        assertThat(failed(c.complete(ask("x"))).kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
        assertThat(failed(c.complete(ask("x"))).kind()).isEqualTo(Outcome.FailureKind.RETRIES_EXHAUSTED);
        assertThat(cache.stats().puts()).isZero();
        assertThat(server.totalRequests()).isEqualTo(3);

        Outcome.Ok o = ok(c.complete(ask("x")));
        assertThat(o.cached()).isFalse();
        assertThat(server.totalRequests()).isEqualTo(4);
        assertThat(cache.stats().puts()).isEqualTo(1);
    }

    @Test
    void aCachedReplyTheParserNowRejectsIsReplacedByTheNewOne() throws Exception {
        // A body stored by an older, laxer parser (or another tool) that the current parser rejects: it is asked for
        // once more, and the new reply must take its place, or every later run pays for it again.
        SqliteResponseCache cache = cache();
        ModelSpec spec = openai("test");
        ChatRequest req = ask("hello");
        cache.put(CacheKey.of(spec, req), spec.toString(), "{\"choices\": []}");
        LlmClient c = client(spec, limits(4, 3, TIMEOUT, 2), cache, new CostMeter(PriceTable.builtIn()));

        Outcome.Ok first = ok(c.complete(req));
        assertThat(first.cached()).isFalse();
        assertThat(server.totalRequests()).isEqualTo(1);

        Outcome.Ok second = ok(c.complete(req));
        assertThat(second.cached()).isTrue();
        assertThat(second.completion().text()).isEqualTo("hello");
        assertThat(server.totalRequests()).as("the replacement was cached").isEqualTo(1);
    }

    @Test
    void aCachedReplyThatFailsTheSchemaIsAskedAgainAndReplaced() throws Exception {
        SqliteResponseCache cache = cache();
        ModelSpec spec = openai("test");
        ChatRequest req = withSchema("q");
        String invalid = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"no json\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
        cache.put(CacheKey.of(spec, req), spec.toString(), invalid);
        server.script(r -> Reply.text("{\"answer\": 1}"));
        LlmClient c = client(spec, limits(4, 3, TIMEOUT, 2), cache, new CostMeter(PriceTable.builtIn()));

        assertThat(ok(c.complete(req)).cached()).isFalse();
        assertThat(ok(c.complete(req)).cached()).isTrue();
        assertThat(server.totalRequests()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- budget

    @Test
    void aTinyBudgetStopsRequestsBeforeItIsExceeded() throws Exception {
        // gpt-4o-mini: $0.15 / $0.60 per 1M tokens. Each request reserves ~prompt + 100 completion tokens and costs 10 + 100.
        server.script(r -> Reply.text("fine").usage(10, 100));
        double budget = 0.0002;
        CostMeter meter = new CostMeter(PriceTable.builtIn(), budget);
        GenerationParams params = GenerationParams.DEFAULT.withMaxTokens(100);
        LlmClient c = client(openai("gpt-4o-mini"), limits(4, 3, TIMEOUT, 2), ResponseCache.NONE, meter);

        int ok = 0;
        Outcome.Failed stop = null;
        for (int i = 0; i < 20 && stop == null; i++) {
            Outcome o = c.complete(ChatRequest.of("r" + i, List.of(ChatMessage.user("question " + i)), params));
            if (o instanceof Outcome.Failed f) {
                stop = f;
            } else {
                ok++;
            }
            assertThat(meter.spentUsd() + meter.reservedUsd()).isLessThanOrEqualTo(budget);
        }

        assertThat(stop).isNotNull();
        assertThat(stop.kind()).isEqualTo(Outcome.FailureKind.BUDGET);
        assertThat(stop.attempts()).isZero();
        assertThat(ok).isEqualTo(3);
        assertThat(server.totalRequests()).isEqualTo(3);
        assertThat(meter.spentUsd()).isLessThanOrEqualTo(budget).isPositive();
        assertThat(meter.reservedUsd()).as("every reservation released or settled").isZero();
    }

    @Test
    void requestsQueuedForAPermitHoldNoBudget() throws Exception {
        // Worst case ~ $0.00006 a request (100 completion tokens), actual cost ~ nothing. With one request in flight,
        // eight callers fit a budget of ~3.5 worst cases one after the other; booked while queued, 5 would be refused.
        server.script(r -> Reply.text("fine").usage(1, 1).delay(Duration.ofMillis(10)));
        CostMeter meter = new CostMeter(PriceTable.builtIn(), 0.00021);
        GenerationParams params = GenerationParams.DEFAULT.withMaxTokens(100);
        LlmClient c = client(openai("gpt-4o-mini"), limits(1, 0, TIMEOUT, 0), ResponseCache.NONE, meter);

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String p = "q" + i;
                fs.add(pool.submit(() -> c.complete(ChatRequest.of(p, List.of(ChatMessage.user(p)), params))));
            }
            for (Future<Outcome> f : fs) {
                ok(f.get());
            }
        }
        assertThat(server.totalRequests()).isEqualTo(8);
        assertThat(meter.reservedUsd()).isZero();
    }

    @Test
    void reservationsAreReleasedOnEveryFailurePath() throws Exception {
        server.enqueue("gpt-4o-mini", Reply.status(400), Reply.status(500), Reply.reset(), Reply.malformedJson(),
                Reply.status(429), Reply.status(401));
        CostMeter meter = new CostMeter(PriceTable.builtIn(), 1.0);
        LlmClient c = client(openai("gpt-4o-mini"), limits(4, 0, TIMEOUT, 0), ResponseCache.NONE, meter);

        for (int i = 0; i < 5; i++) {
            failed(c.complete(ask("q" + i)));
            assertThat(meter.reservedUsd()).isZero();
        }
        assertThat(catchThrowable(() -> c.complete(ask("auth")))).isInstanceOf(AuthenticationException.class);
        assertThat(meter.reservedUsd()).isZero();
        assertThat(meter.spentUsd()).isZero();
        assertThat(c.inFlight()).isZero();
    }

    // ---------------------------------------------------------------- circuit breaker and AIMD

    @Test
    void anOpenBreakerHoldsRowsInsteadOfBurningTheirRetries() throws Exception {
        // The server is down for the first 10 fake minutes. Without the breaker, each of the 40 rows would spend its
        // 9 attempts (backoff ceilings add up to about 3 minutes) and fail; with it, rows wait and only probes go out.
        long outage = Duration.ofMinutes(10).toNanos();
        server.script(r -> clock.nanoTime() < outage ? Reply.status(500) : Reply.text("back"));
        CircuitBreaker breaker = new CircuitBreaker(5, Duration.ofSeconds(30), Duration.ofMinutes(5), clock);
        int rows = 40;
        int maxRetries = 8;
        LlmClient c = client(openai("test"), limits(8, maxRetries, TIMEOUT, 2), ResponseCache.NONE,
                new CostMeter(PriceTable.builtIn()), breaker);

        List<Outcome> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                String p = "p" + i;
                fs.add(pool.submit(() -> c.complete(ask(p))));
            }
            for (Future<Outcome> f : fs) {
                outcomes.add(f.get());
            }
        }

        assertThat(outcomes).allSatisfy(o -> assertThat(o).isInstanceOf(Outcome.Ok.class));
        assertThat(Duration.ofNanos(clock.nanoTime())).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
        long failures = server.requests().size() - rows;
        assertThat(server.totalRequests()).isLessThan((long) rows * (maxRetries + 1) / 3);
        // at most one failing request per row before the breaker opened, then only probes
        assertThat(failures).isLessThanOrEqualTo(rows + 10);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(c.inFlight()).isZero();
    }

    @Test
    void aBurstOf429CutsTheConcurrencyLimitWhichGrowsBackOnSuccess() throws Exception {
        int max = 8;
        Reply[] burst = new Reply[max];
        java.util.Arrays.fill(burst, Reply.status(429));
        server.enqueue("test", burst);
        LlmClient c = client(openai("test"), limits(max, 5, TIMEOUT, 2), ResponseCache.NONE, new CostMeter(PriceTable.builtIn()));
        assertThat(c.concurrencyLimit()).isEqualTo(max);

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < max; i++) {
                String p = "b" + i;
                fs.add(pool.submit(() -> c.complete(ask(p))));
            }
            for (Future<Outcome> f : fs) {
                ok(f.get());
            }
        }
        int afterBurst = c.concurrencyLimit();
        assertThat(afterBurst).isBetween(1, max - 1);

        for (int i = 0; i < 60; i++) {
            ok(c.complete(ask("s" + i)));
        }
        assertThat(c.concurrencyLimit()).isEqualTo(max);
    }

    @Test
    void concurrencyNeverExceedsTheLimit() throws Exception {
        server.script(r -> Reply.text("ok").delay(Duration.ofMillis(20)));
        LlmClient c = client(openai("test"), limits(4, 3, TIMEOUT, 2), ResponseCache.NONE, new CostMeter(PriceTable.builtIn()));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String p = "c" + i;
                fs.add(pool.submit(() -> c.complete(ask(p))));
            }
            for (Future<Outcome> f : fs) {
                ok(f.get());
            }
        }
        assertThat(server.maxInFlight()).isBetween(1, 4);
        assertThat(server.totalRequests()).isEqualTo(32);
    }

    // ---------------------------------------------------------------- Anthropic

    @Test
    void anthropicEndpointWithItsKeyHeaderAndOverloadRetry() throws Exception {
        ModelSpec spec = ModelSpec.parse("anthropic:claude-test@" + server.baseUrl(), null);
        Optional<Secret> key = spec.key(Map.of("ANTHROPIC_API_KEY", "sk-ant-SECRET456"));
        server.enqueue("claude-test", Reply.status(529));
        ClientLimits l = limits(4, 3, TIMEOUT, 2);
        LlmClient c = new LlmClient(spec, key, new HttpTransport(), l, ResponseCache.NONE, new CostMeter(PriceTable.builtIn()),
                clock, new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(60), new SplittableRandom(7)),
                CircuitBreaker.defaults(clock));
        clients.add(c);

        List<ChatMessage> msgs = List.of(ChatMessage.system("be brief"), ChatMessage.user("hi there"));
        Outcome.Ok o = ok(c.complete(ChatRequest.of("a", msgs, GenerationParams.DEFAULT)));

        assertThat(o.completion().text()).isEqualTo("hi there");
        assertThat(o.completion().finishReason()).isEqualTo("stop");
        assertThat(o.attempts()).isEqualTo(2);
        ReceivedRequest r = server.lastRequest();
        assertThat(r.path()).isEqualTo("/v1/messages");
        assertThat(r.header("x-api-key")).contains("sk-ant-SECRET456");
        assertThat(r.header("authorization")).isEmpty();
        assertThat(r.system()).isEqualTo("be brief");
        assertThat(r.json().path("max_tokens").asInt()).isPositive();

        server.enqueue("claude-test", Reply.status(400).message("bad"));
        Outcome.Failed f = failed(c.complete(ChatRequest.of("b", List.of(ChatMessage.user("x")), GenerationParams.DEFAULT)));
        assertThat(f.kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
        assertThat(f.message()).contains("bad");
    }

    // ---------------------------------------------------------------- secrets

    @Test
    void theKeyNeverReachesAnOutcomeAnExceptionOrTheCacheFile() throws Exception {
        AtomicInteger n = new AtomicInteger();
        // Every fault a server can produce, several quoting the key back.
        server.script(r -> switch (r.lastUserMessage()) {
            case "bad" -> Reply.status(400).message("invalid key " + KEY + " in request");
            case "down" -> Reply.status(500).message("upstream saw Authorization: Bearer " + KEY);
            case "limit" -> Reply.status(429).message("rate limit for key " + KEY).retryAfter("1");
            case "broken" -> Reply.raw(200, "{\"error\": \"" + KEY + "\"");
            case "reset" -> Reply.reset();
            case "slow" -> Reply.hang();
            case "schema" -> Reply.text("not json " + n.incrementAndGet());
            default -> Reply.text("fine");
        });
        SqliteResponseCache cache = cache();
        LlmClient c = client(openai("test"), limits(4, 1, Duration.ofMillis(300), 1), cache, new CostMeter(PriceTable.builtIn()));

        List<String> messages = new ArrayList<>();
        for (String p : List.of("bad", "down", "limit", "broken", "reset", "slow", "fine")) {
            Outcome o = c.complete(ask(p));
            if (o instanceof Outcome.Failed f) {
                messages.add(f.message());
            }
        }
        Outcome schema = c.complete(withSchema("schema"));
        messages.add(((Outcome.Failed) schema).message());
        server.script(r -> Reply.status(401).message("bad key " + KEY));
        Throwable auth = catchThrowable(() -> c.complete(ask("auth")));
        messages.add(auth.getMessage());
        messages.add(String.valueOf(auth));
        cache.close();

        assertThat(messages).hasSize(9).allSatisfy(m -> assertThat(m).doesNotContain("SECRET123"));
        try (Stream<Path> files = Files.list(tmp)) {
            for (Path f : files.toList()) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain("SECRET123");
            }
        }
    }

    // ---------------------------------------------------------------- stopping the run

    @Test
    void after401NoOtherRequestIsSentAndEveryCallerStops() throws Exception {
        // Issue 11.2: with a wrong key, the rows queued behind the first 401 used to be sent anyway (and retried through
        // the breaker's cooldowns). Now the first 401 stops the client: at most the requests already in flight reach
        // the server, every caller throws the same AuthenticationException.
        server.script(r -> Reply.status(401).message("invalid api key").delay(Duration.ofMillis(20)));
        int concurrency = 4;
        LlmClient c = client(openai("test"), limits(concurrency, 8, TIMEOUT, 2), ResponseCache.NONE,
                new CostMeter(PriceTable.builtIn()));

        List<Throwable> errors = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String p = "p" + i;
                fs.add(pool.submit(() -> c.complete(ask(p))));
            }
            for (Future<Outcome> f : fs) {
                errors.add(catchThrowable(() -> f.get(20, java.util.concurrent.TimeUnit.SECONDS)).getCause());
            }
        }

        assertThat(errors).hasSize(50).allSatisfy(e -> assertThat(e).isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("openai:test@").hasMessageContaining("OPENAI_API_KEY"));
        assertThat(server.totalRequests()).as("only what was in flight").isBetween(1L, (long) concurrency);
        assertThat(c.stopped()).containsInstanceOf(AuthenticationException.class);
        assertThat(catchThrowable(() -> c.complete(ask("later")))).isInstanceOf(AuthenticationException.class);
        assertThat(server.totalRequests()).as("nothing after the stop").isLessThanOrEqualTo(concurrency);
        assertThat(c.inFlight()).isZero();
    }

    @Test
    void aCallerWaitingInABackoffStopsWhenAnotherGetsA401() throws Exception {
        clock = FakeClock.manual(); // the backoff after the 500 never ends unless the test advances time
        server.script(r -> r.lastUserMessage().equals("wait") ? Reply.status(500) : Reply.status(401));
        LlmClient c = client(openai("test"), limits(4, 8, TIMEOUT, 2), ResponseCache.NONE, new CostMeter(PriceTable.builtIn()));

        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<Outcome> waiting = pool.submit(() -> c.complete(ask("wait")));
            clock.awaitSleepers(1);
            assertThat(catchThrowable(() -> c.complete(ask("auth")))).isInstanceOf(AuthenticationException.class);

            Throwable t = catchThrowable(() -> waiting.get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(t).as("the waiting caller stopped instead of sleeping out its backoff")
                    .isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(t.getCause()).isInstanceOf(AuthenticationException.class);
        } finally {
            pool.shutdownNow(); // a caller still asleep on the manual clock must not hang the test
        }
        assertThat(server.totalRequests()).as("the waiting row was not retried").isEqualTo(2);
    }

    @Test
    void aRefusedConnectionBeforeAnyReplyStopsAtOnceNamingTheUrl() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        ModelSpec spec = ModelSpec.parse("openai:test@http://127.0.0.1:" + port + "/v1", null);
        CostMeter meter = new CostMeter(PriceTable.builtIn());
        LlmClient c = client(spec, limits(4, 2, TIMEOUT, 2), ResponseCache.NONE, meter);

        Throwable t = catchThrowable(() -> c.complete(ask("q")));

        assertThat(t).isInstanceOf(UnreachableServerException.class)
                .hasMessageContaining("cannot connect to http://127.0.0.1:" + port + "/v1");
        assertThat(clock.nanoTime()).as("no backoff, no breaker cooldown waited").isZero();
        assertThat(meter.attempts()).isEqualTo(1);
        assertThat(catchThrowable(() -> c.complete(ask("q2")))).isInstanceOf(UnreachableServerException.class);
        assertThat(meter.attempts()).as("later rows are not sent").isEqualTo(1);
    }

    @Test
    void aResetAfterTheServerAnsweredIsStillRetried() throws Exception {
        server.script(Scripts.failFirst(1, Reply.reset(), Reply.text("back")));
        LlmClient c = client(3);
        ok(c.complete(ask("first")));

        assertThat(ok(c.complete(ask("second"))).attempts()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- counts and paid replies

    @Test
    void attemptsAndBillableRequestsAreCountedApart() throws Exception {
        // Issue 17.10: 582 requests sent were reported as 300. Two 500s and a 400 are attempts, not billable replies.
        AtomicInteger flaky = new AtomicInteger();
        server.script(r -> r.lastUserMessage().equals("bad") ? Reply.status(400)
                : r.lastUserMessage().equals("flaky") && flaky.getAndIncrement() < 2 ? Reply.status(500) : Reply.text("ok"));
        CostMeter meter = new CostMeter(PriceTable.builtIn());
        LlmClient c = client(openai("test"), limits(1, 3, TIMEOUT, 2), ResponseCache.NONE, meter);

        ok(c.complete(ask("flaky")));
        failed(c.complete(ask("bad")));
        ok(c.complete(ask("fine")));

        assertThat(server.totalRequests()).isEqualTo(5);
        assertThat(meter.attempts()).isEqualTo(5);
        assertThat(meter.billable()).isEqualTo(2);
        assertThat(meter.toJson()).containsEntry("attempts", 5L).containsEntry("billable", 2L);
        assertThat(meter.summary()).startsWith("5 requests sent, 2 billable, 0 cached");
    }

    @Test
    void everyPaidReplyIsJournalledAndAValidOneIsReusedWithoutTheCache() throws Exception {
        server.script(r -> r.lastUserMessage().startsWith("json") ? Reply.text("not json") : Reply.text("reply to " + r.lastUserMessage()));
        Path file = tmp.resolve("replies.jsonl");
        CostMeter meter = new CostMeter(PriceTable.builtIn());
        try (PaidRepliesFile replies = PaidRepliesFile.open(file, "run-1", FileWrites.DIRECT)) {
            LlmClient c = new LlmClient(openai("gpt-4o-mini"), Optional.of(Secret.of(KEY)), new HttpTransport(),
                    limits(4, 0, TIMEOUT, 1), ResponseCache.NONE, meter, clock, RetryPolicy.defaults(),
                    CircuitBreaker.defaults(clock), replies);
            clients.add(c);
            ok(c.complete(ask("a")));
            failed(c.complete(withSchema("json please")));
            assertThat(server.totalRequests()).isEqualTo(3);
            assertThat(replies.size()).as("the schema's two invalid replies are paid for too").isEqualTo(3);
            assertThat(replies.spent().billable()).isEqualTo(3);
            assertThat(replies.spent().usd()).isCloseTo(meter.spentUsd(), org.assertj.core.data.Offset.offset(1e-12));
        }

        CostMeter again = new CostMeter(PriceTable.builtIn());
        try (PaidRepliesFile replies = PaidRepliesFile.open(file, "run-2", FileWrites.DIRECT)) {
            assertThat(replies.spent()).as("another run's spend is not this run's").isEqualTo(CostMeter.Spend.ZERO);
            LlmClient c = new LlmClient(openai("gpt-4o-mini"), Optional.of(Secret.of(KEY)), new HttpTransport(),
                    limits(4, 0, TIMEOUT, 1), ResponseCache.NONE, again, clock, RetryPolicy.defaults(),
                    CircuitBreaker.defaults(clock), replies);
            clients.add(c);
            Outcome.Ok o = ok(c.complete(ask("a")));
            assertThat(o.completion().text()).isEqualTo("reply to a");
            assertThat(o.cached()).isTrue();
            failed(c.complete(withSchema("json please")));
        }
        assertThat(server.totalRequests()).as("a reused, the invalid replies asked again").isEqualTo(5);
        assertThat(again.spentUsd()).isPositive();
    }

    @Test
    void everyFormOfTheKeyIsRedactedFromEchoedErrors() throws Exception {
        // Issue 17.9: a server or proxy may quote the key URL-encoded or base64-encoded; only the raw form was masked.
        String key = "sk-proj/AbC+xyz=SECRET-9";
        String urlEncoded = java.net.URLEncoder.encode(key, StandardCharsets.UTF_8);
        String base64 = java.util.Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
        server.script(r -> switch (r.lastUserMessage()) {
            case "url" -> Reply.status(400).message("no such key: " + urlEncoded);
            case "b64" -> Reply.status(400).message("proxy refused Basic " + base64);
            default -> Reply.status(400).message("bad key " + key);
        });
        LlmClient c = new LlmClient(openai("test"), Optional.of(Secret.of(key)), new HttpTransport(), limits(4, 0, TIMEOUT, 1),
                ResponseCache.NONE, new CostMeter(PriceTable.builtIn()), clock, RetryPolicy.defaults(),
                CircuitBreaker.defaults(clock));
        clients.add(c);

        for (String p : List.of("url", "b64", "raw")) {
            String m = failed(c.complete(ask(p))).message();
            assertThat(m).contains("***").doesNotContain(key).doesNotContain(urlEncoded).doesNotContain(base64)
                    .doesNotContain("SECRET");
        }
    }

    @Test
    void aNonAsciiKeyIsRefusedNamingTheVariableNotTheKey() {
        ModelSpec spec = ModelSpec.parse("openai:gpt-4o-mini", null);
        Throwable t = catchThrowable(() -> spec.key(Map.of("OPENAI_API_KEY", "sk-cl\u00e9-SECRET")));

        assertThat(t).isInstanceOf(dev.granular.io.BadInputException.class).hasMessageContaining("OPENAI_API_KEY")
                .hasMessageNotContaining("SECRET");
        assertThat(spec.key(Map.of("OPENAI_API_KEY", " sk-fine-123 \n"))).isPresent();
        String mangled = Secret.of("sk-cl\u00e9-SECRET").redact("got sk-cl?-SECRET and sk-cl\u00c3\u00a9-SECRET");
        assertThat(mangled).doesNotContain("SECRET");
    }
}
