package dev.granular.selfcorrect;

import dev.granular.teacher.ClientLimits;
import dev.granular.selfcorrect.internal.SelfCheckPhrases;
import dev.granular.teacher.RowListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.StoppedEarlyException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline against the in-process fake server playing both models: the student is right
 * on two questions, wrong on one and unparseable on one; the teacher fixes one wrong answer and
 * fails to fix the other.
 */
class SelfCorrectJobTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OCTOPUS_WRONG = "章鱼 has six arms 🐙.\n#### 6";
    static final String OCTOPUS_FIX = "Counting again: an octopus has eight arms 🐙.\n#### 8";

    @TempDir
    Path tmp;
    FakeLlmServer server;
    final AtomicBoolean teacherBroken = new AtomicBoolean();

    @BeforeEach
    void start() throws Exception {
        server = FakeLlmServer.start();
        server.script(script());
        Files.writeString(tmp.resolve("tasks.jsonl"), String.join("\n",
                "{\"id\":\"add\",\"question\":\"What is 2+3?\",\"answer\":\"5\"}",
                "{\"id\":\"octo\",\"question\":\"How many arms does an octopus (章鱼) have?\",\"answer\":\"#### 8\"}",
                "{\"id\":\"mammal\",\"question\":\"Which is a mammal?\",\"choices\":[\"shark\",\"whale\"],\"answer\":\"B\"}",
                "{\"id\":\"paris\",\"question\":\"Capital of France?\",\"answer\":\"Paris\"}") + "\n");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Function<ReceivedRequest, Reply> script() {
        return r -> {
            String u = r.lastUserMessage();
            if (r.model().equals("student")) {
                if (u.startsWith("What is 2+3?")) {
                    return Reply.text("2 plus 3 makes 5.\n#### 5");
                }
                if (u.startsWith("How many arms")) {
                    return Reply.text(OCTOPUS_WRONG);
                }
                if (u.startsWith("Which is a mammal?")) {
                    return Reply.text("Hard to say.");
                }
                return Reply.text("It is Paris.\nAnswer: Paris");
            }
            if (teacherBroken.get() && u.contains("Which is a mammal?")) {
                return Reply.status(400);
            }
            if (u.contains("reaches the right result")) {
                return Reply.text("{\"verification\": \"Re-checking the key step, the result holds.\"}");
            }
            if (u.contains("How many arms")) {
                return Reply.text(json(Map.of("verification", "That is wrong: I miscounted, 八 is eight.", "correction", OCTOPUS_FIX)));
            }
            return Reply.text(json(Map.of("verification", "That is wrong.", "correction", "Sharks live in water.\nAnswer: A")));
        };
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    SelfCorrectJob.Spec spec(boolean maskGood) {
        ClientLimits limits = new ClientLimits(4, 0, 0, 0, Duration.ofSeconds(10), 0);
        return new SelfCorrectJob.Spec(List.of(tmp.resolve("tasks.jsonl")),
                new SelfCorrectJob.ModelRole(ModelSpec.parse("openai:student@" + server.baseUrl(), null), limits),
                new SelfCorrectJob.ModelRole(ModelSpec.parse("openai:teacher@" + server.baseUrl(), null), limits),
                "auto", 1, 0.8, null, 0.5, null, 2, maskGood, null, null, null, 1, 0, tmp.resolve("out"), 100, false,
                List.of("self-correct"), Map.of());
    }

    List<TrainingRecord> records() throws Exception {
        return Files.readAllLines(tmp.resolve("out/data/part-00000.jsonl")).stream()
                .map(l -> RecordJson.parse(l, "x", 0)).toList();
    }

    @Test
    void writesMaskedBadCasesTrainedGoodCasesAndDropsStillWrongCorrections() throws Exception {
        SelfCorrectJob.Result r = SelfCorrectJob.run(spec(false), RowListener.NONE);
        SelfCorrectCounts c = r.counts();
        assertThat(c.correct()).isEqualTo(2);
        assertThat(c.wrong()).isEqualTo(1);
        assertThat(c.unparseable()).isEqualTo(1);
        assertThat(c.studentAccuracy()).isEqualTo(0.5);
        assertThat(c.rightToRight()).isEqualTo(2);
        assertThat(c.wrongToRight()).isEqualTo(1);
        assertThat(c.wrongToWrong()).isEqualTo(1);
        assertThat(c.correctionSuccess()).isEqualTo(0.5);

        List<TrainingRecord> recs = records();
        assertThat(recs).extracting(TrainingRecord::id).containsExactly("add#0", "octo#0", "paris#0");
        TrainingRecord octo = recs.get(1);
        assertThat(octo.meta()).containsEntry("design", "self-correction").containsEntry("case", "bad")
                .containsEntry("initial_correct", false).containsEntry("transition", "W→R").containsEntry("sample_index", 0);
        Message a = octo.messages().getLast();
        int[] cps = a.content().codePoints().toArray();
        var masked = a.trainDetail().get(0);
        assertThat(masked.train()).isFalse();
        assertThat(new String(cps, masked.beginOffset(), masked.length())).isEqualTo(OCTOPUS_WRONG);
        var trained = a.trainDetail().get(1);
        String rest = new String(cps, trained.beginOffset(), trained.length());
        assertThat(rest).startsWith("\n\n").endsWith("\n\n" + OCTOPUS_FIX).contains("That is wrong: I miscounted, 八 is eight.");
        assertThat(SelfCheckPhrases.builtIn().phrases()).anyMatch(p -> rest.startsWith("\n\n" + p + " "));
        assertThat(octo.messages().getFirst().content()).startsWith("How many arms").contains("#### N");

        TrainingRecord add = recs.get(0);
        assertThat(add.meta()).containsEntry("case", "good").containsEntry("transition", "R→R");
        assertThat(add.messages().getLast().trainDetail()).hasSize(1);
        assertThat(add.messages().getLast().trainDetail().getFirst().train()).isTrue();

        JsonNode summary = JSON.readTree(tmp.resolve("out/report/summary.json").toFile());
        assertThat(summary.path("bad_ratio").path("achieved").asDouble()).isEqualTo(1.0 / 3);
        assertThat(summary.path("transitions").path("W→W (dropped)").asLong()).isEqualTo(1);
        assertThat(tmp.resolve("out/report/self-correction.png")).isNotEmptyFile();
        assertThat(tmp.resolve("out/README.md")).content().contains("Partial Answer Masking");
        assertThat(JSON.readTree(tmp.resolve("out/manifest.json").toFile()).path("complete").asBoolean()).isTrue();

        // rerun: nothing is asked again (no cache: the journals alone), the same records come out
        long before = server.totalRequests();
        String data = Files.readString(tmp.resolve("out/data/part-00000.jsonl"));
        SelfCorrectJob.run(spec(false), RowListener.NONE);
        assertThat(server.totalRequests()).isEqualTo(before);
        assertThat(Files.readString(tmp.resolve("out/data/part-00000.jsonl"))).isEqualTo(data);
    }

    @Test
    void maskGoodInitialMasksTheCorrectInitialAnswerToo() throws Exception {
        SelfCorrectJob.run(spec(true), RowListener.NONE);
        Message a = records().getFirst().messages().getLast();
        assertThat(a.trainDetail()).hasSize(2);
        assertThat(a.trainDetail().getFirst().train()).isFalse();
        assertThat(a.content().substring(0, a.trainDetail().getFirst().endOffset())).isEqualTo("2 plus 3 makes 5.\n#### 5");
    }

    @Test
    void failedTeacherRowsStopWithExit3AndAResumeAsksOnlyForThem() throws Exception {
        teacherBroken.set(true);
        assertThatThrownBy(() -> SelfCorrectJob.run(spec(false), RowListener.NONE))
                .isInstanceOf(StoppedEarlyException.class).hasMessageContaining("1 rows failed");
        assertThat(tmp.resolve("out/failed.jsonl")).content().contains("mammal#0");
        long studentCalls = server.requests().stream().filter(q -> q.model().equals("student")).count();
        assertThat(studentCalls).isEqualTo(4);

        teacherBroken.set(false);
        long before = server.totalRequests();
        SelfCorrectJob.Result r = SelfCorrectJob.run(spec(false), RowListener.NONE);
        assertThat(server.totalRequests() - before).isEqualTo(1);
        assertThat(server.requests().stream().filter(q -> q.model().equals("student")).count()).isEqualTo(4);
        assertThat(r.counts().wrongToWrong()).isEqualTo(1);
        assertThat(tmp.resolve("out/failed.jsonl")).doesNotExist();
    }

    @Test
    void retriesOfEachRowReachTheProgress() throws Exception {
        // the student's first reply to one question is a 500: that row is sent twice, and the progress says so
        java.util.concurrent.atomic.AtomicBoolean failedOnce = new java.util.concurrent.atomic.AtomicBoolean();
        Function<ReceivedRequest, Reply> normal = script();
        server.script(r -> r.model().equals("student") && r.lastUserMessage().startsWith("What is 2+3?")
                && failedOnce.compareAndSet(false, true) ? Reply.status(500) : normal.apply(r));
        SelfCorrectJob.Spec base = spec(false);
        ClientLimits retrying = new ClientLimits(4, 0, 0, 2, Duration.ofSeconds(10), 0);
        SelfCorrectJob.Spec spec = new SelfCorrectJob.Spec(base.tasks(), new SelfCorrectJob.ModelRole(base.student().model(), retrying),
                new SelfCorrectJob.ModelRole(base.teacher().model(), retrying), "auto", 1, 0.8, null, 0.5, null, 2, false, null, null,
                null, 1, 0, tmp.resolve("out"), 100, false, List.of("self-correct"), Map.of());
        java.util.concurrent.atomic.AtomicInteger retries = new java.util.concurrent.atomic.AtomicInteger();
        try {
            SelfCorrectJob.run(spec, new RowListener() {
                @Override
                public void finished(boolean ok, long tokens, int r, String status) {
                    retries.addAndGet(r);
                }
            });
        } catch (StoppedEarlyException e) {
            throw new AssertionError(Files.readString(tmp.resolve("out/failed.jsonl")), e);
        }
        assertThat(failedOnce).isTrue();
        assertThat(retries.get()).isEqualTo(1);
    }
}
