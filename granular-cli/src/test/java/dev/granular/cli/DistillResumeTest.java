package dev.granular.cli;

import static dev.granular.cli.KillAndRerun.after;
import static dev.granular.cli.KillAndRerun.dataFiles;
import static dev.granular.cli.KillAndRerun.dataLines;
import static dev.granular.cli.KillAndRerun.granular;
import static dev.granular.cli.KillAndRerun.killMidRun;
import static dev.granular.cli.KillAndRerun.lines;
import static dev.granular.cli.KillAndRerun.perPrompt;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code granular distill --no-cache} in a child JVM, killed with SIGKILL once in calibration and
 * once in the main phase, then rerun: it completes with the planted strategy per category, each
 * task's record appears once, no journaled request is sent again, and the data is that of an
 * uninterrupted run.
 */
class DistillResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern TASK = Pattern.compile("\\[(\\w+)] item (\\d+)");
    static final StrategyLibrary LIB = StrategyLibrary.builtIn();
    static final int TASKS = 200;
    static final int CONCURRENCY = 4;
    /** 2 answered categories x 6 strategies x 10 calibration tasks. */
    static final int CALIBRATION_CALLS = 120;

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start().script(r -> teacher(r).delay(Duration.ofMillis(40)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String system(ReceivedRequest r) {
        return r.messages().stream().filter(m -> m.role() == Role.SYSTEM).map(ChatMessage::content).findFirst().orElse("");
    }

    /** Math is right only under step-by-step, trivia only under recall-then-generate; echo quotes its instruction. */
    static Reply teacher(ReceivedRequest r) {
        Matcher m = TASK.matcher(r.lastUserMessage());
        if (!m.find()) {
            return Reply.status(400).message("no task in the prompt");
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

    /** 80 math, 80 trivia, 35 open and 5 echo tasks, interleaved. */
    Path tasks() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            lines.add(switch (i % 5) {
                case 0, 1 -> "{\"id\":\"m" + i + "\",\"category\":\"math\",\"question\":\"[math] item " + i + "\",\"answer\":\""
                        + (3 * i) + "\"}";
                case 2, 3 -> "{\"id\":\"t" + i + "\",\"category\":\"trivia\",\"question\":\"[trivia] item " + i
                        + "\",\"answer\":\"city " + i + "\"}";
                default -> i % 40 == 4 ? "{\"id\":\"e" + i + "\",\"category\":\"echo\",\"question\":\"[echo] item " + i + "\"}"
                        : "{\"id\":\"p" + i + "\",\"category\":\"open\",\"question\":\"[open] item " + i + "\"}";
            });
        }
        Path p = tmp.resolve("tasks.jsonl");
        Files.write(p, lines);
        return p;
    }

    List<String> args(Path tasks, Path out) {
        return List.of("distill", "--tasks", tasks.toString(), "--teacher", "openai:t@" + server.baseUrl(), "--out", out.toString(),
                "--no-cache", "--calibration", "10", "--teacher-concurrency", String.valueOf(CONCURRENCY));
    }

    List<String> chosen(Path out) throws IOException {
        List<String> chosen = new ArrayList<>();
        JSON.readTree(out.resolve("report/strategies.json").toFile()).path("chosen")
                .forEach(c -> chosen.add(c.path("category").asText() + "=" + c.path("strategy").asText()));
        return chosen;
    }

    @Test
    void killedInCalibrationAndInTheMainPhaseTheSameCommandCompletesAsIfNeverKilled() throws Exception {
        Path tasks = tasks();

        // The reference: one uninterrupted run.
        Path ref = tmp.resolve("ref");
        granular(args(tasks, ref));
        long mark = server.totalRequests();
        // The 20 calibration tasks are not asked again under their category's winner: that request is the
        // calibration's own, so its paid reply serves (the run's paid replies, even with --no-cache).
        assertThat(mark).isEqualTo(CALIBRATION_CALLS + TASKS - 20);
        Map<String, Long> refPerPrompt = perPrompt(server.requests());
        assertThat(refPerPrompt.values()).allSatisfy(c -> assertThat(c).isEqualTo(1L));
        assertThat(chosen(ref)).containsExactly("echo=step-by-step", "math=step-by-step", "open=step-by-step",
                "trivia=recall-then-generate");

        // Killed in calibration, then in the main phase, then finished in-process.
        Path out = tmp.resolve("out");
        List<String> args = args(tasks, out);
        Path state = out.resolve(".granular");
        killMidRun(tmp.resolve("child1.log"), args, state.resolve("calibration.jsonl"), 20);
        assertThat(lines(state.resolve("journal.jsonl"))).isZero();
        assertThat(server.totalRequests() - mark).isLessThan(CALIBRATION_CALLS);
        assertThat(out.resolve("manifest.json")).doesNotExist();

        killMidRun(tmp.resolve("child2.log"), args, state.resolve("journal.jsonl"), 30);
        assertThat(out.resolve("manifest.json")).doesNotExist();
        // the same configuration has the same fingerprint in the child JVMs as in this one
        assertThat(KillAndRerun.childFingerprint(out)).isEqualTo(KillAndRerun.manifestFingerprint(ref));

        long beforeLast = server.totalRequests();
        granular(args);

        // Spend covers every attempt of the run (issue 11.4): the two killed attempts' paid replies are counted too,
        // so the whole run's billable replies are at least every prompt the run needed, not just the last attempt's.
        JsonNode cost = JSON.readTree(out.resolve("manifest.json").toFile()).path("cost");
        long lastAttempt = server.totalRequests() - beforeLast;
        assertThat(lastAttempt).as("the last attempt alone asked fewer than the whole run needs").isLessThan(mark);
        assertThat(cost.path("billable").asLong()).as(cost.toString()).isBetween(mark, server.totalRequests() - mark);

        assertThat(chosen(out)).isEqualTo(chosen(ref));
        List<String> ids = new ArrayList<>();
        for (String line : dataLines(out)) {
            JsonNode rec = JSON.readTree(line);
            ids.add(rec.path("id").asText());
            JsonNode meta = rec.path("meta");
            if (!meta.path("correct").isNull()) {
                assertThat(meta.path("correct").asBoolean()).as(line).isTrue();
            }
        }
        // every task but the 5 echo tasks, which leak their instruction
        assertThat(ids).hasSize(TASKS - 5);
        assertThat(new HashSet<>(ids)).hasSize(TASKS - 5);
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
        JsonNode summary = JSON.readTree(out.resolve("report/summary.json").toFile());
        assertThat(summary.path("records").asLong()).isEqualTo(TASKS - 5);
        assertThat(summary.path("dropped_leak").asLong()).isEqualTo(5);
        assertThat(JSON.readTree(out.resolve("manifest.json").toFile()).path("complete").asBoolean()).isTrue();

        // Each prompt asked as often as in the reference, once more at most for requests in flight at a kill.
        Map<String, Long> counts = perPrompt(after(server.requests(), mark));
        assertThat(counts.keySet()).isEqualTo(refPerPrompt.keySet());
        long extra = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            long expected = refPerPrompt.get(e.getKey());
            assertThat(e.getValue()).isBetween(expected, expected + 1);
            extra += e.getValue() - expected;
        }
        assertThat(extra).as("requests asked again after the two kills").isLessThanOrEqualTo(2 * CONCURRENCY);

        long before = server.totalRequests();
        granular(args);
        assertThat(server.totalRequests()).as("a finished job sends nothing").isEqualTo(before);
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
    }
}
