package dev.granular.record;

import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FilesAndValidatorTest {
    @TempDir
    Path dir;

    static String record(String id, String design) {
        return RecordJson.toJson(new TrainingRecord(id, List.of(Message.user("q"), Message.assistant("a")), null,
                Map.of("design", design)));
    }

    @Test
    void readsDataFolderOfAGranularOutputInSortedOrder() throws IOException {
        write("data/part-00001.jsonl", record("c", "in2") + "\n");
        write("data/part-00000.jsonl", record("a", "in2") + "\n" + record("b", "in2") + "\n");
        write("data/notes.txt", "ignored");
        write("other/elsewhere.jsonl", "not even JSON\n"); // outside data/: not read

        assertThat(RecordReader.dataFiles(dir)).containsExactly(
                dir.resolve("data/part-00000.jsonl"), dir.resolve("data/part-00001.jsonl"));
        try (Stream<TrainingRecord> records = RecordReader.read(dir)) {
            assertThat(records.map(TrainingRecord::id)).containsExactly("a", "b", "c");
        }
    }

    @Test
    void readsAllRecordFilesBelowAPlainDirectoryRecursively() throws IOException {
        write("b/x.jsonl", record("2", "pe") + "\n");
        write("a/z/y.jsonl.gz.bak", "ignored");
        write("a/y.jsonl", record("1", "pe") + "\n");
        write("c.jsonl", record("3", "pe") + "\n");

        assertThat(RecordReader.dataFiles(dir)).containsExactly(
                dir.resolve("a/y.jsonl"), dir.resolve("b/x.jsonl"), dir.resolve("c.jsonl"));
        assertThat(RecordReader.readAll(dir)).extracting(TrainingRecord::id).containsExactly("1", "2", "3");
    }

    @Test
    void rejectsMissingPathsEmptyDirectoriesAndOtherFiles() throws IOException {
        Path missing = dir.resolve("nope");
        Path empty = Files.createDirectories(dir.resolve("empty/data"));
        Path txt = write("a.txt", "x");

        assertThatThrownBy(() -> RecordReader.read(missing))
                .isInstanceOf(BadInputException.class).hasMessage(missing + ": no such file or directory");
        assertThatThrownBy(() -> RecordReader.dataFiles(empty.getParent()))
                .hasMessage(empty.getParent() + ": no .jsonl or .jsonl.gz files in " + empty);
        assertThatThrownBy(() -> RecordReader.dataFiles(txt)).hasMessage(txt + ": not a .jsonl or .jsonl.gz file");
    }

    @Test
    void rejectsUnreadableFile() throws IOException {
        Path file = write("locked.jsonl", record("a", "in2") + "\n");
        boolean locked = file.toFile().setReadable(false) && !Files.isReadable(file);
        if (!locked) {
            return; // running as root: permissions do not apply
        }
        assertThatThrownBy(() -> RecordReader.dataFiles(file)).hasMessage(file + ": not readable (check its permissions)");
    }

    @Test
    void validatorCollectsEveryErrorAndCountsDesigns() throws IOException {
        Path first = write("data/part-00000.jsonl", String.join("\n",
                record("a", "in2"),
                "[]",
                record("b", "in2"),
                record("a", "in2"),
                "") + "\n");
        Path second = write("data/part-00001.jsonl", record("c", "pe") + "\n" + "{\"id\":\"d\"}\n");

        ValidationReport report = RecordValidator.validate(dir, 50);

        assertThat(report.ok()).isFalse();
        assertThat(report.files()).isEqualTo(2);
        assertThat(report.records()).isEqualTo(3);
        assertThat(report.byDesign()).containsExactly(Map.entry("in2", 2L), Map.entry("pe", 1L));
        assertThat(report.errors()).containsExactly(
                first + ":2: expected a JSON object, found array",
                first + ":4: duplicate id \"a\" (first at " + first + ":1)",
                first + ":5: blank line (only a single newline may end the file)",
                second + ":2: missing field \"messages\"");
        assertThat(report.errorCount()).isEqualTo(4);
    }

    @Test
    void validatorKeepsOnlyMaxErrorsButCountsAll() throws IOException {
        write("x.jsonl", "1\n2\n3\n" + record("ok", "in2") + "\n");

        ValidationReport report = RecordValidator.validate(dir, 2);

        assertThat(report.errorCount()).isEqualTo(3);
        assertThat(report.errors()).hasSize(2);
        assertThat(report.records()).isEqualTo(1);
    }

    @Test
    void validatorReportsMissingPathAsAnError() {
        ValidationReport report = RecordValidator.validate(dir.resolve("nope"), 5);

        assertThat(report.errors()).containsExactly(dir.resolve("nope") + ": no such file or directory");
        assertThat(report.files()).isZero();
    }

    @Test
    void validReportIsOk() throws IOException {
        write("data/part-00000.jsonl", record("a", "in2") + "\n");

        ValidationReport report = RecordValidator.validate(dir, 5);

        assertThat(report.ok()).isTrue();
        assertThat(report.records()).isEqualTo(1);
    }

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }
}
