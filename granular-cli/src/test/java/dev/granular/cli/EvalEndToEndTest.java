package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * probe → eval → eval-compare from the command line, against the in-process server, which
 * answers right only for the first half of the positions: the curve and Avg/Gap are known.
 */
class EvalEndToEndTest {
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

    static Run granular(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** 300 distinct sentences with unique pieces, in the public pieces format. */
    Path pieces() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String piece = "entry " + i + " records that the " + (char) ('a' + i % 26) + " gate";
            lines.add(JSON.writeValueAsString(Map.of("sentence", "The " + piece + " was painted in spring.", "piece", piece)));
        }
        Path p = tmp.resolve("document_sentences.jsonl");
        Files.write(p, lines);
        return p;
    }

    Path probes() throws IOException {
        Path out = tmp.resolve("probes");
        Run r = granular("probe", "--task", "document", "--pieces", pieces().toString(), "--out", out.toString(),
                "--context-tokens", "2000", "--positions", "40", "--bin", "10", "--sets", "2");
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }

    /** The gold answers and positions by user message, as the server sees them. */
    static Map<String, TrainingRecord> byPrompt(Path probes) {
        Map<String, TrainingRecord> m = new HashMap<>();
        RecordReader.readAll(probes).forEach(r -> m.put(r.messages().get(0).content(), r));
        return m;
    }

    static int position(TrainingRecord r) {
        return ((Number) r.meta().get("position")).intValue();
    }

    @Test
    void theScoresFollowThePositionsTheModelGetsRight() throws IOException {
        Path probes = probes();
        List<TrainingRecord> all = RecordReader.readAll(probes);
        assertThat(all).hasSize(80);
        assertThat(all.get(0).meta()).containsKeys("design", "task", "position", "set", "bin", "depth", "context_tokens", "gold");
        assertThat(((Number) all.get(0).meta().get("context_tokens")).intValue()).isBetween(1900, 2000);

        Map<String, TrainingRecord> prompts = byPrompt(probes);
        server.script(req -> {
            TrainingRecord p = prompts.get(req.lastUserMessage());
            return Reply.text(position(p) < 20 ? (String) p.meta().get("gold") : "Unknown.");
        });
        Path ev = tmp.resolve("model-a");
        Run r = granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", ev.toString(),
                "--cache", tmp.resolve("c.sqlite").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).isEqualTo(80);
        assertThat(server.lastRequest().body()).contains("\"temperature\":0").contains("\"max_tokens\":128");

        JsonNode scores = JSON.readTree(ev.resolve("report/scores.json").toFile());
        JsonNode doc = scores.path("tasks").path("document");
        assertThat(doc.path("bins").toString()).isEqualTo("[1.0,1.0,0.0,0.0]");
        assertThat(doc.path("positions").get(19).asDouble()).isEqualTo(1.0);
        assertThat(doc.path("positions").get(20).asDouble()).isEqualTo(0.0);
        assertThat(doc.path("avg").asDouble()).isEqualTo(0.5);
        assertThat(doc.path("gap").asDouble()).isEqualTo(1.0);
        assertThat(scores.path("all").path("avg").asDouble()).isEqualTo(0.5);
        assertThat(ev.resolve("report/positions.png")).isNotEmptyFile();
        assertThat(Files.readString(ev.resolve("report/index.html"))).contains("src=\"positions.png\"").contains("<td>50.0</td>");
        assertThat(ev.resolve("manifest.json")).exists();
        List<TrainingRecord> scored = RecordReader.readAll(ev);
        assertThat(scored).hasSize(80);
        assertThat(scored.get(0).messages()).hasSize(2);
        assertThat(scored.get(0).meta()).containsEntry("score", 1.0);
        assertThat(r.out()).contains("document  Avg  50.0  Gap 100.0");

        // A rerun asks nothing again: the replies are in the run's journal.
        assertThat(granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", ev.toString(),
                "--no-cache").code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(80);

        // The same probes answered the other way round, from a predictions file in the public format.
        List<String> lines = new ArrayList<>();
        for (TrainingRecord p : all) {
            lines.add(JSON.writeValueAsString(Map.of("samples", List.of(position(p) >= 20 ? " " + p.meta().get("gold") : " unknown"))));
        }
        Path preds = tmp.resolve("preds.jsonl");
        Files.write(preds, lines);
        Path ev2 = tmp.resolve("model-b");
        Run r2 = granular("eval", "--probes", probes.toString(), "--predictions", preds.toString(), "--out", ev2.toString());
        assertThat(r2.code()).as(r2.err()).isZero();
        assertThat(JSON.readTree(ev2.resolve("report/scores.json").toFile()).path("tasks").path("document").path("bins").toString())
                .isEqualTo("[0.0,0.0,1.0,1.0]");

        Path cmp = tmp.resolve("cmp");
        Run c = granular("eval-compare", ev.toString(), ev2.toString(), "--out", cmp.toString());
        assertThat(c.code()).as(c.err()).isZero();
        String md = Files.readString(cmp.resolve("compare.md"));
        assertThat(md).contains("| model-a | 50.0 | 100.0 |").contains("| model-b | 50.0 | 100.0 |");
        assertThat(cmp.resolve("compare.png")).isNotEmptyFile();
        assertThat(cmp.resolve("compare.html")).isNotEmptyFile();
    }

    @Test
    void predictionsThatCannotBeAlignedAreBadInput() throws IOException {
        Path probes = probes();
        Path preds = tmp.resolve("short.jsonl");
        Files.writeString(preds, "{\"prediction\": \"x\"}\n");
        Run r = granular("eval", "--probes", probes.toString(), "--predictions", preds.toString(), "--out", tmp.resolve("e").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("1 predictions for 80 probes");
        assertThat(tmp.resolve("e")).doesNotExist();
    }

    @Test
    void probesThatFailAfterRetriesAreListedAndExitThree() throws IOException {
        Path probes = probes();
        Map<String, TrainingRecord> prompts = byPrompt(probes);
        server.script(req -> position(prompts.get(req.lastUserMessage())) == 5 ? Reply.status(400)
                : Reply.text((String) prompts.get(req.lastUserMessage()).meta().get("gold")));
        Path ev = tmp.resolve("e");
        Run r = granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", ev.toString(),
                "--no-cache", "--max-retries", "0");
        assertThat(r.code()).as(r.err()).isEqualTo(3);
        assertThat(Files.readAllLines(ev.resolve("failed.jsonl"))).hasSize(2);
        assertThat(RecordReader.readAll(ev)).hasSize(78);
        JsonNode doc = JSON.readTree(ev.resolve("report/scores.json").toFile()).path("tasks").path("document");
        assertThat(doc.path("avg").asDouble()).isEqualTo(1.0);
    }

    @Test
    void aWrongKeyStopsEvalAfterTheRequestsInFlight() throws IOException {
        // Issue 11.2: every model-calling command goes through the same stop as generate.
        Path probes = probes();
        server.script(req -> Reply.status(401).message("invalid api key").delay(java.time.Duration.ofMillis(20)));
        Run r = granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out",
                tmp.resolve("e").toString(), "--no-cache", "--concurrency", "4");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("openai:m@").contains("OPENAI_API_KEY");
        assertThat(server.totalRequests()).as("80 probes; at most the 4 in flight were sent").isBetween(1L, 4L);
    }
}
