package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular cost DIR}: a run's spend read back from its journal, over every attempt. */
class CostCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** gpt-4o-mini, 10 prompt + 100 completion tokens a reply. */
    static final double ONE = 10 * 0.15e-6 + 100 * 0.60e-6;
    static final Offset<Double> EPS = Offset.offset(1e-12);

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start().script(r -> Reply.text("fine").usage(10, 100));
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

    Path prompts(String name, int n) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"" + name + " question " + i + "\"}");
        }
        Path p = tmp.resolve(name + ".jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    Run generate(Path in, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("generate", "--in", in.toString(), "--model", "openai:gpt-4o-mini@" + server.baseUrl(),
                "--out", out.toString(), "--no-cache", "--max-tokens", "100", "--concurrency", "1"));
        a.addAll(Arrays.asList(extra));
        return granular(a.toArray(String[]::new));
    }

    @Test
    void sumsEveryAttemptOfARunByModel() throws Exception {
        Path in = prompts("a", 8);
        Path out = tmp.resolve("out");
        assertThat(generate(in, out, "--max-cost", "0.0002").code()).isEqualTo(3);
        long firstPaid = server.totalRequests();
        assertThat(generate(in, out).code()).isZero();
        assertThat(server.totalRequests()).isEqualTo(8);

        Run r = granular("cost", out.toString(), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode c = JSON.readTree(r.out());
        assertThat(c.path("steps")).hasSize(1);
        JsonNode step = c.path("steps").get(0);
        assertThat(step.path("step").asText()).isEqualTo("generate");
        JsonNode model = step.path("models").path("openai:gpt-4o-mini@" + server.baseUrl());
        assertThat(model.path("replies").asLong()).isEqualTo(8);
        assertThat(model.path("prompt_tokens").asLong()).isEqualTo(80);
        assertThat(model.path("completion_tokens").asLong()).isEqualTo(800);
        assertThat(model.path("usd").asDouble()).isCloseTo(8 * ONE, EPS);
        assertThat(model.path("realtime_replies").asLong()).isEqualTo(8);
        assertThat(model.path("batch_replies").asLong()).isZero();
        assertThat(model.path("cached_latest_attempt").asLong()).isZero();
        assertThat(c.path("total").path("usd").asDouble()).isCloseTo(8 * ONE, EPS);
        // the same figure as the manifest's, which adds this attempt to the earlier ones
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile()).path("cost");
        assertThat(manifest.path("usd").asDouble()).isCloseTo(8 * ONE, EPS);
        assertThat(manifest.path("earlier_attempts").path("billable").asLong()).isEqualTo(firstPaid);

        Run table = granular("cost", out.toString());
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("generate").contains("openai:gpt-4o-mini").containsPattern("total +8 +80 +800 ");
    }

    @Test
    void aRecipeOutputIsReadStepByStepAndBatchRepliesApart() throws Exception {
        Path recipe = tmp.resolve("recipe");
        assertThat(generate(prompts("a", 3), recipe.resolve("steps/first")).code()).isZero();
        assertThat(generate(prompts("b", 2), recipe.resolve("steps/second")).code()).isZero();
        // a reply the batch API answered (as the batch journal writes it): same run, batch price
        Path journal = recipe.resolve("steps/second/.granular/replies.jsonl");
        ObjectNode line = (ObjectNode) JSON.readTree(Files.readAllLines(journal).get(0));
        line.put("key", "b".repeat(64)).put("batch", true).put("usd", ONE / 2);
        Files.writeString(journal, line + "\n", StandardOpenOption.APPEND);

        Run r = granular("cost", recipe.toString(), "--json");

        assertThat(r.code()).as(r.err()).isZero();
        JsonNode c = JSON.readTree(r.out());
        assertThat(c.path("steps")).extracting(s -> s.path("step").asText()).containsExactly("first", "second");
        assertThat(c.path("steps").get(0).path("total").path("replies").asLong()).isEqualTo(3);
        JsonNode second = c.path("steps").get(1).path("total");
        assertThat(second.path("replies").asLong()).isEqualTo(3);
        assertThat(second.path("batch_replies").asLong()).isEqualTo(1);
        assertThat(second.path("batch_usd").asDouble()).isCloseTo(ONE / 2, EPS);
        assertThat(second.path("realtime_usd").asDouble()).isCloseTo(2 * ONE, EPS);
        assertThat(c.path("total").path("replies").asLong()).isEqualTo(6);
        assertThat(c.path("total").path("usd").asDouble()).isCloseTo(5 * ONE + ONE / 2, EPS);
    }

    @Test
    void aFolderThatIsNotAGranularOutputExits2() throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(plain.resolve("notes.txt"), "hello");

        Run r = granular("cost", plain.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(plain.toString()).contains("not a granular output directory");

        Run missing = granular("cost", tmp.resolve("nowhere").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nowhere");
    }

    @Test
    void aDamagedJournalLineIsNamedWithItsLine() throws Exception {
        Path out = tmp.resolve("out");
        assertThat(generate(prompts("a", 2), out).code()).isZero();
        Path journal = out.resolve(".granular/replies.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(journal));
        lines.add(1, "{not json");
        Files.writeString(journal, String.join("\n", lines) + "\n");

        Run r = granular("cost", out.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("replies.jsonl:2").contains("damaged");
    }
}
