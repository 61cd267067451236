package dev.granular.corpus;

import dev.granular.corpus.reader.CorpusReader;
import dev.granular.corpus.reader.CorpusStats;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusReaderTest {
    @TempDir
    Path dir;

    private static final CorpusOptions SKIP = CorpusOptions.defaults().withOnBadRow(BadRowPolicy.SKIP);

    private Path write(String name, String content) throws IOException {
        return write(name, content.getBytes(UTF_8));
    }

    private Path write(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        return file;
    }

    private Path gzip(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content.getBytes(UTF_8));
        }
        return file;
    }

    private static List<Document> read(CorpusReader reader) {
        List<Document> docs = new ArrayList<>();
        reader.forEach(docs::add);
        return docs;
    }

    private static List<Document> read(Path path, CorpusOptions options) {
        return read(new CorpusReader(List.of(path), options));
    }

    private static List<Document> read(Path path) {
        return read(path, CorpusOptions.defaults());
    }

    @Test
    void readsTextAndMarkdownFilesWithRelativeIdsInSortedOrder() throws IOException {
        write("b/two.md", "# Two\n\nbody");
        write("a.txt", "one");
        write("b/a/three.txt", "three");
        write("notes.csv", "x,y");

        CorpusReader reader = new CorpusReader(List.of(dir));
        List<Document> docs = read(reader);

        assertThat(docs).extracting(Document::id).containsExactly("a.txt", "b/a/three.txt", "b/two.md");
        assertThat(docs).extracting(Document::text).containsExactly("one", "three", "# Two\n\nbody");
        assertThat(docs.get(0).origin()).isEqualTo(dir.resolve("a.txt").toString());
        CorpusStats stats = reader.stats();
        assertThat(stats.documents()).isEqualTo(3);
        assertThat(stats.filesRead()).isEqualTo(3);
        assertThat(stats.filesSkipped()).isEqualTo(1);
        assertThat(stats.bytes()).isEqualTo(3 + 5 + "# Two\n\nbody".length());
        assertThat(read(reader)).isEqualTo(docs);
    }

    @Test
    void aFileGivenDirectlyIsNamedByItsFileName() throws IOException {
        Path file = write("deep/er/doc.txt", "hello");
        assertThat(read(file)).extracting(Document::id).containsExactly("doc.txt");
    }

    @Test
    void pathsAreReadInTheOrderGiven() throws IOException {
        Path z = write("z.txt", "zed");
        Path a = write("a.txt", "ay");
        List<Document> docs = read(new CorpusReader(List.of(z, a)));
        assertThat(docs).extracting(Document::id).containsExactly("z.txt", "a.txt");
    }

    @Test
    void normalisesBomAndLineEndingsOnly() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = "  one\r\ntwo\rthree\n  ".getBytes(UTF_8);
        byte[] all = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, all, 0, 3);
        System.arraycopy(body, 0, all, 3, body.length);
        Path file = write("bom.txt", all);
        assertThat(read(file)).extracting(Document::text).containsExactly("  one\ntwo\nthree\n  ");

        Path jsonl = write("bom.jsonl", "\uFEFF{\"text\":\"a\\r\\nb\"}\r\n{\"text\":\"c\"}\r\n");
        assertThat(read(jsonl)).extracting(Document::text).containsExactly("a\nb", "c");
    }

    @Test
    void readsJsonlWithIdsFromTheRowOrTheLine() throws IOException {
        Path file = write("sub/rows.jsonl", """
                {"id": "alpha", "text": "first"}
                {"id": 42, "text": "second"}

                {"id": ["no"], "text": "third", "extra": 1}
                {"text": "fourth"}
                """);
        List<Document> docs = read(dir, CorpusOptions.defaults());
        assertThat(docs).extracting(Document::id)
                .containsExactly("alpha", "42", "sub/rows.jsonl:4", "sub/rows.jsonl:5");
        assertThat(docs).extracting(Document::text).containsExactly("first", "second", "third", "fourth");
        assertThat(docs.get(2).origin()).isEqualTo(file + ":4");
    }

    @Test
    void readsAnotherTextField() throws IOException {
        Path file = write("rows.jsonl", "{\"content\": \"body\"}\n");
        assertThat(read(file, CorpusOptions.defaults().withTextField("content")))
                .extracting(Document::text).containsExactly("body");
    }

    @Test
    void readsGzippedJsonl() throws IOException {
        Path file = gzip("rows.jsonl.gz", "{\"text\": \"zipped one\"}\n{\"text\": \"zipped two\"}\n");
        List<Document> docs = read(file);
        assertThat(docs).extracting(Document::id).containsExactly("rows.jsonl.gz:1", "rows.jsonl.gz:2");
        assertThat(docs).extracting(Document::text).containsExactly("zipped one", "zipped two");
    }

    @Test
    void streamsALargeJsonlFileWithoutHoldingIt() throws IOException {
        Path file = dir.resolve("big.jsonl");
        String row = "{\"text\": \"" + "word ".repeat(200) + "\"}\n";
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] bytes = row.getBytes(UTF_8);
            for (int i = 0; i < 20_000; i++) {
                out.write(bytes);
            }
        }
        long[] count = {0};
        CorpusReader reader = new CorpusReader(List.of(file));
        reader.forEach(d -> count[0]++);
        assertThat(count[0]).isEqualTo(20_000);
        assertThat(reader.stats().bytes()).isEqualTo(Files.size(file));
    }

    // ---- bad input ----

    @Test
    void aMissingPathFails() {
        Path missing = dir.resolve("nope.jsonl");
        assertThatThrownBy(() -> read(missing))
                .isInstanceOf(BadInputException.class)
                .hasMessage(missing + ": no such file or directory");
    }

    @Test
    void anUnknownExtensionGivenDirectlyFails() throws IOException {
        Path file = write("data.csv", "a,b");
        assertThatThrownBy(() -> read(file))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": unknown file type");
    }

    @Test
    void anUnreadableFileFailsEvenWhenSkipping() throws IOException {
        Path file = write("secret.txt", "hidden");
        assumeFalse(!file.toFile().setReadable(false) || Files.isReadable(file), "cannot make a file unreadable here");
        assertThatThrownBy(() -> read(file, SKIP))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": cannot read");
    }

    @Test
    void invalidUtf8InATextFileGivesTheLineAndOffset() throws IOException {
        Path file = write("bad.txt", new byte[] {'o', 'k', '\n', 'a', (byte) 0xC3, '(', '\n'});
        assertThatThrownBy(() -> read(file))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ":2: invalid UTF-8 at byte offset 4");
    }

    @Test
    void invalidUtf8InAJsonlLineGivesTheLine() throws IOException {
        byte[] good = "{\"text\": \"fine\"}\n".getBytes(UTF_8);
        byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xFF, '"', '}', '\n'};
        byte[] all = new byte[good.length + bad.length + good.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        System.arraycopy(good, 0, all, good.length + bad.length, good.length);
        Path file = write("bad.jsonl", all);
        assertThatThrownBy(() -> read(file))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ":2: invalid UTF-8 at byte 10 of the line");

        CorpusReader skipping = new CorpusReader(List.of(file), SKIP);
        assertThat(read(skipping)).hasSize(2);
        assertThat(skipping.stats().skippedRows()).containsExactly(java.util.Map.entry(CorpusStats.INVALID_UTF8, 1L));
    }

    @Test
    void eachBadJsonlRowIsReportedWithItsLine() throws IOException {
        String good = "{\"text\": \"good\"}\n";
        assertBadRow(good + "{\"text\": \"unterminated\n", 2, "invalid JSON: ");
        assertBadRow(good + good + "{\"text\": \"a\"} trailing\n", 3, "invalid JSON: ");
        assertBadRow("[\"text\", \"an array\"]\n" + good, 1, "row is a JSON array, not an object");
        assertBadRow(good + "{\"body\": \"x\", \"title\": \"y\"}\n", 2,
                "missing text field \"text\"; the row has fields [body, title]");
        assertBadRow(good + "{\"text\": null}\n", 2, "missing text field \"text\" (it is null); the row has fields [text]");
        assertBadRow(good + "{\"text\": 7}\n", 2, "text field \"text\" is a number, not a string");
        assertBadRow(good + "{\"text\": \" \\n\\t \"}\n", 2, "empty document (whitespace only)");
        assertBadRow(good + "{\"text\": \"\"}\n", 2, "empty document");
    }

    private void assertBadRow(String content, int line, String message) throws IOException {
        Path file = write("case" + System.nanoTime() + ".jsonl", content);
        assertThatThrownBy(() -> read(file))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ":" + line + ": " + message)
                .satisfies(e -> assertThat(((BadInputException) e).line()).isEqualTo(line));
    }

    @Test
    void skipCountsBadRowsByReason() throws IOException {
        write("rows.jsonl", """
                {"text": "good one"}
                not json
                {"text": "bad
                42
                {"other": "x"}
                {"text": false}
                {"text": "   "}
                {"text": "good two"}
                """);
        write("empty.txt", "\n\n");
        CorpusReader reader = new CorpusReader(List.of(dir), SKIP);
        assertThat(read(reader)).extracting(Document::text).containsExactly("good one", "good two");
        CorpusStats stats = reader.stats();
        assertThat(stats.skippedRows()).containsExactly(
                java.util.Map.entry(CorpusStats.EMPTY_DOCUMENT, 2L),
                java.util.Map.entry(CorpusStats.MALFORMED_JSON, 2L),
                java.util.Map.entry(CorpusStats.MISSING_FIELD, 1L),
                java.util.Map.entry(CorpusStats.NOT_A_STRING, 1L),
                java.util.Map.entry(CorpusStats.NOT_AN_OBJECT, 1L));
        assertThat(stats.skippedRowsTotal()).isEqualTo(7);
        assertThat(stats.documents()).isEqualTo(2);
        assertThat(stats.filesRead()).isEqualTo(2);
    }

    @Test
    void anEmptyTextFileIsABadRow() throws IOException {
        Path file = write("blank.md", " \n ");
        write("other.txt", "content");
        assertThatThrownBy(() -> read(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ": empty document (whitespace only)");
    }

    @Test
    void corruptGzipFailsEvenWhenSkipping() throws IOException {
        Path notGzip = write("plain.jsonl.gz", "{\"text\": \"not compressed\"}\n");
        assertThatThrownBy(() -> read(notGzip, SKIP))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(notGzip + ":1: corrupt gzip data");

        Path full = gzip("full.jsonl.gz", "{\"text\": \"row\"}\n".repeat(5000));
        byte[] bytes = Files.readAllBytes(full);
        Path truncated = write("truncated.jsonl.gz", java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> read(truncated, SKIP))
                .isInstanceOf(BadInputException.class)
                .hasMessageMatching("\\Q" + truncated + "\\E:\\d+: corrupt gzip data.*");
    }

    @Test
    void aCorpusWithoutDocumentsFails() throws IOException {
        write("readme.csv", "nothing to read");
        assertThatThrownBy(() -> read(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("empty corpus: no documents in [" + dir + "]");

        Path onlyBad = write("bad.jsonl", "{\"x\": 1}\n");
        assertThatThrownBy(() -> read(onlyBad, SKIP))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("empty corpus")
                .hasMessageContaining("1 bad rows skipped");
    }

    @Test
    void statsAreOnlyAvailableAfterAPass() {
        CorpusReader reader = new CorpusReader(List.of(dir));
        assertThatThrownBy(reader::stats).isInstanceOf(IllegalStateException.class);
    }

    // ---- fingerprint ----

    @Test
    void fingerprintFollowsNamesSizesAndContent() throws IOException {
        Path corpus = dir.resolve("corpus");
        Path file = write("corpus/a.txt", "alpha");
        write("corpus/b/c.jsonl", "{\"text\": \"c\"}\n");
        String first = CorpusReader.fingerprint(List.of(corpus));
        assertThat(first).hasSize(64).matches("[0-9a-f]+");
        assertThat(CorpusReader.fingerprint(List.of(corpus))).isEqualTo(first);

        write("corpus/ignored.csv", "not part of the corpus");
        assertThat(CorpusReader.fingerprint(List.of(corpus))).isEqualTo(first);

        Path moved = dir.resolve("moved");
        Files.move(corpus, moved);
        assertThat(CorpusReader.fingerprint(List.of(moved))).isEqualTo(first);

        Files.writeString(moved.resolve("a.txt"), "alphA");
        assertThat(CorpusReader.fingerprint(List.of(moved))).isNotEqualTo(first);
        Files.writeString(moved.resolve("a.txt"), "alpha");
        Files.move(moved.resolve("a.txt"), moved.resolve("a2.txt"));
        assertThat(CorpusReader.fingerprint(List.of(moved))).isNotEqualTo(first);
        assertThat(file).doesNotExist();
    }
}
