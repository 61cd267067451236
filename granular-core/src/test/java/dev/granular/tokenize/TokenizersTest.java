package dev.granular.tokenize;

import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizersTest {

    @Test
    void builtinNames() {
        assertThat(Tokenizers.builtinNames()).containsExactly("o200k_base", "cl100k_base");
    }

    @Test
    void knownTiktokenIds() {
        try (Tokenizer o200k = Tokenizers.load("o200k_base"); Tokenizer cl100k = Tokenizers.load("cl100k_base")) {
            assertThat(o200k.encode("Hello world")).containsExactly(13225, 2375);
            assertThat(cl100k.encode("Hello world")).containsExactly(9906, 1917);
            assertThat(o200k.name()).isEqualTo("o200k_base");
            assertThat(cl100k.fingerprint()).isEqualTo("cl100k_base");
        }
    }

    @Test
    void tiktokenEncodesSpecialTokenTextAsOrdinaryText() {
        try (Tokenizer cl100k = Tokenizers.load("cl100k_base")) {
            int[] ids = cl100k.encode("<|endoftext|>");
            assertThat(ids).hasSizeGreaterThan(1).doesNotContain(100257);
            assertThat(cl100k.decode(ids)).isEqualTo("<|endoftext|>");
        }
    }

    @Test
    void tiktokenOffsetsOfMultiByteCharacters() {
        try (Tokenizer cl100k = Tokenizers.load("cl100k_base")) {
            // cl100k splits 🫠 (4 UTF-8 bytes) into byte tokens; only the first starts on the character.
            Encoding e = cl100k.encodeWithOffsets("a🫠");
            assertThat(e.starts()[0]).isZero();
            assertThat(e.starts()).containsOnlyOnce(1).contains(-1);
        }
    }

    @Test
    void huggingFaceTokenizerFromDirectoryOrFile() throws Exception {
        Path dir = TestTokenizers.tokenizerDir("qwen3");
        byte[] json = Files.readAllBytes(dir.resolve("tokenizer.json"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 16);
        try (Tokenizer fromDir = Tokenizers.load(dir.toString());
             Tokenizer fromFile = Tokenizers.load(dir.resolve("tokenizer.json").toString())) {
            assertThat(fromDir.name()).isEqualTo("qwen3");
            assertThat(fromFile.name()).isEqualTo("qwen3");
            assertThat(fromDir.fingerprint()).isEqualTo(sha).isEqualTo(fromFile.fingerprint());
            assertThat(fromDir.encode("Hello world")).containsExactly(9707, 1879);
        }
    }

    @Test
    void unknownNameListsTheChoices() {
        assertThatThrownBy(() -> Tokenizers.load("gpt5_base"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("unknown tokenizer 'gpt5_base': expected one of o200k_base, cl100k_base,"
                        + " or the path of a Hugging Face tokenizer.json file or of a directory containing one");
        assertThatThrownBy(() -> Tokenizers.load("")).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("unknown tokenizer '':");
    }

    @Test
    void directoryWithoutTokenizerJson(@TempDir Path dir) {
        Path expected = dir.resolve("tokenizer.json");
        assertThatThrownBy(() -> Tokenizers.load(dir.toString()))
                .isInstanceOf(BadInputException.class)
                .hasMessage(expected + ": no such file: expected a Hugging Face tokenizer.json or a directory containing one")
                .extracting(e -> ((BadInputException) e).file()).isEqualTo(expected.toString());
    }

    @Test
    void unparseableTokenizerJson(@TempDir Path dir) throws Exception {
        Path notJson = Files.writeString(dir.resolve("tokenizer.json"), "not json");
        assertThatThrownBy(() -> Tokenizers.load(dir.toString()))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(notJson + ": not a valid Hugging Face tokenizer.json: ");
        Path noModel = Files.writeString(dir.resolve("empty.json"), "{}");
        assertThatThrownBy(() -> Tokenizers.load(noModel.toString()))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(noModel + ": not a valid Hugging Face tokenizer.json: ");
    }

    @Test
    void closedHuggingFaceTokenizerFailsCleanly() {
        Tokenizer t = Tokenizers.load(TestTokenizers.spec("llama2"));
        t.close();
        t.close();
        assertThatThrownBy(() -> t.encode("x")).isInstanceOf(IllegalStateException.class);
    }
}
