package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.erasure.StrategyLibrary;
import dev.granular.record.Role;
import dev.granular.teacher.internal.ChatMessage;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code granular distill} against a teacher whose correctness depends on the strategy
 * instruction it receives: math is answered right only under step-by-step, trivia only under
 * recall-then-generate, so auto selection has a planted winner to find per category. Echo tasks
 * make the teacher quote its system prompt, which the leak check must catch.
 */
class DistillCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern TASK = Pattern.compile("\\[(\\w+)] item (\\d+)");
    static final StrategyLibrary LIB = StrategyLibrary.builtIn();

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start().script(DistillCommandTest::teacher);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String system(ReceivedRequest r) {
        return r.messages().stream().filter(m -> m.role() == Role.SYSTEM).map(ChatMessage::content).findFirst().orElse("");
    }

    /** The planted teacher. */
    static Reply teacher(ReceivedRequest r) {
        Matcher m = TASK.matcher(r.lastUserMessage());
        if (!m.find()) {
            return Reply.text("I cannot tell.");
        }
        int n = Integer.parseInt(m.group(2));
        String sys = system(r);
        return switch (m.group(1)) {
            case "math" -> Reply.text(sys.equals(LIB.get("step-by-step").instruction())
                    ? "First, " + n + " times 3.\nFinal answer: " + (3 * n) : "Final answer: " + (3 * n + 1));
            case "trivia" -> Reply.text(sys.equals(LIB.get("recall-then-generate").instruction())
                    ? "Known: cities are numbered.\nFinal answer: city " + n : "Final answer: town " + n);
            case "echo" -> Reply.text("As I was told: " + String.join(" ", Arrays.copyOf(sys.split("\\s+"), 10))
                    + "\nFinal answer: yes");
            default -> Reply.text("Final answer: plain " + n);
        };
    }

    Path tasks() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add("{\"id\":\"m" + i + "\",\"category\":\"math\",\"question\":\"[math] item " + i + "\",\"answer\":\"" + (3 * i) + "\"}");
            lines.add("{\"id\":\"t" + i + "\",\"category\":\"trivia\",\"question\":\"[trivia] item " + i + "\",\"answer\":\"city " + i + "\"}");
        }
        lines.add("{\"id\":\"e0\",\"category\":\"echo\",\"question\":\"[echo] item 0\"}");
        lines.add("{\"id\":\"p0\",\"category\":\"open\",\"question\":\"[open] item 0\"}");
        Path p = tmp.resolve("tasks.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    record Run(int code, String out, String err) {
    }

    Run distill(Path tasks, String... extra) {
        List<String> a = new ArrayList<>(List.of("distill", "--tasks", tasks.toString(), "--teacher", "openai:t@" + server.baseUrl(),
                "--out", out().toString(), "--cache", tmp.resolve("c.sqlite").toString(), "--calibration", "4"));
        a.addAll(Arrays.asList(extra));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(a.toArray(String[]::new));
        return new Run(code, o.toString(), e.toString());
    }

    Path out() {
        return tmp.resolve("out");
    }

    List<JsonNode> records() throws IOException {
        List<JsonNode> r = new ArrayList<>();
        try (Stream<Path> s = Files.list(out().resolve("data"))) {
            for (Path p : s.sorted().toList()) {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    r.add(JSON.readTree(line));
                }
            }
        }
        return r;
    }

    @Test
    void autoSelectionFindsThePlantedWinnerPerCategoryAndErasesIt() throws Exception {
        Run run = distill(tasks());
        assertThat(run.code()).as(run.err()).isZero();

        JsonNode strategies = JSON.readTree(out().resolve("report/strategies.json").toFile());
        List<String> chosen = new ArrayList<>();
        strategies.path("chosen").forEach(c -> chosen.add(c.path("category").asText() + "=" + c.path("strategy").asText()
                + "/" + c.path("reason").asText()));
        assertThat(chosen).containsExactly("echo=step-by-step/default: no answered tasks", "math=step-by-step/calibration",
                "open=step-by-step/default: no answered tasks", "trivia=recall-then-generate/calibration");
        // 2 answered categories x 6 strategies x 4 calibration tasks
        assertThat(strategies.path("table")).hasSize(12);
        for (JsonNode cell : strategies.path("table")) {
            assertThat(cell.path("judged").asInt()).isEqualTo(4);
            boolean winner = cell.path("chosen").asBoolean();
            assertThat(cell.path("accuracy").asDouble()).isEqualTo(winner ? 1.0 : 0.0);
        }
        assertThat(out().resolve("report/strategy_accuracy.png")).isNotEmptyFile();

        List<JsonNode> records = records();
        // 12 answered tasks and the open one; the echo task leaked and was dropped
        assertThat(records).hasSize(13);
        for (JsonNode r : records) {
            JsonNode msgs = r.path("messages");
            assertThat(msgs.get(0).path("content").asText()).contains("careful");
            for (JsonNode m : msgs) {
                assertThat(m.path("train").asBoolean()).isEqualTo(m.path("role").asText().equals("assistant"));
                LIB.all().forEach(s -> assertThat(m.path("content").asText()).doesNotContain(s.instruction()));
            }
            JsonNode meta = r.path("meta");
            assertThat(meta.path("design").asText()).isEqualTo("erasure");
            assertThat(meta.path("instruction_sha256").asText())
                    .isEqualTo(LIB.get(meta.path("strategy").asText()).instructionSha256());
            assertThat(meta.path("correct").isNull()).isEqualTo(meta.path("category").asText().equals("open"));
            if (!meta.path("correct").isNull()) {
                assertThat(meta.path("correct").asBoolean()).isTrue();
            }
        }
        JsonNode summary = JSON.readTree(out().resolve("report/summary.json").toFile());
        assertThat(summary.path("dropped_leak").asLong()).isEqualTo(1);
        assertThat(summary.path("records").asLong()).isEqualTo(13);
        assertThat(Files.readString(out().resolve("README.md"))).contains("default: no answered tasks");
        assertThat(Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .execute("validate", out().toString())).isZero();

        long before = server.totalRequests();
        Run again = distill(tasks(), "--no-cache");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(server.totalRequests()).as("a finished run resumes from its journals").isEqualTo(before);
        assertThat(records()).hasSize(13);
    }

    @Test
    void requireCorrectRegeneratesThenDropsWrongAnswers() throws Exception {
        Run run = distill(tasks(), "--select", "fixed:direct-answer", "--require-correct", "--attempts", "2");
        assertThat(run.code()).as(run.err()).isZero();
        List<JsonNode> records = records();
        // every answered task is wrong under direct-answer; only the unjudged open task remains
        assertThat(records).extracting(r -> r.path("id").asText()).containsExactly("p0");
        JsonNode summary = JSON.readTree(out().resolve("report/summary.json").toFile());
        assertThat(summary.path("dropped_wrong").asLong()).isEqualTo(12);
        // 12 answered tasks asked twice (samples 0 and 1), echo and open once; no calibration
        assertThat(server.totalRequests()).isEqualTo(26);
    }

    @Test
    void aFailingModelJudgeFailsTheRowInsteadOfCallingTheAnswerWrong() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean judgeDown = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger judgeCalls = new java.util.concurrent.atomic.AtomicInteger();
        server.script(r -> {
            if (!r.model().equals("judge")) {
                return teacher(r);
            }
            judgeCalls.incrementAndGet();
            return judgeDown.get() ? Reply.status(400) : Reply.text("{\"correct\": true, \"extracted\": \"ok\"}");
        });
        String[] args = {"--select", "fixed:direct-answer", "--require-correct", "--attempts", "2",
                "--judge", "model:openai:judge@" + server.baseUrl()};

        Run down = distill(tasks(), args);
        assertThat(down.code()).as(down.err()).isEqualTo(3);
        // Not "wrong": no second teacher sample was asked for, nothing was dropped as wrong or written with correct=false.
        assertThat(server.totalRequests() - judgeCalls.get()).as("teacher requests: each task once").isEqualTo(14);
        assertThat(judgeCalls.get()).isEqualTo(12);
        assertThat(records()).extracting(r -> r.path("id").asText()).containsExactly("p0");
        List<String> failed = Files.readAllLines(out().resolve("failed.jsonl"));
        assertThat(failed).hasSize(12).allMatch(l -> l.contains("judge model failed")).allMatch(l -> l.startsWith("{\"id\":"));

        judgeDown.set(false);
        Run up = distill(tasks(), args);
        assertThat(up.code()).as(up.err()).isZero();
        List<JsonNode> records = records();
        assertThat(records).hasSize(13);
        for (JsonNode r : records) {
            JsonNode correct = r.path("meta").path("correct");
            assertThat(correct.isNull() || correct.asBoolean()).as(r.toString()).isTrue();
        }
        assertThat(judgeCalls.get()).as("the 12 answers judged again, the teacher's from the cache").isEqualTo(24);
    }

    @Test
    void aMapAssignsStrategiesAndUnmappedCategoriesFallBack() throws Exception {
        Path map = tmp.resolve("map.yaml");
        Files.writeString(map, "math: step-by-step\ntrivia: direct-answer\n");
        Run run = distill(tasks(), "--select", "map:" + map, "--default-strategy", "explain-then-answer");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("math -> step-by-step (map)", "trivia -> direct-answer (map)",
                "open -> explain-then-answer (default: not in the map)");
        for (JsonNode r : records()) {
            if (r.path("meta").path("category").asText().equals("trivia")) {
                assertThat(r.path("meta").path("correct").asBoolean()).isFalse();
            }
        }
    }

    @Test
    void aBadTaskRowIsReportedWithFileAndLine() throws Exception {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\":\"a\",\"question\":\"[math] item 1\",\"answer\":\"3\"}\n{\"id\":\"b\"}\n");
        Run run = distill(bad);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("bad.jsonl:2");
        assertThat(server.totalRequests()).isZero();
    }

    @Test
    void aSystemMessageQuotingAStrategyIsRefused() throws Exception {
        String quote = String.join(" ", Arrays.copyOf(LIB.get("direct-answer").instruction().split("\\s+"), 9));
        Run run = distill(tasks(), "--system-message", "Be nice. " + quote);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("direct-answer");
    }

    @Test
    void aDryRunBuildsTheRunsOwnRequestsAndSendsNothing() throws Exception {
        Run dry = distill(tasks(), "--dry-run-json");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(server.totalRequests()).isZero();
        assertThat(out()).doesNotExist();
        JsonNode e = JSON.readTree(dry.out());
        JsonNode calibrate = e.path("lines").get(0);
        JsonNode distill = e.path("lines").get(1);
        assertThat(calibrate.path("step").asText()).isEqualTo("calibrate");
        assertThat(distill.path("step").asText()).isEqualTo("distill");
        assertThat(distill.path("requests").asLong()).isEqualTo(14);
        assertThat(e.path("notes").toString()).contains("longest-prompt strategy");

        assertThat(distill(tasks()).code()).isIn(0, 3);
        long sent = server.totalRequests();
        Run again = distill(tasks(), "--dry-run-json", "--no-cache");
        JsonNode e2 = JSON.readTree(again.out());
        assertThat(e2.path("lines").get(0).path("free").asLong()).as("every calibration request is the one the run sent")
                .isEqualTo(calibrate.path("requests").asLong());
        assertThat(server.totalRequests()).isEqualTo(sent);
    }
    @Test
    void aBudgetStopBeforeAnyRecordExitsThreeAndTheRerunCompletes() throws Exception {
        Path tasks = tasks();
        List<String> a = new ArrayList<>(List.of("distill", "--tasks", tasks.toString(), "--teacher",
                "openai:gpt-4o-mini@" + server.baseUrl(), "--out", out().toString(), "--no-cache", "--calibration", "4",
                "--teacher-concurrency", "1", "--max-tokens", "100"));
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        List<String> first = new ArrayList<>(a);
        first.addAll(List.of("--max-cost", "0.0001"));
        int code = Granular.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(first.toArray(String[]::new));
        // Stopped in calibration: no record exists yet, which is a resumable stop, not bad input.
        assertThat(code).as(e.toString()).isEqualTo(3);
        assertThat(e.toString()).contains("--max-cost");
        long paid = server.totalRequests();
        assertThat(paid).isPositive();

        List<String> second = new ArrayList<>(a);
        second.addAll(List.of("--max-cost", "10"));
        e = new StringWriter();
        code = Granular.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(second.toArray(String[]::new));
        assertThat(code).as(e.toString()).isZero();
        // Every task but the echo one, whose answer quotes its instruction and is dropped as a leak.
        assertThat(records()).hasSize(13).noneMatch(r -> r.path("id").asText().equals("e0"));
    }
}
