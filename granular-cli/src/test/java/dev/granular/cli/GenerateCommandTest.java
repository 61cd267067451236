package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular generate} in process against {@link FakeLlmServer}. No test makes the engine wait (no 5xx, no 429). */
class GenerateCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    record Run(int code, String out, String err) {
    }

    static Run granular(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    /** generate with this test's input, server, cache and output folder, plus {@code extra}. */
    Run generate(Path in, String model, String... extra) {
        List<String> a = new ArrayList<>(List.of("generate", "--in", in.toString(), "--model", model + "@" + server.baseUrl(),
                "--out", tmp.resolve("out").toString(), "--cache", tmp.resolve("c.sqlite").toString()));
        a.addAll(Arrays.asList(extra));
        return granular(a);
    }

    Path input(String... lines) throws IOException {
        Path p = tmp.resolve("in.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    Path prompts(int n) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"question " + i + "\"}");
        }
        return input(lines.toArray(String[]::new));
    }

    Path out() {
        return tmp.resolve("out");
    }

    List<JsonNode> records() throws IOException {
        List<JsonNode> r = new ArrayList<>();
        Path data = out().resolve("data");
        if (!Files.isDirectory(data)) {
            return r;
        }
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    r.add(JSON.readTree(line));
                }
            }
        }
        return r;
    }

    Map<String, JsonNode> byId() throws IOException {
        Map<String, JsonNode> m = new TreeMap<>();
        for (JsonNode r : records()) {
            assertThat(m.put(r.path("id").asText(), r)).as("id %s once", r.path("id").asText()).isNull();
        }
        return m;
    }

    /** Requests the server received per prompt (last user message). */
    Map<String, Long> perPrompt() {
        return server.requests().stream().collect(Collectors.groupingBy(ReceivedRequest::lastUserMessage, TreeMap::new,
                Collectors.counting()));
    }

    // ----------------------------------------------------------------

    @Test
    void everyKindOfInputRowBecomesARecordWithTheReply() throws Exception {
        Path in = input(
                "{\"id\":\"c1\",\"messages\":[{\"role\":\"system\",\"content\":\"be kind\",\"train\":false},"
                        + "{\"role\":\"user\",\"content\":\"canonical question\",\"train\":false},"
                        + "{\"role\":\"assistant\",\"content\":\"the old answer\",\"train\":true}],\"meta\":{\"design\":\"in2\",\"topic\":\"t\"}}",
                "{\"prompt\":\"a bare prompt\"}",
                "{\"id\":\"m3\",\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"chat question\"}]}",
                "",
                "{\"id\":4,\"prompt\":\"numbered\"}");

        Run r = generate(in, "openai:test");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).isEqualTo(4);
        Map<String, JsonNode> recs = byId();
        assertThat(recs).hasSize(4).containsKeys("c1", "m3", "4");
        String derived = recs.keySet().stream().filter(k -> k.startsWith("row-")).findFirst().orElseThrow();

        JsonNode c1 = recs.get("c1");
        assertThat(c1.path("messages")).hasSize(3);
        assertThat(c1.path("messages").get(1).path("content").asText()).isEqualTo("canonical question");
        JsonNode reply = c1.path("messages").get(2);
        assertThat(reply.path("role").asText()).isEqualTo("assistant");
        assertThat(reply.path("content").asText()).as("the old answer is replaced").isEqualTo("canonical question");
        assertThat(reply.path("train").asBoolean()).isTrue();
        assertThat(c1.path("meta").path("topic").asText()).isEqualTo("t");
        JsonNode gen = c1.path("meta").path("generation");
        assertThat(gen.path("model").asText()).isEqualTo("openai:test@" + server.baseUrl());
        assertThat(gen.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(gen.path("usage").path("prompt_tokens").asLong()).isPositive();
        assertThat(gen.path("usage").path("completion_tokens").asLong()).isPositive();
        assertThat(gen.has("latency_ms")).isTrue();
        assertThat(gen.path("cached").asBoolean()).isFalse();
        assertThat(gen.path("attempts").asInt()).isEqualTo(1);
        // the request carried the system message and not the old answer
        ReceivedRequest sent = server.requests().stream().filter(q -> q.lastUserMessage().equals("canonical question"))
                .findFirst().orElseThrow();
        assertThat(sent.messages()).hasSize(2);

        assertThat(recs.get(derived).path("messages")).hasSize(2);
        assertThat(recs.get(derived).path("messages").get(1).path("content").asText()).isEqualTo("a bare prompt");
        assertThat(recs.get("m3").path("messages")).hasSize(3);

        // derived ids are stable: a fresh output folder with the same input gets the same id, from the cache
        Run again = granular(List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", tmp.resolve("out2").toString(), "--cache", tmp.resolve("c.sqlite").toString()));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(server.totalRequests()).as("all from the cache").isEqualTo(4);
        List<JsonNode> second = new ArrayList<>();
        try (Stream<Path> s = Files.list(tmp.resolve("out2").resolve("data"))) {
            for (Path p : s.toList()) {
                for (String line : Files.readAllLines(p)) {
                    second.add(JSON.readTree(line));
                }
            }
        }
        assertThat(second).extracting(j -> j.path("id").asText()).contains(derived);
        assertThat(second).allSatisfy(j -> assertThat(j.path("meta").path("generation").path("cached").asBoolean()).isTrue());
    }

    @Test
    void nSamplesAreSeparateRequestsWithTheirOwnIdsAndSeeds() throws Exception {
        Path in = input("{\"id\":\"q\",\"prompt\":\"tell me\"}");

        Run r = generate(in, "openai:test", "--n", "3", "--seed", "10");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(byId().keySet()).containsExactly("q#0", "q#1", "q#2");
        assertThat(server.totalRequests()).isEqualTo(3);
        assertThat(server.requests()).extracting(q -> q.json().path("seed").asLong()).containsExactlyInAnyOrder(10L, 11L, 12L);
    }

    @Test
    void aDryRunSendsAndWritesNothingAndPrintsTheCost() throws Exception {
        Path in = prompts(5);

        Run r = generate(in, "openai:gpt-4o-mini", "--dry-run", "--max-tokens", "100");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).isZero();
        assertThat(out()).doesNotExist();
        assertThat(tmp.resolve("c.sqlite")).doesNotExist();
        assertThat(r.out()).containsPattern("generate +openai:gpt-4o-mini@\\S+ +5 +0 +\\d+ +<= 500 +\\$\\d\\.\\d{4} +\\$\\d\\.\\d{4}")
                .contains("prompt tokens counted with o200k_base").contains("max_tokens 100")
                .contains("nothing was sent and nothing was written");

        Run local = generate(in, "openai:my-local-model", "--dry-run");
        assertThat(local.code()).isZero();
        assertThat(local.out()).contains("unknown").doesNotContain("$0.00").contains("chars/4 estimate")
                .contains("no max_tokens: 1024 assumed");
        assertThat(out()).doesNotExist();
    }

    @Test
    void aDryRunJsonPricesRealTimeAndBatchWithTheModelsTokenizer() throws Exception {
        // 5 prompts "question N", each counted with o200k_base, + 3 for the message + 3 priming
        long each;
        try (var t = dev.granular.tokenize.Tokenizers.load("o200k_base")) {
            each = t.count("question 0") + 6;
        }
        Run r = generate(prompts(5), "openai:gpt-4o-mini", "--dry-run-json", "--max-tokens", "100", "--n", "2");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).isZero();
        assertThat(out()).doesNotExist();
        JsonNode e = JSON.readTree(r.out());
        assertThat(e.path("requests").asLong()).isEqualTo(10);
        JsonNode line = e.path("lines").get(0);
        assertThat(line.path("step").asText()).isEqualTo("generate");
        assertThat(line.path("prompt_tokens_counted_with").asText()).isEqualTo("o200k_base");
        assertThat(line.path("prompt_tokens_exact").asBoolean()).isTrue();
        assertThat(line.path("prompt_tokens").asLong()).isEqualTo(10 * each);
        assertThat(line.path("completion_tokens").asLong()).isEqualTo(1000);
        // gpt-4o-mini: $0.15 / $0.60 per 1M list, half that in batch
        double realtime = (10 * each * 0.15 + 1000 * 0.60) / 1e6;
        assertThat(e.path("cost_realtime_usd").asDouble()).isCloseTo(realtime, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(e.path("cost_batch_usd").asDouble()).isCloseTo(realtime / 2, org.assertj.core.data.Offset.offset(1e-12));

        Run unknown = generate(prompts(5), "openai:my-local-model", "--dry-run-json");
        JsonNode u = JSON.readTree(unknown.out());
        assertThat(u.path("cost_realtime_usd").isNull()).as("unknown, never 0").isTrue();
        assertThat(u.path("lines").get(0).path("cost_batch_usd").isNull()).isTrue();
        assertThat(u.path("lines").get(0).path("prompt_tokens_exact").asBoolean()).isFalse();
    }

    @Test
    void aDryRunOfAResumedRunCountsWhatIsAlreadyAnsweredAsFree() throws Exception {
        Path in = prompts(5);
        assertThat(generate(in, "openai:test", "--limit", "3", "--no-cache").code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(3);
        // the whole input: the folder's journal already holds the replies to the first 3 of 5
        Run dry = generate(in, "openai:test", "--dry-run-json", "--no-cache");

        assertThat(dry.code()).as(dry.err()).isZero();
        JsonNode e = JSON.readTree(dry.out());
        assertThat(e.path("requests").asLong()).isEqualTo(5);
        assertThat(e.path("free").asLong()).isEqualTo(3);
        assertThat(e.path("paid").asLong()).isEqualTo(2);
        assertThat(server.totalRequests()).isEqualTo(3);

        // and from the response cache, for a new output folder
        Run cached = granular(List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", tmp.resolve("other").toString(), "--cache", tmp.resolve("c.sqlite").toString(), "--limit", "2"));
        assertThat(cached.code()).as(cached.err()).isZero();
        Run dry2 = granular(List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", tmp.resolve("third").toString(), "--cache", tmp.resolve("c.sqlite").toString(), "--dry-run"));
        assertThat(dry2.code()).as(dry2.err()).isZero();
        assertThat(dry2.out()).containsPattern("generate +openai:test@\\S+ +5 +2 ");
        assertThat(tmp.resolve("third")).doesNotExist();
    }

    @Test
    void spendIsSummedOverEveryAttemptAndNoJournalledReplyIsPaidTwice() throws Exception {
        // gpt-4o-mini: each reply 10 + 100 tokens, $0.0000615; a budget of $0.0002 stops the first attempt early
        server.script(r -> Reply.text("fine").usage(10, 100));
        Path in = prompts(8);
        Run first = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--max-cost", "0.0002", "--concurrency", "1",
                "--no-cache");
        assertThat(first.code()).as(first.err()).isEqualTo(3);
        // the core names the field (maxCost); the CLI shows the flag
        assertThat(first.err()).contains("granular: stopped early: the --max-cost budget of $0.0002 was reached");
        long firstPaid = server.totalRequests();
        assertThat(firstPaid).isBetween(1L, 3L);
        JsonNode c1 = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost");
        assertThat(c1.path("earlier_attempts").path("billable").asLong()).isZero();
        assertThat(c1.path("this_attempt").path("billable").asLong()).isEqualTo(firstPaid);

        Run second = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--max-cost", "1", "--no-cache");

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(server.totalRequests()).as("no journalled reply is asked (or paid) again").isEqualTo(8);
        JsonNode c2 = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost");
        double one = 10 * 0.15e-6 + 100 * 0.60e-6;
        var eps = org.assertj.core.data.Offset.offset(1e-12);
        assertThat(c2.path("earlier_attempts").path("billable").asLong()).isEqualTo(firstPaid);
        assertThat(c2.path("earlier_attempts").path("usd").asDouble()).isCloseTo(c1.path("usd").asDouble(), eps);
        assertThat(c2.path("this_attempt").path("billable").asLong()).isEqualTo(8 - firstPaid);
        assertThat(c2.path("billable").asLong()).isEqualTo(8);
        assertThat(c2.path("usd").asDouble()).isCloseTo(8 * one, eps)
                .isCloseTo(c2.path("this_attempt").path("usd").asDouble() + c2.path("earlier_attempts").path("usd").asDouble(), eps);
        assertThat(c2.path("prompt_tokens").asLong()).isEqualTo(80);
        JsonNode perModel = c2.path("models").elements().next();
        assertThat(perModel.path("earlier_attempts").path("billable").asLong()).isEqualTo(firstPaid);
        String card = Files.readString(out().resolve("README.md"));
        assertThat(card).contains("| model | this attempt | earlier attempts | total |")
                .contains((8 - firstPaid) + " replies").contains(firstPaid + " replies").contains("| 8 replies, 80 + 800 tokens");
        assertThat(second.out()).contains("8 billable").contains("earlier attempts");
    }

    @Test
    void limitTakesTheFirstRows() throws Exception {
        Run r = generate(prompts(5), "openai:test", "--limit", "2");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(byId().keySet()).containsExactly("r0", "r1");
        assertThat(server.totalRequests()).isEqualTo(2);
    }

    @Test
    void failedRowsGoToFailedJsonlAndARerunRetriesOnlyThem() throws Exception {
        server.script(r -> r.lastUserMessage().endsWith("3") || r.lastUserMessage().endsWith("7")
                ? Reply.status(400).message("this prompt is not allowed") : Reply.text("ok " + r.lastUserMessage()));
        Path in = prompts(10);

        Run first = generate(in, "openai:test");

        assertThat(first.code()).as(first.out() + first.err()).isEqualTo(3);
        assertThat(first.err()).contains("2 rows failed").contains("failed.jsonl");
        assertThat(server.totalRequests()).isEqualTo(10);
        assertThat(byId()).hasSize(8).doesNotContainKeys("r3", "r7");
        List<String> failed = Files.readAllLines(out().resolve("failed.jsonl"));
        assertThat(failed).hasSize(2);
        // one compact JSON object per line, as JSONL tools expect, not a pretty-printer's output on one line
        assertThat(failed).allSatisfy(l -> assertThat(l).isEqualTo(JSON.writeValueAsString(JSON.readTree(l))));
        for (String line : failed) {
            JsonNode f = JSON.readTree(line);
            assertThat(f.path("id").asText()).isIn("r3", "r7");
            assertThat(f.path("kind").asText()).isEqualTo("client_error");
            assertThat(f.path("status").asInt()).isEqualTo(400);
            assertThat(f.path("reason").asText()).contains("this prompt is not allowed");
            assertThat(f.path("source").asText()).startsWith("in.jsonl:");
        }

        server.script(r -> Reply.text("ok " + r.lastUserMessage()));
        Run second = generate(in, "openai:test");

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(server.totalRequests()).as("only the two failed rows").isEqualTo(12);
        assertThat(perPrompt()).containsEntry("question 3", 2L).containsEntry("question 7", 2L).containsEntry("question 0", 1L);
        assertThat(byId()).hasSize(10);
        assertThat(out().resolve("failed.jsonl")).doesNotExist();
        assertThat(JSON.readTree(out().resolve("manifest.json").toFile()).path("complete").asBoolean()).isTrue();
    }

    @Test
    void rerunningAFinishedJobSendsNothingWithOrWithoutTheCache() throws Exception {
        Path in = prompts(6);
        assertThat(generate(in, "openai:test").code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(6);
        Map<String, JsonNode> before = byId();

        Run cached = generate(in, "openai:test");
        assertThat(cached.code()).as(cached.err()).isZero();
        Run noCache = generate(in, "openai:test", "--no-cache");
        assertThat(noCache.code()).as(noCache.err()).isZero();

        assertThat(server.totalRequests()).isEqualTo(6);
        assertThat(byId()).isEqualTo(before);
    }

    @Test
    void aTinyBudgetStopsWithExit3AndALargerOneContinues() throws Exception {
        // gpt-4o-mini: each reply costs 10 + 100 tokens, about $0.00006; the budget holds three.
        server.script(r -> Reply.text("fine").usage(10, 100));
        Path in = prompts(10);

        Run first = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--max-cost", "0.0002", "--concurrency", "1");

        assertThat(first.code()).as(first.out() + first.err()).isEqualTo(3);
        assertThat(first.err()).contains("--max-cost");
        long sent = server.totalRequests();
        assertThat(sent).isBetween(1L, 3L);
        assertThat(byId()).hasSize((int) sent);
        JsonNode cost = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost");
        assertThat(cost.path("usd").asDouble()).isLessThanOrEqualTo(0.0002).isPositive();

        Run second = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--max-cost", "1");

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(byId()).hasSize(10);
        assertThat(server.totalRequests()).as("each row asked once in all").isEqualTo(10);
    }

    @Test
    void anAuthenticationFailureExits1NamingTheVariable() throws Exception {
        server.script(r -> Reply.status(401).message("invalid api key"));

        Run r = generate(prompts(3), "openai:test");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("401").contains("OPENAI_API_KEY");
        assertThat(server.totalRequests()).isBetween(1L, 3L);
    }

    @Test
    void badInputRowsExit2WithFileAndLine() throws Exception {
        Path in = input("{\"prompt\":\"fine\"}", "{\"prompt\": 5}");
        Run r = generate(in, "openai:test");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("in.jsonl").contains(":2").contains("\"prompt\" must be a string");

        Path bad = input("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}");
        Run r2 = generate(bad, "openai:test", "--dry-run");
        assertThat(r2.code()).isEqualTo(2);
        assertThat(r2.err()).contains("in.jsonl").contains("1").contains("wizard");

        Path notJson = input("{\"prompt\":\"a\"}", "", "this is not json");
        Run r3 = generate(notJson, "openai:test");
        assertThat(r3.code()).isEqualTo(2);
        assertThat(r3.err()).contains("in.jsonl").contains(":3").contains("invalid JSON");
    }

    @Test
    void jsonSchemaEndToEnd() throws Exception {
        Path schema = tmp.resolve("schema.json");
        Files.writeString(schema, "{\"type\":\"object\",\"required\":[\"n\"],\"properties\":{\"n\":{\"type\":\"integer\"}}}");
        // r0 answers well at once, r1 only after being told what was wrong, r2 never.
        server.script(r -> switch (r.messages().get(0).content()) {
            case "question 0" -> Reply.text("{\"n\": 0}");
            case "question 1" -> r.messages().size() > 1 ? Reply.text("Sure: ```json\n{\"n\": 1}\n```") : Reply.text("one");
            default -> Reply.text("{\"n\": \"two\"}");
        });
        Path in = prompts(3);

        Run r = generate(in, "openai:test", "--json-schema", schema.toString());

        assertThat(r.code()).as(r.err()).isEqualTo(3);
        Map<String, JsonNode> recs = byId();
        assertThat(recs).containsOnlyKeys("r0", "r1");
        assertThat(recs.get("r1").path("meta").path("generation").path("attempts").asInt()).isEqualTo(2);
        JsonNode f = JSON.readTree(Files.readAllLines(out().resolve("failed.jsonl")).get(0));
        assertThat(f.path("id").asText()).isEqualTo("r2");
        assertThat(f.path("kind").asText()).isEqualTo("invalid_output");
        assertThat(server.requests()).allSatisfy(q -> assertThat(q.json().path("response_format").path("type").asText())
                .isEqualTo("json_schema"));
        assertThat(server.totalRequests()).as("1 + 2 + 3").isEqualTo(6);
    }

    @Test
    void aMessagesRowEndingWithAnAssistantHasItReplacedLikeACanonicalRow() throws Exception {
        Path in = input("{\"id\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"chat question\"},"
                + "{\"role\":\"assistant\",\"content\":\"the old answer\"}]}");

        Run r = generate(in, "openai:test");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode m = byId().get("m");
        assertThat(m.path("messages")).as("one assistant turn: the reply").hasSize(2);
        assertThat(m.path("messages").get(1).path("content").asText()).isEqualTo("chat question");
        assertThat(m.toString()).doesNotContain("the old answer");
        assertThat(server.requests().getFirst().messages()).as("the old answer is not sent").hasSize(1);
    }

    @Test
    void aBadLineAnywhereStopsTheRunBeforeTheFirstRequest() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 150; i++) {
            lines.add(i == 101 ? "{\"prompt\": " : "{\"id\":\"r" + i + "\",\"prompt\":\"question " + i + "\"}");
        }
        Path in = input(lines.toArray(String[]::new));

        Run r = generate(in, "openai:test", "--concurrency", "1");

        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(in + ":101: invalid JSON");
        assertThat(server.totalRequests()).isZero();
        assertThat(out().resolve("data")).doesNotExist();
    }

    @Test
    void aRepeatedIdStopsTheRunBeforeTheFirstRequestNamingBothLines() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 150; i++) {
            lines.add("{\"id\":\"r" + (i == 120 ? 7 : i) + "\",\"prompt\":\"question " + i + "\"}");
        }
        Path in = input(lines.toArray(String[]::new));

        Run r = generate(in, "openai:test", "--concurrency", "1");

        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(in + ":120: duplicate id \"r7\" (first at " + in + ":7)");
        assertThat(server.totalRequests()).isZero();
    }

    @Test
    void readsAnOutputDirectoryAndSeveralInputsWithUniqueIds() throws Exception {
        Path first = prompts(3);
        assertThat(generate(first, "openai:test").code()).isZero();
        Path more = tmp.resolve("more.jsonl");
        Files.writeString(more, "{\"id\":\"x1\",\"prompt\":\"another question\"}\n");

        Path second = tmp.resolve("second");
        Run r = granular(List.of("generate", "--in", out().toString(), more.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", second.toString(), "--cache", tmp.resolve("c.sqlite").toString()));

        assertThat(r.code()).as(r.err()).isZero();
        List<String> ids = new ArrayList<>();
        try (Stream<Path> s = Files.list(second.resolve("data"))) {
            for (Path p : s.sorted().toList()) {
                for (String line : Files.readAllLines(p)) {
                    JsonNode rec = JSON.readTree(line);
                    ids.add(rec.path("id").asText());
                    assertThat(rec.path("messages")).as("the earlier reply is replaced, not followed").hasSize(2);
                }
            }
        }
        assertThat(ids).containsExactly("r0", "r1", "r2", "x1");

        Run twice = granular(List.of("generate", "--in", out().toString(), "--in", out().resolve("data").toString(),
                "--model", "openai:test@" + server.baseUrl(), "--out", tmp.resolve("third").toString(), "--dry-run"));
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.err()).contains("given twice");
    }

    // ---------------------------------------------------------------- stopping at once (issue 11.2)

    @Test
    @org.junit.jupiter.api.Timeout(120) // a hang guard: before the fix this run was still waiting on the breaker after minutes
    void aWrongKeyStopsEverythingAfterTheRequestsInFlight() throws Exception {
        server.script(r -> Reply.status(401).message("invalid api key").delay(java.time.Duration.ofMillis(20)));

        Run r = generate(prompts(50), "openai:test", "--concurrency", "4");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("openai:test@" + server.baseUrl()).contains("401").contains("OPENAI_API_KEY");
        assertThat(server.totalRequests()).as("at most the in-flight window, none after the 401").isBetween(1L, 4L);
    }

    @Test
    void aServerThatRefusesConnectionsFailsFastNamingTheUrl() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/v1";

        Run r = granular(List.of("generate", "--in", prompts(4).toString(), "--model", "openai:test@" + url,
                "--out", out().toString(), "--no-cache", "--max-retries", "2"));

        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("cannot connect to " + url);
    }

    // ---------------------------------------------------------------- input checked before the first request (17.5, 17.3)

    @Test
    void duplicateIdsAreRefusedWithFileAndLineBeforeAnyRequest() throws Exception {
        Path in = input("{\"id\":\"a\",\"prompt\":\"one\"}", "{\"id\":\"b\",\"prompt\":\"two\"}", "{\"id\":\"a\",\"prompt\":\"three\"}");

        Run r = generate(in, "openai:test");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("in.jsonl:3").contains("duplicate id \"a\"").contains("first at " + in + ":1");
        assertThat(server.totalRequests()).isZero();
        assertThat(out()).doesNotExist();

        Run dry = generate(in, "openai:test", "--dry-run");
        assertThat(dry.code()).isEqualTo(2);
        assertThat(dry.err()).contains("in.jsonl:3").contains("duplicate id");

        Path same = input("{\"prompt\":\"same\"}", "{\"prompt\":\"same\"}");
        Run derived = generate(same, "openai:test");
        assertThat(derived.code()).isEqualTo(2);
        assertThat(derived.err()).contains("in.jsonl:2").contains("duplicate id");
        assertThat(server.totalRequests()).isZero();
    }

    @Test
    void aMalformedLine101IsFoundBeforeTheFirst100RequestsArePaid() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"question " + i + "\"}");
        }
        lines.add("{\"id\":\"r100\",\"prompt\":");
        Path in = input(lines.toArray(String[]::new));

        Run r = generate(in, "openai:test", "--no-cache");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("in.jsonl:101").contains("invalid JSON");
        assertThat(server.totalRequests()).isZero();
    }

    // ---------------------------------------------------------------- counts and spend across attempts (17.10, 11.4)

    @Test
    void attemptsAndBillableRequestsAreReportedApart() throws Exception {
        server.script(r -> r.lastUserMessage().endsWith("3") ? Reply.status(400) : Reply.text("ok"));

        Run r = generate(prompts(5), "openai:test");

        assertThat(r.code()).isEqualTo(3);
        JsonNode counts = JSON.readTree(out().resolve("manifest.json").toFile()).path("counts");
        assertThat(counts.path("attempts").asLong()).isEqualTo(5);
        assertThat(counts.path("billable").asLong()).isEqualTo(4);
        JsonNode summary = JSON.readTree(out().resolve("report").resolve("summary.json").toFile());
        assertThat(summary.path("attempts").asLong()).isEqualTo(5);
        assertThat(summary.path("billable").asLong()).isEqualTo(4);
        assertThat(Files.readString(out().resolve("README.md"))).contains("| 5 |").contains("| 4 |");

        server.script(x -> Reply.text("ok"));
        Run again = generate(prompts(5), "openai:test");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("1 requests sent, 5 billable");
    }

    @Test
    void aResumedRunCountsAndBudgetsWhatEveryAttemptSpent() throws Exception {
        // gpt-4o-mini: each reply 10 + 100 tokens, about $0.0000615. The first attempt pays for 6 rows (4 fail);
        // the second has a budget of $0.0005 for the whole run: only about 2 more rows fit.
        server.script(r -> r.lastUserMessage().matches("question [6-9]") ? Reply.status(400)
                : Reply.text("fine").usage(10, 100));
        Path in = prompts(10);
        Run first = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--no-cache", "--concurrency", "1");
        assertThat(first.code()).isEqualTo(3);
        double firstUsd = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost").path("usd").asDouble();
        assertThat(firstUsd).isPositive();

        server.script(r -> Reply.text("fine").usage(10, 100));
        Run second = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--no-cache", "--concurrency", "1",
                "--max-cost", "0.0005");

        assertThat(second.code()).as(second.err()).isEqualTo(3);
        assertThat(second.err()).contains("--max-cost");
        assertThat(server.totalRequests() - 10).as("the budget covers the first attempt's spend too").isBetween(1L, 2L);
        JsonNode cost = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost");
        assertThat(cost.path("usd").asDouble()).as("the whole run's spend").isGreaterThan(firstUsd).isLessThanOrEqualTo(0.0005);
        assertThat(cost.path("billable").asLong()).isEqualTo(6 + server.totalRequests() - 10);

        Run third = generate(in, "openai:gpt-4o-mini", "--max-tokens", "100", "--no-cache", "--max-cost", "1");
        assertThat(third.code()).as(third.err()).isZero();
        JsonNode total = JSON.readTree(out().resolve("manifest.json").toFile()).path("cost");
        assertThat(total.path("billable").asLong()).isEqualTo(10);
        assertThat(total.path("usd").asDouble()).isCloseTo(10 * firstUsd / 6, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(third.out()).contains("10 billable");
    }

    // ---------------------------------------------------------------- paid replies are never lost (17.3, 17.4)

    @Test
    void editingTheInputPaysOnlyForTheRowsThatChanged() throws Exception {
        Path in = prompts(5);
        assertThat(generate(in, "openai:test", "--no-cache").code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(5);

        String text = Files.readString(in).replace("question 2", "question two");
        Files.writeString(in, text);
        Run refused = generate(in, "openai:test", "--no-cache");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("--overwrite");

        Run r = generate(in, "openai:test", "--no-cache", "--overwrite");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).as("only the edited row is asked").isEqualTo(6);
        assertThat(byId().get("r2").path("messages").get(1).path("content").asText()).isEqualTo("question two");
        assertThat(byId()).hasSize(5);
    }

    @Test
    void aStoppedRunsPaidRepliesAreNeverDeletedByAnotherConfiguration() throws Exception {
        // The first run pays for 3 replies, then stops (the key is revoked) before writing any record.
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        server.script(r -> n.getAndIncrement() < 3 ? Reply.text("ok " + r.lastUserMessage()) : Reply.status(401));
        Path in = prompts(5);
        Run first = generate(in, "openai:test", "--no-cache", "--concurrency", "1");
        assertThat(first.code()).as(first.err()).isEqualTo(1);
        assertThat(server.totalRequests()).isEqualTo(4);
        server.script(r -> Reply.text("ok " + r.lastUserMessage()));

        Run other = generate(in, "openai:test", "--no-cache", "--temperature", "0.5");
        assertThat(other.code()).as("not silently cleared").isEqualTo(2);
        assertThat(other.err()).contains("--overwrite");
        assertThat(server.totalRequests()).isEqualTo(4);

        assertThat(generate(in, "openai:test", "--no-cache", "--temperature", "0.5", "--overwrite").code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(9);

        Run back = generate(in, "openai:test", "--no-cache", "--overwrite");
        assertThat(back.code()).as(back.err()).isZero();
        assertThat(server.totalRequests()).as("the first run's 3 paid replies are reused").isEqualTo(11);
        assertThat(byId()).hasSize(5);
    }
}
