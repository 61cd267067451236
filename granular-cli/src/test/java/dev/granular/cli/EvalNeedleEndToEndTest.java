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
 * probe --task needle → eval, from the command line: once with a model behind the in-process
 * server, once with a predictions file. The "model" finds the needle only in the top half of
 * the haystack, so every cell of the depth × length grid is known.
 */
class EvalNeedleEndToEndTest {
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
    void aModelIsScoredOnTheDepthByLengthGrid() throws IOException {
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
    void predictionsAreScoredOnTheDepthByLengthGrid() throws IOException {
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
}
