package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PaidRepliesFileTest {
    static final ModelSpec M = ModelSpec.parse("openai:gpt-4o-mini", null);
    static final String K1 = "a".repeat(64);
    static final String K2 = "b".repeat(64);

    @TempDir
    Path tmp;

    @Test
    void repliesAreFoundByKeyLatestFirstAndSpendIsSummedPerRun() {
        Path f = tmp.resolve("replies.jsonl");
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run-A", FileWrites.DIRECT)) {
            r.paid(K1, M, new Usage(10, 20), 0.5, "{\"first\":\"line\\nbreak\"}");
            r.paid(null, M, new Usage(1, 2), 0.25, "invalid");
            r.paid(K1, M, new Usage(10, 20), 0.5, "second");
        }
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run-B", FileWrites.DIRECT)) {
            r.paid(K2, M, new Usage(5, 5), 1.0, "other run");
        }
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run-A", FileWrites.DIRECT)) {
            assertThat(r.get(K1)).contains("second");
            assertThat(r.get(K2)).contains("other run");
            assertThat(r.get("c".repeat(64))).isEmpty();
            assertThat(r.size()).isEqualTo(4);
            assertThat(r.spent()).isEqualTo(new CostMeter.Spend(0, 3, 21, 42, 1.25));
        }
    }

    @Test
    void aTornLastLineIsDroppedAtOpen() throws IOException {
        Path f = tmp.resolve("replies.jsonl");
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run", FileWrites.DIRECT)) {
            r.paid(K1, M, new Usage(1, 1), 0.1, "kept");
        }
        long size = Files.size(f);
        Files.writeString(f, "{\"run\":\"run\",\"key\":\"" + K2 + "\",\"bo", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run", FileWrites.DIRECT)) {
            assertThat(Files.size(f)).isEqualTo(size);
            assertThat(r.get(K1)).contains("kept");
            assertThat(r.get(K2)).isEmpty();
            r.paid(K2, M, new Usage(1, 1), 0.1, "after");
        }
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run", FileWrites.DIRECT)) {
            assertThat(r.get(K2)).contains("after");
        }
    }

    @Test
    void aDamagedCompleteLineIsRefusedAndNothingAfterItIsTruncated() throws IOException {
        Path f = tmp.resolve("replies.jsonl");
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run", FileWrites.DIRECT)) {
            r.paid(K1, M, new Usage(1, 1), 0.1, "first");
        }
        Files.writeString(f, "not json at all\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (PaidRepliesFile r = PaidRepliesFile.open(tmp.resolve("other.jsonl"), "run", FileWrites.DIRECT)) {
            r.paid(K2, M, new Usage(1, 1), 0.1, "after the damage");
        }
        Files.write(f, Files.readAllBytes(tmp.resolve("other.jsonl")), StandardOpenOption.APPEND);
        long size = Files.size(f);

        Throwable t = catchThrowable(() -> PaidRepliesFile.open(f, "run", FileWrites.DIRECT).close());
        assertThat(t).isInstanceOf(BadInputException.class).hasMessageContaining(f.toString() + ":2");
        assertThat(Files.size(f)).isEqualTo(size);
        assertThat(Files.readString(f)).contains("after the damage");
    }

    @Test
    void aFullDiskIsReportedInPlainWords() {
        Path f = tmp.resolve("replies.jsonl");
        try (PaidRepliesFile r = PaidRepliesFile.open(f, "run", (ch, src, pos) -> {
            throw new IOException("No space left on device");
        })) {
            Throwable t = catchThrowable(() -> r.paid(K1, M, new Usage(1, 1), 0.1, "lost"));
            assertThat(t).isInstanceOf(StoppedEarlyException.class).hasMessageContaining("the disk is full")
                    .hasMessageContaining("No space left on device").hasMessageContaining(f.toString());
        }
    }
}
