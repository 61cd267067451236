package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchJournalTest {
    @TempDir
    Path dir;

    @Test
    void aBatchIsOpenFromSubmittedUntilDownloadedAndSurvivesReopening() {
        Path f = dir.resolve("batches.jsonl");
        BatchJournal j = BatchJournal.acquire(f);
        j.submitted("openai:m", "b1", List.of("k1", "k2"), 10, 200);
        j.submitted("openai:m", "b2", List.of("k3"), 5, 100);
        j.submitted("anthropic:c", "b3", List.of("k4"), 5, 100);
        j.status("b1", "in_progress", "0/2 done");
        j.downloaded("b2", 1, 0, 0);
        j.release();

        BatchJournal again = BatchJournal.acquire(f);
        try {
            assertThat(again.open("openai:m")).containsExactly(new BatchJournal.Open("openai:m", "b1", List.of("k1", "k2"), 10, 200));
            assertThat(again.open("anthropic:c")).extracting(BatchJournal.Open::batchId).containsExactly("b3");
        } finally {
            again.release();
        }
    }

    @Test
    void aTornLastLineIsDroppedAndADamagedCompleteLineIsRefusedNamingFileAndLine() throws Exception {
        Path f = dir.resolve("batches.jsonl");
        BatchJournal j = BatchJournal.acquire(f);
        j.submitted("openai:m", "b1", List.of("k1"), 5, 100);
        j.release();
        Files.writeString(f, "{\"t\":\"downloaded\",\"batch\":\"b1\"", java.nio.file.StandardOpenOption.APPEND);

        BatchJournal torn = BatchJournal.acquire(f);
        assertThat(torn.open("openai:m")).hasSize(1); // the torn "downloaded" never happened
        torn.release();
        assertThat(Files.readString(f)).endsWith("}\n");

        Files.writeString(f, "not json\n{\"t\":\"submitted\",\"batch\":\"b9\",\"model\":\"openai:m\",\"ids\":[]}\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> BatchJournal.acquire(f)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("batches.jsonl").hasMessageContaining("2");
    }
}
