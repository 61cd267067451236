package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static dev.granular.cli.In2Fixtures.manifest;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code granular in2}: exit 2, a message naming the file (and line), and no
 * half-written dataset (no manifest, no sealed shard).
 */
class In2BadInputTest {
    @TempDir
    static Path shared;
    static Path good;
    static Path general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void corpus() {
        good = In2Fixtures.corpus(shared.resolve("good"), 300, 11);
        general = In2Fixtures.general(shared.resolve("general.jsonl"));
    }

    /** A corpus folder: the good documents plus {@code extra}. */
    Path corpusWith(String name, byte[] extra) throws IOException {
        Path dir = tmp.resolve("corpus");
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(good)) {
            for (Path p : s.toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        Files.write(dir.resolve(name), extra);
        return dir;
    }

    /** JSONL rows of the good kind: {"id", "body"} (field named {@code field}). */
    static byte[] jsonl(String field, int rows, int badLine, String badRow) {
        Random rnd = new Random(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= rows; i++) {
            if (i == badLine) {
                sb.append(badRow).append('\n');
                continue;
            }
            String text = In2Fixtures.document(rnd, 1000 + i).replace("\n", "\\n");
            sb.append("{\"id\":\"row-").append(i).append("\",\"").append(field).append("\":\"").append(text).append("\"}\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Runs and checks exit 2, a message containing every {@code expected} and nothing half-written. */
    In2Fixtures.Run refused(List<String> args, Path out, String... expected) throws IOException {
        In2Fixtures.Run run = granular(args);
        assertThat(run.code()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).contains(expected);
        assertNothingWritten(out);
        return run;
    }

    static void assertNothingWritten(Path out) throws IOException {
        assertThat(out.resolve("manifest.json")).doesNotExist();
        assertThat(out.resolve("README.md")).doesNotExist();
        if (Files.isDirectory(out.resolve("data"))) {
            try (Stream<Path> s = Files.list(out.resolve("data"))) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.matches("part-.*\\.jsonl")))
                        .as("sealed shards").isEmpty();
            }
        }
    }

    @Test
    void emptyCorpusDirectory() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path out = tmp.resolve("out");
        refused(in2(empty, general, out), out, "empty corpus", empty.toString());
    }

    /** The corpus is the evaluation data itself: every document is decontaminated away, and the message says so. */
    @Test
    void everyDocumentDecontaminated() throws IOException {
        Path eval = tmp.resolve("eval.txt");
        StringBuilder all = new StringBuilder();
        try (Stream<Path> s = Files.list(good)) {
            for (Path p : s.sorted().toList()) {
                all.append(Files.readString(p)).append('\n');
            }
        }
        Files.writeString(eval, all);
        Path out = tmp.resolve("out");
        In2Fixtures.Run run = refused(in2(good, general, out, "--exclude", eval.toString()), out,
                "empty corpus after decontamination: all ", "evaluation files of --exclude");
        long documents;
        try (Stream<Path> s = Files.list(good)) {
            documents = s.count();
        }
        assertThat(run.err()).contains("all " + documents + " documents");
    }

