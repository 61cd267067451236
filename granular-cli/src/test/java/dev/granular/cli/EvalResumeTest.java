package dev.granular.cli;

import static dev.granular.cli.KillAndRerun.after;
import static dev.granular.cli.KillAndRerun.dataFiles;
import static dev.granular.cli.KillAndRerun.granular;
import static dev.granular.cli.KillAndRerun.killMidRun;
import static dev.granular.cli.KillAndRerun.perPrompt;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code granular eval --model --no-cache} in a child JVM, killed with SIGKILL mid-run, then
 * rerun: every probe is scored exactly once, no journaled probe is asked again, and the scores
 * and scored records are those of an uninterrupted run.
 */
class EvalResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int PROBES = 200;
    static final int CONCURRENCY = 6;

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

    /** 300 distinct sentences with unique pieces, then 4 sets of 50 positions: 200 probes. */
    Path probes() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String piece = "entry " + i + " records that the " + (char) ('a' + i % 26) + " gate";
            lines.add(JSON.writeValueAsString(Map.of("sentence", "The " + piece + " was painted in spring.", "piece", piece)));
        }
        Path pieces = tmp.resolve("document_sentences.jsonl");
        Files.write(pieces, lines);
        Path out = tmp.resolve("probes");
        granular(List.of("probe", "--task", "document", "--pieces", pieces.toString(), "--out", out.toString(),
                "--context-tokens", "2000", "--positions", "50", "--bin", "10", "--sets", "4"));
        return out;
    }

    List<String> args(Path probes, Path out) {
        return List.of("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", out.toString(),
                "--no-cache", "--concurrency", String.valueOf(CONCURRENCY));
    }

    @Test
    void killedWithSigkillTheSameCommandScoresEveryProbeOnceWithoutAskingAgain() throws Exception {
        Path probes = probes();
        List<TrainingRecord> all = RecordReader.readAll(probes);
        assertThat(all).hasSize(PROBES);
        Map<String, TrainingRecord> byPrompt = new HashMap<>();
        all.forEach(p -> byPrompt.put(p.messages().get(0).content(), p));
        assertThat(byPrompt).as("every probe is a distinct prompt").hasSize(PROBES);
        // the model finds the piece in the first half of the positions only
        server.script(req -> {
            TrainingRecord p = byPrompt.get(req.lastUserMessage());
            int position = ((Number) p.meta().get("position")).intValue();
            return Reply.text(position < 25 ? (String) p.meta().get("gold") : "Unknown.").delay(Duration.ofMillis(40));
        });

        // The reference: one uninterrupted run.
        Path ref = tmp.resolve("ref");
        granular(args(probes, ref));
        long mark = server.totalRequests();
        assertThat(mark).isEqualTo(PROBES);

        Path out = tmp.resolve("out");
        List<String> args = args(probes, out);
        killMidRun(tmp.resolve("child.log"), args, out.resolve(".granular").resolve("journal.jsonl"), 30);
        assertThat(server.totalRequests() - mark).isLessThan(PROBES);
        assertThat(out.resolve("manifest.json")).doesNotExist();
        assertThat(KillAndRerun.childFingerprint(out)).isEqualTo(KillAndRerun.manifestFingerprint(ref));

        String printed = granular(args);
        assertThat(printed).contains("document  Avg  50.0  Gap 100.0");

        List<TrainingRecord> scored = RecordReader.readAll(out);
        List<String> ids = scored.stream().map(TrainingRecord::id).toList();
        assertThat(ids).hasSize(PROBES);
        assertThat(new HashSet<>(ids)).hasSize(PROBES);
        assertThat(ids).containsExactlyElementsOf(all.stream().map(TrainingRecord::id).toList());
        for (TrainingRecord r : scored) {
            int position = ((Number) r.meta().get("position")).intValue();
            assertThat(r.meta()).containsEntry("score", position < 25 ? 1.0 : 0.0);
        }
        JsonNode doc = JSON.readTree(out.resolve("report/scores.json").toFile()).path("tasks").path("document");
        assertThat(doc.path("bins").toString()).isEqualTo("[1.0,1.0,0.5,0.0,0.0]");
        assertThat(doc.path("avg").asDouble()).isEqualTo(0.5);
        assertThat(Files.readString(out.resolve("report/scores.json"))).isEqualTo(Files.readString(ref.resolve("report/scores.json")));
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
        assertThat(out.resolve("failed.jsonl")).doesNotExist();

        // every probe asked, at most twice, and again only if it was in flight at the kill
        Map<String, Long> counts = perPrompt(after(server.requests(), mark));
        assertThat(counts).hasSize(PROBES);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(1L, 2L));
        assertThat(counts.values().stream().filter(c -> c > 1).count()).isLessThanOrEqualTo(CONCURRENCY);
        assertThat(server.totalRequests() - mark).isLessThanOrEqualTo(PROBES + CONCURRENCY);

        long before = server.totalRequests();
        granular(args);
        assertThat(server.totalRequests()).as("a finished job sends nothing").isEqualTo(before);
        assertThat(dataFiles(out)).isEqualTo(dataFiles(ref));
    }
}
