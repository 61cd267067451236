package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * probe → eval → eval-compare from the command line, against the in-process server, which
 * answers right only for the first half of the positions: the curve and Avg/Gap are known.
 * The needle grid likewise, with a model and with a predictions file.
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

        // The same predictions split over two inputs (a file and a folder) are read in order: the same scores.
        Path half = tmp.resolve("preds-second-half");
        Files.createDirectories(half);
        Files.write(tmp.resolve("preds-first-half.jsonl"), lines.subList(0, 40));
        Files.write(half.resolve("part-1.jsonl"), lines.subList(40, lines.size()));
        Path ev3 = tmp.resolve("model-b-split");
        Run r3 = granular("eval", "--probes", probes.toString(), "--predictions", tmp.resolve("preds-first-half.jsonl").toString(),
                "--predictions", half.toString(), "--out", ev3.toString());
        assertThat(r3.code()).as(r3.err()).isZero();
        assertThat(JSON.readTree(ev3.resolve("report/scores.json").toFile()).path("tasks").path("document").path("bins").toString())
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
        assertThat(Files.readAllLines(ev.resolve("failed.jsonl"))).hasSize(2).allMatch(l -> l.startsWith("{\"") && !l.contains(" : "));
        assertThat(RecordReader.readAll(ev)).hasSize(78);
        JsonNode doc = JSON.readTree(ev.resolve("report/scores.json").toFile()).path("tasks").path("document");
        assertThat(doc.path("avg").asDouble()).isEqualTo(1.0);
    }

    // ---- needle in a haystack: the "model" finds the needle only at depth 0%, so every cell of the grid is known

    Path needleProbes() {
        Path out = tmp.resolve("probes");
        Run r = granular("probe", "--task", "needle", "--out", out.toString(), "--lengths", "600,1200", "--depths", "0,50,100");
        assertThat(r.code()).as(r.err()).isZero();
        return out;
    }

    static int depthPercent(TrainingRecord r) {
        return ((Number) r.meta().get("depth_percent")).intValue();
    }

    /** The right answer at depth 0%, a wrong one at 50% and 100%. */
    static String reply(TrainingRecord probe) {
        return depthPercent(probe) == 0 ? "They chose " + probe.meta().get("gold") + "." : "The text does not say.";
    }

    @Test
    void aModelIsScoredOnTheNeedleGrid() throws IOException {
        Path probes = needleProbes();
        Map<String, TrainingRecord> prompts = new HashMap<>();
        RecordReader.readAll(probes).forEach(r -> prompts.put(r.messages().get(0).content(), r));
        assertThat(prompts).hasSize(6);
        server.script(req -> Reply.text(reply(prompts.get(req.lastUserMessage()))));

        Path ev = tmp.resolve("eval-model");
        Run r = granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", ev.toString(),
                "--no-cache");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(server.totalRequests()).isEqualTo(6);
        assertNeedleReport(ev);
    }

    @Test
    void predictionsAreScoredOnTheNeedleGrid() throws IOException {
        Path probes = needleProbes();
        List<String> lines = new ArrayList<>();
        for (TrainingRecord p : RecordReader.readAll(probes)) {
            lines.add(JSON.writeValueAsString(Map.of("id", p.id(), "prediction", reply(p))));
        }
        Path preds = tmp.resolve("preds.jsonl");
        Files.write(preds, lines);
        Path ev = tmp.resolve("eval-preds");
        Run r = granular("eval", "--probes", probes.toString(), "--predictions", preds.toString(), "--out", ev.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertNeedleReport(ev);
    }

    static void assertNeedleReport(Path ev) throws IOException {
        JsonNode needle = JSON.readTree(ev.resolve("report/scores.json").toFile()).path("needle");
        assertThat(needle.path("depths").toString()).isEqualTo("[0,50,100]");
        assertThat(needle.path("lengths").toString()).isEqualTo("[600,1200]");
        assertThat(needle.path("cells").toString()).isEqualTo("[[1.0,1.0],[0.0,0.0],[0.0,0.0]]");
        assertThat(needle.path("probes").asInt()).isEqualTo(6);
        assertThat(needle.path("avg").asDouble()).isEqualTo(2.0 / 6);
        assertThat(needle.path("gap").asDouble()).isEqualTo(1.0);

        BufferedImage png = ImageIO.read(ev.resolve("report/needle.png").toFile());
        assertThat(png).as("needle.png is a readable PNG").isNotNull();
        assertThat(png.getWidth()).isGreaterThan(200);
        assertThat(png.getHeight()).isGreaterThan(150);
        assertThat(distinctColours(png)).as("a drawn heat map, not a blank canvas").isGreaterThan(10);

        String html = Files.readString(ev.resolve("report/index.html"));
        assertThat(html).contains("src=\"needle.png\"").contains("<th>600</th>").contains("<th>1200</th>")
                .contains("<tr><td>0%</td><td>100.0</td><td>100.0</td></tr>")
                .contains("<tr><td>100%</td><td>0.0</td><td>0.0</td></tr>");
        assertThat(ev.resolve("manifest.json")).exists();
        List<TrainingRecord> scored = RecordReader.readAll(ev);
        assertThat(scored).hasSize(6);
        assertThat(scored).allSatisfy(s -> assertThat(s.meta().get("score")).isEqualTo(depthPercent(s) == 0 ? 1.0 : 0.0));
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                colours.add(img.getRGB(x, y));
            }
        }
        return colours.size();
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

    @Test
    void aDryRunCountsEveryProbeAndAResumedOneCountsAnsweredProbesAsFree() throws IOException {
        Path probes = probes();
        server.script(req -> Reply.text("Unknown."));
        Path ev = tmp.resolve("dry-eval");
        Run dry = granular("eval", "--probes", probes.toString(), "--model", "openai:gpt-4o-mini@" + server.baseUrl(),
                "--out", ev.toString(), "--no-cache", "--dry-run-json");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(server.totalRequests()).isZero();
        assertThat(ev).doesNotExist();
        JsonNode e = JSON.readTree(dry.out());
        assertThat(e.path("requests").asLong()).isEqualTo(80);
        assertThat(e.path("free").asLong()).isZero();
        assertThat(e.path("lines").get(0).path("completion_tokens").asLong()).isEqualTo(80 * 128);
        assertThat(e.path("cost_realtime_usd").asDouble()).isPositive();

        assertThat(granular("eval", "--probes", probes.toString(), "--model", "openai:gpt-4o-mini@" + server.baseUrl(),
                "--out", ev.toString(), "--no-cache").code()).isZero();
        Run again = granular("eval", "--probes", probes.toString(), "--model", "openai:gpt-4o-mini@" + server.baseUrl(),
                "--out", ev.toString(), "--no-cache", "--dry-run-json");
        JsonNode e2 = JSON.readTree(again.out());
        assertThat(e2.path("free").asLong()).as("the dry run builds the very requests the run sent").isEqualTo(80);
        assertThat(e2.path("cost_realtime_usd").asDouble()).isZero();

        Run preds = granular("eval", "--probes", probes.toString(), "--predictions", probes.toString(), "--out",
                tmp.resolve("p").toString(), "--dry-run");
        assertThat(preds.code()).as(preds.err()).isZero();
        assertThat(preds.out()).contains("no model calls");
    }
}