    @Test
    void whitespaceOnlyDocument() throws IOException {
        Path corpus = corpusWith("blank.txt", " \n\t \n".getBytes(StandardCharsets.UTF_8));
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("blank.txt") + ": ", "empty document");
    }

    @Test
    void invalidUtf8InATextFile() throws IOException {
        byte[] bad = "First line.\nSecond line with a bad byte: \u0000\n".getBytes(StandardCharsets.UTF_8);
        bad[bad.length - 2] = (byte) 0xC3; // a lead byte followed by a newline
        Path corpus = corpusWith("latin1.txt", bad);
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("latin1.txt") + ":2: ", "invalid UTF-8");
    }

    @Test
    void invalidUtf8InAJsonlLine() throws IOException {
        String rows = new String(jsonl("text", 6, 4, "{\"text\":\"caf@ in Latin-1\"}"), StandardCharsets.UTF_8);
        byte[] bytes = rows.getBytes(StandardCharsets.UTF_8);
        int at = rows.indexOf('@'); // ASCII before it, so the char index is the byte index
        bytes[at] = (byte) 0xE9; // é in Latin-1: not UTF-8
        Path corpus = corpusWith("rows.jsonl", bytes);
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("rows.jsonl") + ":4: ", "invalid UTF-8");
    }

    @Test
    void anUnpairedSurrogateInAJsonlDocumentIsRefusedAtItsLineBeforeTokenizing() throws IOException {
        Path corpus = corpusWith("rows.jsonl", jsonl("text", 6, 3, "{\"id\":\"lone\",\"text\":\"a document \\ud800 cut inside a character\"}"));
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("rows.jsonl") + ":3: ", "unpaired surrogate U+D800");
    }

    @Test
    void aGeneralRowWithAnUnpairedSurrogateIsRefusedAtItsLine() throws IOException {
        Path bad = tmp.resolve("general.jsonl");
        Files.writeString(bad, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"\\udc00\"}]}\n");
        Path out = tmp.resolve("out");
        refused(in2(good, bad, out), out, bad + ":1: ", "unpaired surrogate U+DC00");
    }

    @Test
    void malformedJsonlLine() throws IOException {
        Path corpus = corpusWith("rows.jsonl", jsonl("text", 6, 3, "{\"text\": \"unterminated"));
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("rows.jsonl") + ":3: ", "invalid JSON");
    }

    @Test
    void missingTextFieldNamesTheLineAndTextFieldFixesIt() throws IOException {
        Path corpus = corpusWith("rows.jsonl", jsonl("body", 6, 0, null));
        Path out = tmp.resolve("out");
        refused(in2(corpus, general, out), out, corpus.resolve("rows.jsonl") + ":1: ", "missing text field \"text\"");

        Path out2 = tmp.resolve("out2");
        In2Fixtures.Run ok = granular(in2(corpus, general, out2, "--text-field", "body"));
        assertThat(ok.code()).as(ok.all()).isZero();
        assertThat(manifest(out2).path("corpus").path("documents").asLong()).isEqualTo(306);
    }

    @Test
    void fixingTheBadFileAndRerunningIntoTheSameDirectoryWorks() throws IOException {
        Path corpus = corpusWith("rows.jsonl", jsonl("text", 5, 3, "{\"text\": "));
        Path out = Files.createDirectories(tmp.resolve("out-kept"));
        refused(in2(corpus, general, out), out, corpus.resolve("rows.jsonl") + ":3: ");
        assertThat(out).as("an existing folder is kept, emptied of what the run made").isEmptyDirectory();

        Files.write(corpus.resolve("rows.jsonl"), jsonl("text", 5, -1, null));
        In2Fixtures.Run ok = granular(in2(corpus, general, out));
        assertThat(ok.code()).as(ok.all()).isZero();
        assertThat(out.resolve("manifest.json")).exists();
    }

    @Test
    void nonexistentCorpusFile() throws IOException {
        Path missing = tmp.resolve("nope.jsonl");
        Path out = tmp.resolve("out");
        refused(in2(missing, general, out), out, missing.toString(), "no such file");
    }

    @Test
    void unreadableCorpusFile() throws IOException {
        Path corpus = corpusWith("secret.txt", "Locked away.".getBytes(StandardCharsets.UTF_8));
        Path secret = corpus.resolve("secret.txt");
        assertThat(secret.toFile().setReadable(false, false)).isTrue();
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(secret), "running as root: cannot make a file unreadable");
            Path out = tmp.resolve("out");
            refused(in2(corpus, general, out), out, secret.toString(), "cannot read");
        } finally {
            secret.toFile().setReadable(true, false);
        }
    }

    @Test
    void nonexistentGeneralFile() throws IOException {
        Path missing = tmp.resolve("general-missing.jsonl");
        Path out = tmp.resolve("out");
        refused(in2(good, missing, out), out, missing.toString());
    }

    @Test
    void minTokensAboveMaxTokens() throws IOException {
        Path out = tmp.resolve("out");
        refused(in2(good, general, out, "--min-tokens", "3000", "--max-tokens", "2000"), out, "--min-tokens", "--max-tokens");
        assertThat(out).doesNotExist();
    }

    @Test
    void corpusTooSmallForTheContexts() throws IOException {
        Path small = In2Fixtures.corpus(tmp.resolve("small"), 4, 3);
        Path out = tmp.resolve("out");
        refused(in2(small, general, out), out, "corpus too small", "--max-tokens");
    }

    @Test
    void mixNotSummingToOne() throws IOException {
        Path out = tmp.resolve("out");
        refused(in2(good, general, out, "--mix", "single=0.5,multi=0.2,short=0.2,general=0.2"), out, "--mix", "sum to 1");
        assertThat(out).doesNotExist();
    }

    @Test
    void templateWithoutContext() throws IOException {
        Path tpl = tmp.resolve("template.txt");
        Files.writeString(tpl, "Answer this: {question}");
        Path out = tmp.resolve("out");
        refused(in2(good, general, out, "--template", tpl.toString()), out, "--template", "{context}");
        assertThat(out).doesNotExist();
    }

    @Test
    void skipTurnsRowErrorsIntoCountedSkips() throws IOException {
        Path dir = tmp.resolve("corpus");
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(good)) {
            for (Path p : s.toList()) {
                Files.copy(p, dir.resolve(p.getFileName()));
            }
        }
        Files.writeString(dir.resolve("blank.txt"), "   \n");
        List<String> rows = new ArrayList<>(new String(jsonl("text", 5, 2, "{\"text\": broken"), StandardCharsets.UTF_8).lines().toList());
        rows.add("{\"id\":\"no-text\",\"body\":\"Missing the field.\"}");
        rows.add("[1, 2, 3]");
        Files.writeString(dir.resolve("rows.jsonl"), String.join("\n", rows) + "\n");
        Path out = tmp.resolve("out");

        assertThat(granular(in2(dir, general, out)).code()).isEqualTo(2);

        Path out2 = tmp.resolve("out2");
        In2Fixtures.Run run = granular(in2(dir, general, out2, "--on-bad-row", "skip"));

        assertThat(run.code()).as(run.all()).isZero();
        JsonNode c = manifest(out2).path("corpus");
        assertThat(c.path("documents").asLong()).isEqualTo(300 + 4);
        JsonNode skipped = c.path("skipped_rows");
        assertThat(skipped.path("empty-document").asLong()).isEqualTo(1);
        assertThat(skipped.path("malformed-json").asLong()).isEqualTo(1);
        assertThat(skipped.path("missing-field").asLong()).isEqualTo(1);
        assertThat(skipped.path("not-an-object").asLong()).isEqualTo(1);
        assertThat(skipped.size()).isEqualTo(4);
    }
}
