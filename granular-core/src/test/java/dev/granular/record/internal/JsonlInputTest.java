package dev.granular.record.internal;

import dev.granular.record.Message;

import dev.granular.record.RecordJson;

import dev.granular.record.RecordReader;

import dev.granular.record.TrainingRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared reader: which files inputs stand for, ids across inputs, blank lines, limits. */
class JsonlInputTest {
    @TempDir
    Path dir;

    /** Rows {"id": ..., "v": ...}: the row is its id, "!" in a row is refused by the parser. */
    record Row(String id, String file, long line, long ordinal) {
    }

    static final JsonlInput.Format<Row> ROWS = JsonlInput.Format.of((text, at, ordinal) -> {
        var node = JsonlInput.tree(text, at);
        if (node.path("v").asText().equals("!")) {
            throw new IllegalArgumentException("v must not be \"!\"");
        }
        return new Row(node.path("id").asText(), at.file(), at.number(), ordinal);
    }, Row::id);

    Path write(String name, String... lines) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void readsFilesOutputDirectoriesAndDirectoriesOfShardsInOrder() throws IOException {
        Path single = write("one.jsonl", "{\"id\":\"a\"}");
        write("prev/data/part-00001.jsonl", "{\"id\":\"c\"}");
        write("prev/data/part-00000.jsonl", "{\"id\":\"b\"}");
        write("prev/manifest.json", "{}");
        write("prev/README.md", "# not rows");
        write("prev/report/summary.json", "{\"not\":\"rows\"}");
        write("shards/x/p1.jsonl", "{\"id\":\"d\"}");
        Path gz = dir.resolve("shards/p2.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("{\"id\":\"e\"}\n".getBytes(StandardCharsets.UTF_8));
        }

        List<Row> rows = JsonlInput.readAll(List.of(single, dir.resolve("prev"), dir.resolve("shards")), ROWS, 0);

        assertThat(rows).extracting(Row::id).containsExactly("a", "b", "c", "e", "d");
        assertThat(rows).extracting(Row::ordinal).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void aRepeatedIdAcrossInputsNamesBothLines() throws IOException {
        Path a = write("a.jsonl", "{\"id\":\"x\"}", "{\"id\":\"y\"}");
        Path b = write("b/rows.jsonl", "{\"id\":\"z\"}", "{\"id\":\"y\"}");

        assertThatThrownBy(() -> JsonlInput.readAll(List.of(a, b.getParent()), ROWS, 0))
                .isInstanceOf(BadInputException.class)
                .hasMessage(b + ":2: duplicate id \"y\" (first at " + a + ":2)");
    }

    @Test
    void theSameFileReachedTwiceIsRefusedBeforeReading() throws IOException {
        Path f = write("d/data/part-00000.jsonl", "{\"id\":\"x\"}");

        assertThatThrownBy(() -> JsonlInput.files(List.of(dir.resolve("d"), f)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(f + ": given twice (also part of the input " + dir.resolve("d") + ")");
    }

    @Test
    void parserRefusalsAndBadJsonNameTheLine() throws IOException {
        Path f = write("f.jsonl", "{\"id\":\"a\"}", "", "{\"id\":\"b\",\"v\":\"!\"}");
        assertThatThrownBy(() -> JsonlInput.readAll(List.of(f), ROWS, 0))
                .isInstanceOf(BadInputException.class).hasMessage(f + ":3: v must not be \"!\"");

        Path g = write("g.jsonl", "{\"id\":\"a\"}", "{\"id\": }");
        assertThatThrownBy(() -> JsonlInput.readAll(List.of(g), ROWS, 0))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith(g + ":2: invalid JSON: ");
    }

    @Test
    void blankLinesAreSkippedInUserRowsAndRefusedInRecords() throws IOException {
        Path f = write("f.jsonl", "{\"id\":\"a\"}", "", "{\"id\":\"b\"}");
        assertThat(JsonlInput.readAll(List.of(f), ROWS, 0)).extracting(Row::line).containsExactly(1L, 3L);

        Path r = write("r.jsonl", RecordJson.toJson(new TrainingRecord("a", List.of(Message.user("q")), null,
                java.util.Map.of("design", "t"))), "");
        assertThatThrownBy(() -> RecordReader.readAll(r)).hasMessageStartingWith(r + ":2: blank line");
    }

    @Test
    void theLimitStopsReadingSoRowsAfterItAreNotChecked() throws IOException {
        Path f = write("f.jsonl", "{\"id\":\"a\"}", "{\"id\":\"b\"}", "not json");
        assertThat(JsonlInput.check(List.of(f), ROWS, 2)).isEqualTo(2);
        assertThatThrownBy(() -> JsonlInput.check(List.of(f), ROWS, 0)).hasMessageStartingWith(f + ":3: invalid JSON");
    }

    @Test
    void aStringOverTheLimitIsNamedAsSuch() throws IOException {
        Path f = dir.resolve("big.jsonl");
        String big = "{\"id\":\"a\",\"v\":\"" + "a".repeat(JsonlInput.MAX_STRING_CHARS + 1) + "\"}\n";
        Files.writeString(f, big);
        assertThatThrownBy(() -> JsonlInput.readAll(List.of(f), ROWS, 0))
                .hasMessageStartingWith(f + ":1: a JSON value is over granular's limit of 20,000,000 characters per string");
        assertThatThrownBy(() -> RecordReader.readAll(f))
                .hasMessageStartingWith(f + ":1: a JSON value is over granular's limit of 20,000,000 characters per string");

        Path ok = dir.resolve("ok.jsonl");
        Files.writeString(ok, "{\"id\":\"a\",\"v\":\"" + "a".repeat(JsonlInput.MAX_STRING_CHARS) + "\"}\n");
        assertThat(JsonlInput.readAll(List.of(ok), ROWS, 0)).hasSize(1);
    }

    @Test
    void aGzipFileThatIsNotGzipIsCorruptAtLineOne() throws IOException {
        Path f = write("plain.jsonl.gz", "{\"id\":\"a\"}");
        assertThatThrownBy(() -> JsonlInput.readAll(List.of(f), ROWS, 0))
                .hasMessage(f + ":1: corrupt gzip data: ZipException: Not in GZIP format");
    }
}
