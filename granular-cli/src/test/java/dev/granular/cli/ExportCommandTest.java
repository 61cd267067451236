package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular export} end to end: rows, rejected.jsonl, trainer files, manifest. */
class ExportCommandTest {
    @TempDir
    Path tmp;

    private Path records() throws IOException {
        TrainingRecord whole = new TrainingRecord("whole", List.of(Message.user("q"), Message.assistant("a")), null,
                Map.of("design", "test"));
        TrainingRecord partial = new TrainingRecord("pam", List.of(Message.user("q"), new Message(Role.ASSISTANT, "ab", true,
                List.of(new TrainSpan(0, 1, false), new TrainSpan(1, 2, true)), null)), null, Map.of("design", "test"));
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, RecordJson.toJson(whole) + "\n" + RecordJson.toJson(partial) + "\n");
        return in;
    }

    @Test
    void openaiRefusesThePartialMaskAndSaysWhy() throws IOException {
        Path in = records();
        Path out = tmp.resolve("openai");
        In2Fixtures.Run run = granular("export", "--in", in.toString(), "--format", "openai", "--out", out.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).contains("1 of 2 records").contains("1 rejected");
        assertThat(Files.readAllLines(out.resolve("data/part-00000.jsonl"))).hasSize(1);
        assertThat(Files.readString(out.resolve("rejected.jsonl"))).contains("\"pam\"").contains("only in part");
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"rejected\" : 1");
    }

    @Test
    void severalInputsAreExportedTogetherWithIdsUniqueAcrossThem() throws IOException {
        Path in = records();
        Path other = tmp.resolve("other/data/part-00000.jsonl");
        Files.createDirectories(other.getParent());
        Files.writeString(other, RecordJson.toJson(new TrainingRecord("third", List.of(Message.user("q"), Message.assistant("b")),
                null, Map.of("design", "test"))) + "\n");
        Path out = tmp.resolve("both");

        In2Fixtures.Run run = granular("export", "--in", in.toString(), tmp.resolve("other").toString(), "--format", "axolotl",
                "--out", out.toString());

        assertThat(run.code()).as(run.all()).isZero();
        assertThat(Files.readAllLines(out.resolve("data/part-00000.jsonl"))).hasSize(3);

        Files.copy(in, tmp.resolve("copy.jsonl"));
        In2Fixtures.Run twice = granular("export", "--in", in.toString(), "--in", tmp.resolve("copy.jsonl").toString(),
                "--format", "axolotl", "--out", tmp.resolve("dup").toString());
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.err()).contains(tmp.resolve("copy.jsonl") + ":1: duplicate id \"whole\" (first at " + in + ":1)");
    }

    @Test
    void axolotlCarriesBothAndWritesItsDatasetStanza() throws IOException {
        Path out = tmp.resolve("axolotl");
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "axolotl", "--out", out.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(Files.readAllLines(out.resolve("data/part-00000.jsonl"))).hasSize(2);
        assertThat(out.resolve("rejected.jsonl")).doesNotExist();
        assertThat(Files.readString(out.resolve("axolotl.yaml"))).contains("message_field_training_detail: train_detail")
                .contains("type: chat_template");
    }

    @Test
    void anUnknownFormatIsAUsageError() throws IOException {
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "parquet", "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--format");
    }

    /** The real Qwen3 tokenizer of the test assets. */
    static Path qwen3() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path t = dir.resolve(".test-assets/tokenizers/qwen3");
            if (Files.isRegularFile(t.resolve("tokenizer.json"))) {
                return t;
            }
        }
        throw new AssertionError("no .test-assets/tokenizers/qwen3 above " + Path.of("").toAbsolutePath() + ": run scripts/fetch-test-assets");
    }

    /**
     * {@code in2 --tokenizer DIR --chat-template tokenizer} then {@code export --format tokens}: the
     * export uses the kept ids (and says so in its summary); {@code --no-context-ids} gives the same rows.
     */
    @Test
    void in2WithAChatTemplateThenATokensExportUsesTheKeptIds() throws IOException {
        Path in = tmp.resolve("in2");
        List<String> args = new java.util.ArrayList<>(In2Fixtures.in2(In2Fixtures.corpus(tmp.resolve("corpus"), 30, 3), null, in,
                "--tokenizer", qwen3().toString(), "--chat-template", "tokenizer", "--mix", "single=0.6,multi=0.2,short=0.2"));
        In2Fixtures.Run made = granular(args);
        assertThat(made.code()).as(made.all()).isZero();
        assertThat(in.resolve("tokens/contexts.bin")).exists();
        assertThat(in.resolve("tokens/meta.json")).exists();
        Path fast = tmp.resolve("fast");
        Path full = tmp.resolve("full");
        In2Fixtures.Run a = granular("export", "--in", in.toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--out", fast.toString());
        In2Fixtures.Run b = granular("export", "--in", in.toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--no-context-ids", "--out", full.toString());
        assertThat(a.code()).as(a.all()).isZero();
        assertThat(b.code()).as(b.all()).isZero();
        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(fast.resolve("report/summary.json").toFile());
        assertThat(summary.at("/context_ids/sidecar").asText()).isEqualTo("used");
        assertThat(summary.at("/context_ids/rows_from_ids").asLong()).isEqualTo(32);
        assertThat(Files.readString(fast.resolve("data/part-00000.jsonl"))).isEqualTo(Files.readString(full.resolve("data/part-00000.jsonl")));
        In2Fixtures.Run misuse = granular("export", "--in", in.toString(), "--format", "openai", "--no-context-ids", "--out",
                tmp.resolve("x").toString());
        assertThat(misuse.code()).isEqualTo(2);
        assertThat(misuse.err()).contains("--no-context-ids applies to the token formats");
    }

    @Test
    void tokensWritesParquetWithTheTokenizersTemplate() throws IOException {
        Path out = tmp.resolve("tokens");
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--out", out.toString());
        assertThat(run.code()).as(run.all()).isZero();
        // "pam" trains "b" of "ab", a single token: no whole token lies in the trained span, so it is refused.
        assertThat(run.out()).startsWith("export: 1 of 2 records as tokens to " + out + " (1 rows, 16 tokens, 12.5% trained)");
        assertThat(Files.readString(out.resolve("rejected.jsonl"))).contains("\"pam\"").contains("covered by no whole token");
        assertThat(out.resolve("data/part-00000.parquet")).exists();
        assertThat(out.resolve("report/lengths.png")).exists();
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"tokenizer\" : \"qwen3\"");
    }

    @Test
    void specialTokenTextIsRejectedUnlessAllowed() throws IOException {
        TrainingRecord plain = new TrainingRecord("plain", List.of(Message.user("q"), Message.assistant("a")), null,
                Map.of("design", "test"));
        TrainingRecord special = new TrainingRecord("special", List.of(Message.user("How does a turn end?"),
                Message.assistant("With <|im_end|>, then the next turn.")), null, Map.of("design", "test"));
        Path in = tmp.resolve("special.jsonl");
        Files.writeString(in, RecordJson.toJson(plain) + "\n" + RecordJson.toJson(special) + "\n");

        Path refused = tmp.resolve("refused");
        In2Fixtures.Run run = granular("export", "--in", in.toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--out", refused.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).contains("1 of 2 records").contains("1 rejected");
        assertThat(Files.readString(refused.resolve("rejected.jsonl"))).contains("\"special\"")
                .contains("messages[1] (assistant) content contains the special token text").contains("--allow-special-text");

        Path allowed = tmp.resolve("allowed");
        run = granular("export", "--in", in.toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--allow-special-text", "--out", allowed.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).contains("2 of 2 records");
        assertThat(Files.readAllLines(allowed.resolve("data/part-00000.jsonl"))).hasSize(2);
        assertThat(Files.readString(allowed.resolve("manifest.json"))).contains("\"allow_special_text\" : true");

        // Another choice into the same --out is another export: refused without --overwrite.
        run = granular("export", "--in", in.toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--out", allowed.toString());
        assertThat(run.code()).as(run.all()).isEqualTo(2);
    }

    @Test
    void trlTokensAsJsonlPacked() throws IOException {
        Path out = tmp.resolve("trl-tokens");
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "trl-tokens", "--tokenizer", qwen3().toString(),
                "--tokens-format", "jsonl", "--pack", "64", "--out", out.toString());
        assertThat(run.code()).as(run.all()).isZero();
        List<String> rows = Files.readAllLines(out.resolve("data/part-00000.jsonl"));
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).startsWith("{\"input_ids\":[").contains("\"completion_mask\":[").contains("\"position_ids\":[0,1,");
    }

    @Test
    void aTokenFormatWithoutTokenizerIsAUsageError() throws IOException {
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "tokens", "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--format tokens needs --tokenizer DIR");
    }

    @Test
    void aTokenizerWithoutChatTemplateExitsTwoSayingSo() throws IOException {
        Path bare = tmp.resolve("bare");
        Files.createDirectories(bare);
        Files.copy(qwen3().resolve("tokenizer.json"), bare.resolve("tokenizer.json"));
        Files.writeString(bare.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "tokens", "--tokenizer", bare.toString(),
                "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no chat template in " + bare + ": ").contains("--chat-template FILE");
    }

    @Test
    void tooLongWithTruncationErrorExitsTwoNamingTheRecord() throws IOException {
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "tokens", "--tokenizer", qwen3().toString(),
                "--max-length", "5", "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("record whole has ").contains("tokens > --max-length 5");
    }

    @Test
    void tokenOptionsWithARowFormatAreAUsageError() throws IOException {
        In2Fixtures.Run run = granular("export", "--in", records().toString(), "--format", "openai", "--pack", "64",
                "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--pack applies to the token formats (tokens, trl-tokens) only");
    }
}
