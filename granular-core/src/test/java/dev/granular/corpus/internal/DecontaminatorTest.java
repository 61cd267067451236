package dev.granular.corpus.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecontaminatorTest {
    @TempDir
    Path dir;

    private static final String EVAL =
            "The quick brown fox jumps over the lazy dog near the old river bank today.";

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, UTF_8);
        return file;
    }

    private Decontaminator fromText(String text) throws IOException {
        return Decontaminator.fromFiles(List.of(write("eval.txt", text)), Decontaminator.DEFAULT_N);
    }

    @Test
    void catchesASharedTenGramDespiteCaseAndPunctuation() throws IOException {
        Decontaminator d = fromText(EVAL);
        assertThat(d.isEmpty()).isFalse();
        assertThat(d.size()).isEqualTo(15 - 10 + 1);
        assertThat(d.contaminated("Story: THE quick, brown -- fox; jumps\nover the 'lazy' DOG near... the end"))
                .isTrue();
    }

    @Test
    void nineSharedWordsAreNotEnough() throws IOException {
        Decontaminator d = fromText(EVAL);
        assertThat(d.contaminated("the quick brown fox jumps over the lazy dog far from here")).isFalse();
        assertThat(d.contaminated("unrelated prose about something else entirely, long enough to matter"))
                .isFalse();
    }

    @Test
    void wordsAreLettersAndDigitsOnlySoApostrophesSplit() throws IOException {
        Decontaminator d = Decontaminator.fromFiles(List.of(write("eval.md", "Don't stop me now, ÉCOLE 42 ok")), 4);
        assertThat(d.contaminated("don t STOP me")).isTrue();
        assertThat(d.contaminated("now école 42 OK")).isTrue();
        assertThat(d.contaminated("dont stop me now")).isFalse();
    }

    @Test
    void textsShorterThanNContributeNothing() throws IOException {
        Decontaminator d = fromText("only nine words here in this short eval text");
        assertThat(d.isEmpty()).isTrue();
        assertThat(d.contaminated("only nine words here in this short eval text")).isFalse();
    }

    @Test
    void anEmptyDecontaminatorFindsNothing() {
        Decontaminator d = Decontaminator.fromFiles(List.of(), 10);
        assertThat(d.isEmpty()).isTrue();
        assertThat(d.contaminated(EVAL)).isFalse();
    }

    @Test
    void readsEveryNestedStringOfJsonlRows() throws IOException {
        Path file = write("eval.jsonl", """
                {"question": "What is this?", "meta": {"passages": ["alpha beta gamma delta epsilon zeta eta theta iota kappa"]}}

                {"answer": 12, "choices": [{"text": "one two three four five six seven eight nine ten"}]}
                """);
        Decontaminator d = Decontaminator.fromFiles(List.of(file), 10);
        assertThat(d.contaminated("x alpha beta gamma delta epsilon zeta eta theta iota kappa y")).isTrue();
        assertThat(d.contaminated("One, two, three, four, five, six, seven, eight, nine, ten!")).isTrue();
        assertThat(d.contaminated("What is this? alpha beta gamma delta epsilon zeta eta theta iota")).isFalse();
    }

    @Test
    void readsGzippedJsonl() throws IOException {
        Path file = dir.resolve("eval.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(("{\"text\": \"" + EVAL + "\"}\n").getBytes(UTF_8));
        }
        assertThat(Decontaminator.fromFiles(List.of(file), 10).contaminated(EVAL)).isTrue();
    }

    @Test
    void badExcludeFilesNameTheFileAndLine() throws IOException {
        Path malformed = write("bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": oops}\n");
        assertThatThrownBy(() -> Decontaminator.fromFiles(List.of(malformed), 10))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(malformed + ":2: invalid JSON");

        Path missing = dir.resolve("missing.jsonl");
        assertThatThrownBy(() -> Decontaminator.fromFiles(List.of(missing), 10))
                .isInstanceOf(BadInputException.class)
                .hasMessage(missing + ": no such file");

        Path invalid = dir.resolve("bad.txt");
        Files.write(invalid, new byte[] {'a', '\n', 'b', '\n', (byte) 0x80});
        assertThatThrownBy(() -> Decontaminator.fromFiles(List.of(invalid), 10))
                .isInstanceOf(BadInputException.class)
                .hasMessage(invalid + ":3: invalid UTF-8 at byte offset 4");

        Path notGzip = write("plain.jsonl.gz", "{}");
        assertThatThrownBy(() -> Decontaminator.fromFiles(List.of(notGzip), 10))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(notGzip + ":1: corrupt gzip data");
    }

    @Test
    void manyNgramsStayDistinct() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            text.append("w").append(i).append(' ');
        }
        Decontaminator d = fromText(text.toString());
        assertThat(d.size()).isEqualTo(200_000 - 10 + 1);
        assertThat(d.contaminated("w500 w501 w502 w503 w504 w505 w506 w507 w508 w509")).isTrue();
        assertThat(d.contaminated("w500 w501 w502 w503 w504 w505 w506 w507 w508 w510")).isFalse();
    }
}
