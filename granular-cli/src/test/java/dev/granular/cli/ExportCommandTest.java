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
}
