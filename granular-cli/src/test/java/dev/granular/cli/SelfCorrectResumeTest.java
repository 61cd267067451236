package dev.granular.cli;

import static dev.granular.cli.KillAndRerun.after;
import static dev.granular.cli.KillAndRerun.dataFiles;
import static dev.granular.cli.KillAndRerun.dataLines;
import static dev.granular.cli.KillAndRerun.granular;
import static dev.granular.cli.KillAndRerun.killMidRun;
import static dev.granular.cli.KillAndRerun.perPrompt;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * {@code granular self-correct --no-cache} in a child JVM, killed with SIGKILL once in the
 * student step and once in the teacher step, then rerun: it completes, each example appears
 * once, no journaled request is sent again, and the balanced output is byte for byte that of an
 * uninterrupted run.
 */
class SelfCorrectResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern Q = Pattern.compile("What is (\\d+) plus 7\\?");
    static final int TASKS = 200;
    static final int CONCURRENCY = 4;

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start().script(SelfCorrectResumeTest::reply);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Task n is answered wrong by the student when n % 3 == 0; the teacher's correction of n stays wrong when n % 10 == 0. */
    static Reply reply(ReceivedRequest r) {
        Matcher m = Q.matcher(r.lastUserMessage());
        if (!m.find()) {
            return Reply.status(400).message("no task in the prompt");
        }
        int n = Integer.parseInt(m.group(1));
        Duration delay = Duration.ofMillis(40);
        if (r.model().equals("student")) {
            return Reply.text(n % 3 == 0 ? "Adding " + n + " and 7 gives one more.\n#### " + (n + 8)
                    : "Adding " + n + " and 7.\n#### " + (n + 7)).delay(delay);
        }
        if (r.lastUserMessage().contains("reaches the right result")) {
            return Reply.text("{\"verification\": \"I add " + n + " and 7 again; the sum holds.\"}").delay(delay);
        }
        int fixed = n % 10 == 0 ? n + 9 : n + 7;
        return Reply.text("{\"verification\": \"I added one too many in the last step.\", \"correction\": \"" + n + " plus 7 is "
                + fixed + ".\\n#### " + fixed + "\"}").delay(delay);
    }

    Path tasks() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < TASKS; i++) {
            b.append("{\"id\":\"q").append(i).append("\",\"question\":\"What is ").append(i).append(" plus 7?\",\"answer\":\"")
                    .append(i + 7).append("\"}\n");
        }
        Path p = tmp.resolve("tasks.jsonl");
        Files.writeString(p, b);
        return p;
    }

    List<String> args(Path tasks, Path out) {
        return List.of("self-correct", "--tasks", tasks.toString(), "--student", "openai:student@" + server.baseUrl(),
                "--teacher", "openai:teacher@" + server.baseUrl(), "--out", out.toString(), "--no-cache", "--samples", "1",
                "--student-concurrency", String.valueOf(CONCURRENCY), "--teacher-concurrency", String.valueOf(CONCURRENCY));
    }

    @Test
    void killedInEachStepTheSameCommandCompletesAsIfNeverKilled() throws Exception {
        Path tasks = tasks();

        // The reference: one uninterrupted run.
        Path ref = tmp.resolve("ref");
        String refOut = granular(args(tasks, ref));
        List<ReceivedRequest> refRequests = server.requests();
        long mark = server.totalRequests();
        Map<String, Long> refPerPrompt = perPrompt(refRequests);
        // 200 student prompts; 67 wrong answers (n % 3 == 0) and 67 of the 133 right ones chosen
        assertThat(refRequests).filteredOn(r -> r.model().equals("student")).hasSize(TASKS);
        assertThat(refRequests).filteredOn(r -> r.model().equals("teacher")).hasSize(134);
        assertThat(refPerPrompt.values()).allSatisfy(c -> assertThat(c).isEqualTo(1L));
        // the 7 wrong answers to n % 30 == 0 stay wrong after correction and are dropped
        assertThat(refOut).contains("127 records (67 good, 60 bad; bad share 0.47");

        // Killed in the student step, then in the teacher step, then finished in-process.
        Path out = tmp.resolve("out");
        List<String> args = args(tasks, out);
        Path state = out.resolve(".granular");
        killMidRun(tmp.resolve("child1.log"), args, state.resolve("student.jsonl"), 40);
        assertThat(KillAndRerun.lines(state.resolve("teacher.jsonl"))).isZero();
        assertThat(out.resolve("manifest.json")).doesNotExist();
        long studentFirst = server.totalRequests() - mark;
        assertThat(studentFirst).isLessThan(TASKS);

        killMidRun(tmp.resolve("child2.log"), args, state.resolve("teacher.jsonl"), 20);
        assertThat(out.resolve("manifest.json")).doesNotExist();
        assertThat(after(server.requests(), mark)).filteredOn(r -> r.model().equals("teacher")).hasSizeLessThan(134);

        // the same configuration has the same fingerprint in the child JVMs as in this one
        assertThat(KillAndRerun.childFingerprint(out)).isEqualTo(KillAndRerun.manifestFingerprint(ref));
        String resumed = granular(args);
        assertThat(resumed).contains("127 records (67 good, 60 bad; bad share 0.47");

        List<String> ids = new ArrayList<>();
        for (String line : dataLines(out)) {
            JsonNode rec = JSON.readTree(line);
            ids.add(rec.path("id").asText());
        }
        assertThat(ids).hasSize(127);
        assertThat(new HashSet<>(ids)).hasSize(127);
        // the selection and every record do not depend on where the kills landed
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
        assertThat(JSON.readTree(out.resolve("manifest.json").toFile()).path("complete").asBoolean()).isTrue();

        // Each prompt of the reference was asked; at most twice; repeats only for requests in flight at a kill.
        List<ReceivedRequest> resumedRequests = after(server.requests(), mark);
        Map<String, Long> counts = perPrompt(resumedRequests);
        assertThat(counts.keySet()).isEqualTo(refPerPrompt.keySet());
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(1L, 2L));
        for (String model : List.of("student", "teacher")) {
            Map<String, Long> mine = perPrompt(resumedRequests.stream().filter(r -> r.model().equals(model)).toList());
            assertThat(mine.values().stream().filter(c -> c > 1).count()).as(model + " prompts asked again")
                    .isLessThanOrEqualTo(CONCURRENCY);
        }
        assertThat(resumedRequests.size()).isLessThanOrEqualTo(TASKS + 134 + 2 * CONCURRENCY);

        long before = server.totalRequests();
        granular(args);
        assertThat(server.totalRequests()).as("a finished job sends nothing").isEqualTo(before);
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
    }
}
