package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.erasure.Erasure;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular erase} over the three input shapes, its meta and its prompt counts. */
class EraseCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    int run(String... args) {
        return Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())).execute(args);
    }

    @Test
    void erasesOpenOrcaShareGptAndMessagesRowsAndCountsThePrompts() throws Exception {
        String sysA = "You are an AI assistant. You will be given a task. You must generate a detailed and long answer.";
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, String.join("\n",
                "{\"id\":\"o1\",\"system_prompt\":\"" + sysA + "\",\"question\":\"Q1\",\"response\":\"R1\"}",
                "{\"id\":\"o2\",\"system_prompt\":\"" + sysA + "\",\"question\":\"Q2\",\"response\":\"R2\"}",
                "{\"id\":\"o3\",\"system_prompt\":\"\",\"question\":\"Q3\",\"response\":\"R3\"}",
                "{\"id\":\"s1\",\"conversations\":[{\"from\":\"system\",\"value\":\"Think step by step.\"},"
                        + "{\"from\":\"human\",\"value\":\"H\"},{\"from\":\"gpt\",\"value\":\"G0\",\"weight\":0},"
                        + "{\"from\":\"human\",\"value\":\"H2\"},{\"from\":\"gpt\",\"value\":\"G1\",\"weight\":1}]}",
                "{\"id\":\"m1\",\"messages\":[{\"role\":\"system\",\"content\":\"Think step by step.\"},"
                        + "{\"role\":\"user\",\"content\":\"U\"},{\"role\":\"assistant\",\"content\":\"A\"}]}") + "\n");
        Path out = tmp.resolve("out");
        assertThat(run("erase", "--in", in.toString(), "--out", out.toString())).isZero();

        List<JsonNode> recs = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("data/part-00000.jsonl"))) {
            recs.add(JSON.readTree(l));
        }
        assertThat(recs).hasSize(5);
        for (JsonNode r : recs) {
            assertThat(r.path("messages").get(0).path("content").asText()).isEqualTo(Erasure.DEFAULT_SYSTEM_MESSAGE);
            assertThat(r.path("meta").path("design").asText()).isEqualTo("erasure");
        }
        assertThat(recs.get(0).path("meta").path("erased_label").asText()).isEqualTo("You are an AI assistant. You will be ...");
        assertThat(recs.get(0).path("meta").path("erased_sha256").asText()).hasSize(64);
        assertThat(recs.get(2).path("meta").path("erased_label").asText()).isEqualTo("none");
        assertThat(recs.get(2).path("meta").path("erased_sha256").isNull()).isTrue();
        JsonNode s1 = recs.get(3).path("messages");
        assertThat(s1).hasSize(5);
        assertThat(s1.get(2).path("train").asBoolean()).as("weight 0 is not trained").isFalse();
        assertThat(s1.get(4).path("train").asBoolean()).isTrue();
        assertThat(recs.get(3).path("meta").path("erased_sha256")).isEqualTo(recs.get(4).path("meta").path("erased_sha256"));

        JsonNode summary = JSON.readTree(out.resolve("report/summary.json").toFile());
        assertThat(summary.path("distinct_erased_prompts").asLong()).isEqualTo(2);
        assertThat(summary.path("rows_without_system_prompt").asLong()).isEqualTo(1);
        assertThat(summary.path("top_erased_prompts").get(0).path("count").asLong()).isEqualTo(2);
        assertThat(out.resolve("report/erased_prompts.png")).isNotEmptyFile();
        assertThat(run("validate", out.toString())).isZero();
    }

    @Test
    void aRowOfTheWrongShapeIsBadInputWithItsLine() throws Exception {
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"o1\",\"question\":\"Q\",\"response\":\"R\"}\n{\"id\":\"x\",\"text\":\"?\"}\n");
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true))
                .execute("erase", "--in", in.toString(), "--out", tmp.resolve("out").toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("in.jsonl:2");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void readsAnotherOutputDirectoryAndSeveralInputsKeepingIdsUnique() throws Exception {
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"o1\",\"system_prompt\":\"Be long.\",\"question\":\"Q1\",\"response\":\"R1\"}\n");
        Path first = tmp.resolve("first");
        assertThat(run("erase", "--in", in.toString(), "--out", first.toString())).isZero();
        Path more = tmp.resolve("more.jsonl");
        Files.writeString(more, "{\"id\":\"o2\",\"question\":\"Q2\",\"response\":\"R2\"}\n");

        Path second = tmp.resolve("second");
        assertThat(run("erase", "--in", first.toString(), "--in", more.toString(), "--out", second.toString())).isZero();

        List<String> ids = new ArrayList<>();
        for (String line : Files.readAllLines(second.resolve("data/part-00000.jsonl"))) {
            JsonNode r = JSON.readTree(line);
            ids.add(r.path("id").asText());
            assertThat(r.path("messages").get(0).path("content").asText()).isEqualTo(Erasure.DEFAULT_SYSTEM_MESSAGE);
        }
        assertThat(ids).containsExactly("o1", "o2");

        StringWriter err = new StringWriter();
        int dup = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true))
                .execute("erase", "--in", first.toString(), in.toString(), "--out", tmp.resolve("third").toString());
        assertThat(dup).isEqualTo(2);
        assertThat(err.toString()).contains(in + ":1: duplicate id \"o1\" (first at " + first.resolve("data/part-00000.jsonl") + ":1)");
    }
}
