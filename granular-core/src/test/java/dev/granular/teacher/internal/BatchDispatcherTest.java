package dev.granular.teacher.internal;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.BatchSettings;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import dev.granular.teacher.testserver.Scripts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link BatchDispatcher} behind {@link LlmClient#complete}, against both batch APIs of the fake server. */
class BatchDispatcherTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Test settings: a short linger, polls every few milliseconds, at most {@code max} requests a batch. */
    static BatchSettings settings(int max, List<String> progress) {
        return new BatchSettings(Duration.ofMillis(100), Duration.ofMillis(5), Duration.ofMillis(20), max, 0, 1000, null,
                progress == null ? line -> { } : progress::add);
    }

    static LlmClient client(ModelSpec spec, PaidReplies replies, ResponseCache cache, CostMeter meter, int max,
                            List<String> progress) {
        ClientLimits limits = new ClientLimits(4, 0, 0, 3, Duration.ofSeconds(30), 0).withBatch(settings(max, progress));
        return new LlmClient(spec, Optional.empty(), new HttpTransport(), limits, cache, meter, Clock.SYSTEM,
                RetryPolicy.defaults(), CircuitBreaker.defaults(Clock.SYSTEM), replies);
    }

    static ChatRequest request(int row) {
        return ChatRequest.of("r" + row, List.of(ChatMessage.user("row " + row)), new GenerationParams(null, null, 100, null,
                List.of(), Map.of()));
    }

    ModelSpec spec(String provider) {
        return ModelSpec.parse(provider + ":m@" + server.baseUrl(), null);
    }

    PaidRepliesFile replies() {
        return PaidRepliesFile.open(dir.resolve(".granular/replies.jsonl"), "run", FileWrites.DIRECT);
    }

    /** Asks rows 0..n-1 at once, one thread each; the outcomes by row. */
    static List<Outcome> askAll(LlmClient client, int n) throws InterruptedException {
        Outcome[] out = new Outcome[n];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int row = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    out[row] = client.complete(request(row));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(60));
        }
        return List.of(out);
    }

    List<JsonNode> paidLines() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(".granular/replies.jsonl"))) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "anthropic"})
    void repliesComeByCustomIdFromBatchesWithinTheLimitJournalledAtBatchPricesAndCached(String provider) throws Exception {
        Price list = new Price(2.0, 8.0);
        Price batch = new Price(1.0, 4.0);
        CostMeter meter = new CostMeter(PriceTable.of(Map.of("m", list), Map.of("m", batch), "test"));
        List<String> progress = new CopyOnWriteArrayList<>();
        ModelSpec spec = spec(provider);
        try (SqliteResponseCache cache = SqliteResponseCache.open(dir.resolve("cache.sqlite"))) {
            try (PaidRepliesFile replies = replies(); LlmClient client = client(spec, replies, cache, meter, 10, progress)) {
                List<Outcome> outs = askAll(client, 25);
                for (int i = 0; i < 25; i++) {
                    // results come shuffled: each caller gets its own reply (the echo of its row), matched by custom id
                    assertThat(outs.get(i)).isInstanceOfSatisfying(Outcome.Ok.class,
                            ok -> assertThat(ok.completion().text()).isEqualTo("row " + outs.indexOf(ok)));
                }
            }
            assertThat(server.batches().batchesAccepted()).isEqualTo(3); // 25 requests, at most 10 a batch
            List<String> ids = server.batches().submittedIds();
            assertThat(ids).hasSize(25).doesNotHaveDuplicates();
            assertThat(ids).contains(CacheKey.of(spec, request(7)));
            assertThat(server.requestsPerPath()).doesNotContainKeys("/v1/chat/completions", "/v1/messages");
            List<JsonNode> paid = paidLines();
            assertThat(paid).hasSize(25).allSatisfy(n -> assertThat(n.path("batch").asBoolean()).isTrue());
            JsonNode first = paid.get(0);
            Usage u = new Usage(first.path("prompt_tokens").asLong(), first.path("completion_tokens").asLong());
            assertThat(first.path("usd").asDouble()).isEqualTo(batch.usd(u)).isLessThan(list.usd(u));
            assertThat(progress).anyMatch(l -> l.contains("submitted 10 requests")).anyMatch(l -> l.contains("downloaded"));
            assertThat(Files.readAllLines(dir.resolve(".granular/batches.jsonl")))
                    .filteredOn(l -> l.contains("\"t\":\"downloaded\"")).hasSize(3);

            // a later real-time run with the same requests is free: served from the cache
            long before = server.totalRequests();
            try (LlmClient rt = new LlmClient(spec, Optional.empty(), new HttpTransport(), ClientLimits.DEFAULT, cache,
                    new CostMeter(PriceTable.of(Map.of(), "t")), Clock.SYSTEM, RetryPolicy.defaults(),
                    CircuitBreaker.defaults(Clock.SYSTEM))) {
                assertThat(rt.complete(request(3))).isInstanceOfSatisfying(Outcome.Ok.class, ok -> assertThat(ok.cached()).isTrue());
            }
            assertThat(server.totalRequests()).isEqualTo(before);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "anthropic"})
    void anExpiredBatchHasExactlyItsMissingRequestsResubmitted(String provider) throws Exception {
        server.batches().expireNext(1, 4);
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec(provider), replies, ResponseCache.NONE, new CostMeter(PriceTable.of(Map.of(), "t")), 10, null)) {
            List<Outcome> outs = askAll(client, 10);
            assertThat(outs).allSatisfy(o -> assertThat(o).isInstanceOf(Outcome.Ok.class));
        }
        List<String> ids = server.batches().submittedIds();
        assertThat(ids).hasSize(16); // 10, then the 6 the expired batch left undone
        assertThat(new HashSet<>(ids.subList(10, 16))).hasSize(6).doesNotContainAnyElementsOf(ids.subList(0, 4));
        assertThat(paidLines()).hasSize(10);
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "anthropic"})
    void aPartlyFailedBatchRetriesServerErrorsAndFailsRefusedRequests(String provider) throws Exception {
        var flaky = Scripts.failFirst(1, Reply.status(500), Reply.text("fine"));
        server.script(r -> r.lastUserMessage().equals("row 1") ? Reply.status(400).message("bad row")
                : r.lastUserMessage().equals("row 2") ? flaky.apply(r) : Reply.text("ok"));
        List<Outcome> outs;
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec(provider), replies, ResponseCache.NONE, new CostMeter(PriceTable.of(Map.of(), "t")), 10, null)) {
            outs = askAll(client, 4);
        }
        assertThat(outs.get(0)).isInstanceOf(Outcome.Ok.class);
        assertThat(outs.get(1)).isInstanceOfSatisfying(Outcome.Failed.class, f -> {
            assertThat(f.kind()).isEqualTo(Outcome.FailureKind.CLIENT_ERROR);
            assertThat(f.message()).contains("bad row");
        });
        assertThat(outs.get(2)).isInstanceOfSatisfying(Outcome.Ok.class, ok -> {
            assertThat(ok.completion().text()).isEqualTo("fine");
            assertThat(ok.attempts()).isEqualTo(2);
        });
        assertThat(server.batches().submittedIds()).hasSize(5); // 4, then row 2 again; never row 1
    }

    @Test
    void aRefusedSubmissionIsTriedAgainAndASlowBatchIsPolledUntilDone() throws Exception {
        server.batches().rejectSubmits(2).pollsBeforeDone(6);
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec("openai"), replies, ResponseCache.NONE, new CostMeter(PriceTable.of(Map.of(), "t")), 10, null)) {
            assertThat(askAll(client, 3)).allSatisfy(o -> assertThat(o).isInstanceOf(Outcome.Ok.class));
        }
        assertThat(server.batches().batchesAccepted()).isEqualTo(1);
        assertThat(server.batches().polls()).isGreaterThanOrEqualTo(7);
        assertThat(server.requestsPerPath().get("/v1/batches")).isEqualTo(3L);
    }

    @Test
    void aBatchWhoseCreationAnswerWasLostIsAdoptedNotSubmittedTwice() throws Exception {
        server.batches().dropCreateAnswers(1);
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec("openai"), replies, ResponseCache.NONE, new CostMeter(PriceTable.of(Map.of(), "t")), 10, null)) {
            assertThat(askAll(client, 5)).allSatisfy(o -> assertThat(o).isInstanceOf(Outcome.Ok.class));
        }
        assertThat(server.batches().batchesAccepted()).isEqualTo(1);
        assertThat(server.batches().submittedIds()).hasSize(5).doesNotHaveDuplicates();
    }

    @Test
    void theBudgetCountsEachBatchAtItsMaximumCostBeforeSubmittingIt() throws Exception {
        Price batch = new Price(1.0, 1.0);
        // each request: about 3 prompt tokens + 100 max_tokens; a batch of 5 books about 515 tokens = $0.000515
        CostMeter meter = new CostMeter(PriceTable.of(Map.of("m", new Price(2, 2)), Map.of("m", batch), "t"), 0.0008);
        List<Outcome> outs;
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec("openai"), replies, ResponseCache.NONE, meter, 5, null)) {
            outs = askAll(client, 10);
        }
        assertThat(outs).filteredOn(o -> o instanceof Outcome.Ok).hasSize(5);
        assertThat(outs).filteredOn(o -> o instanceof Outcome.Failed f && f.kind() == Outcome.FailureKind.BUDGET).hasSize(5);
        assertThat(server.batches().batchesAccepted()).isEqualTo(1);
        assertThat(meter.spentUsd()).isLessThanOrEqualTo(0.0008);
    }

    // ---- kill -9, then rerun: every row, each request submitted once ----

    private Process child(String provider, int n, int max, Path log) throws IOException {
        return ChildJvm.start(BatchClientChild.class, log, spec(provider).toString(), dir.toString(), Integer.toString(n), Integer.toString(max));
    }

    private static void await(BooleanSupplier condition, Process child, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(child.isAlive()).as("child still running\n" + Files.readString(log)).isTrue();
            assertThat(System.nanoTime()).as("waited 60 s\n" + Files.readString(log)).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static void kill(Process child) throws InterruptedException {
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** Reruns in this process; every row must come back, and no request may have been submitted twice. */
    private void rerunAndCheck(String provider, int n, int max) throws Exception {
        try (PaidRepliesFile replies = replies();
             LlmClient client = client(spec(provider), replies, ResponseCache.NONE, new CostMeter(PriceTable.of(Map.of(), "t")), max, null)) {
            List<Outcome> outs = askAll(client, n);
            for (int i = 0; i < n; i++) {
                int row = i;
                assertThat(outs.get(i)).isInstanceOfSatisfying(Outcome.Ok.class,
                        ok -> assertThat(ok.completion().text()).isEqualTo("row " + row));
            }
        }
        assertThat(server.batches().submittedIds()).hasSize(n).doesNotHaveDuplicates();
        assertThat(paidLines()).hasSize(n); // each reply paid (journalled) once
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai", "anthropic"})
    void killedBetweenSubmitAndPollTheRerunFollowsTheSameBatches(String provider) throws Exception {
        server.batches().holdBatchesFrom(1);
        Path log = dir.resolve("child.log");
        Process child = child(provider, 20, 10, log);
        await(() -> server.batches().batchesAccepted() == 2 && journalLines("submitted") == 2, child, log);
        kill(child);
        server.batches().releaseHeld();
        rerunAndCheck(provider, 20, 10);
    }

    @Test
    void aBatchFoundOpenOnARerunIsBookedAgainstTheBudgetBeforeNewBatches() throws Exception {
        server.batches().holdBatchesFrom(1);
        Path log = dir.resolve("child.log");
        Process child = child("openai", 10, 10, log);
        await(() -> journalLines("submitted") == 1, child, log);
        kill(child);
        server.batches().releaseHeld();
        // a batch of 10 is booked at about 10 x (4 + 100) tokens at $1/1M: $0.00104; the budget holds one, not two
        CostMeter meter = new CostMeter(PriceTable.of(Map.of("m", new Price(2, 2)), Map.of("m", new Price(1, 1)), "t"), 0.0015);
        List<Outcome> outs;
        try (PaidRepliesFile replies = replies(); LlmClient client = client(spec("openai"), replies, ResponseCache.NONE, meter, 10, null)) {
            outs = askAll(client, 20);
        }
        assertThat(outs.subList(0, 10)).allSatisfy(o -> assertThat(o).isInstanceOf(Outcome.Ok.class));
        assertThat(outs.subList(10, 20)).allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(Outcome.Failed.class,
                f -> assertThat(f.kind()).isEqualTo(Outcome.FailureKind.BUDGET)));
        assertThat(server.batches().batchesAccepted()).isEqualTo(1);
    }

    @Test
    void killedDuringADownloadTheRerunReadsItAgainWithoutPayingTwice() throws Exception {
        server.batches().stallDownloads();
        Path log = dir.resolve("child.log");
        Process child = child("openai", 20, 20, log);
        Path paid = dir.resolve(".granular/replies.jsonl");
        await(() -> server.batches().downloadsStarted() >= 1 && lines(paid) >= 1, child, log);
        kill(child);
        long before = lines(paid);
        assertThat(before).isBetween(1L, 19L);
        server.batches().resumeDownloads();
        rerunAndCheck("openai", 20, 20);
        assertThat(server.batches().downloadsStarted()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void killedAfterPartialResultsTheRerunAsksOnlyForTheRest() throws Exception {
        server.batches().holdBatchesFrom(2);
        Path log = dir.resolve("child.log");
        Process child = child("anthropic", 20, 10, log);
        AtomicInteger oks = new AtomicInteger();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    if (l.startsWith("ok ")) {
                        oks.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                // the child was killed
            }
        });
        await(() -> oks.get() >= 10 && server.batches().batchesAccepted() == 2, child, log);
        kill(child);
        reader.join(5000);
        server.batches().releaseHeld();
        rerunAndCheck("anthropic", 20, 10);
    }

    private long journalLines(String type) {
        try {
            Path f = dir.resolve(".granular/batches.jsonl");
            return !Files.exists(f) ? 0 : Files.readAllLines(f).stream().filter(l -> l.contains("\"t\":\"" + type + "\"")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long lines(Path f) {
        try {
            return !Files.exists(f) ? 0 : Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            return 0;
        }
    }
}
