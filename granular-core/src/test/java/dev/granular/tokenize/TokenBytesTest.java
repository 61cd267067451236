package dev.granular.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.template.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spans from the vocabulary's token bytes must be exactly the spans the Rust tokenizer reports,
 * and the table must step aside (null) whenever the bytes do not spell the text.
 */
class TokenBytesTest {

    /** Texts that exercise byte pieces, multi-byte characters, surrogate pairs, specials and whitespace runs. */
    private static final List<String> TEXTS = List.of(
            "Hello, world!",
            "",
            " leading and trailing spaces  ",
            "Über naïve café — «déjà vu»",
            "日本語のテキストと中文文本",
            "emoji 😀👍🏽 family 👨‍👩‍👧 and 𐍈 gothic",
            "tabs\tand\nnewlines\n\n\nand\r\nCRLF",
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nOk<|im_end|>\n",
            "<start_of_turn>user\nHi<end_of_turn>\n<|begin_of_text|><|eot_id|>",
            "numbers 1234567890 and 3.14159, code: for (int i = 0; i < n; i++) { x[i] = i * 2; }",
            "한국어 텍스트와 ʻokina, Ελληνικά, русский текст",
            "a\u00A0non-breaking space and a zero\u200Bwidth space",
            "lone surrogate \uD800 in the middle");

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3", "llama3_1", "gemma3", "deepseek_v3", "gptoss"})
    void tableSpansEqualTheTokenizersOwnSpans(String name) {
        try (HuggingFaceTokenizerAdapter t = HuggingFaceTokenizerAdapter.open(Reference.tokenizerDir(name))) {
            List<String> texts = new ArrayList<>(TEXTS);
            Random random = new Random(7);
            for (int i = 0; i < 200; i++) {
                texts.add(randomText(random));
            }
            List<String> missed = new ArrayList<>();
            for (String text : texts) {
                TokenSpans expected = t.tokenizerSpans(text);
                TokenSpans table = t.tableSpans(text);
                if (table == null) {
                    missed.add(text + " " + Arrays.toString(expected.ids()));
                } else {
                    assertThat(table.ids()).as("%s ids of %s", name, text).isEqualTo(expected.ids());
                    assertThat(table.begins()).as("%s begins of %s", name, text).isEqualTo(expected.begins());
                    assertThat(table.ends()).as("%s ends of %s", name, text).isEqualTo(expected.ends());
                }
                TokenSpans used = t.encodeWithSpans(text);
                assertThat(used.ids()).isEqualTo(expected.ids());
                assertThat(used.begins()).isEqualTo(expected.begins());
                assertThat(used.ends()).isEqualTo(expected.ends());
            }
            // Every one of these texts is NFC and has no literal ▁, so the table must serve them all.
            assertThat(missed).as("%s texts not served from the token byte table", name).isEmpty();
        }
    }

    @Test
    void llama2sPrependedSpaceMeansNoTable() {
        try (HuggingFaceTokenizerAdapter t = HuggingFaceTokenizerAdapter.open(Reference.tokenizerDir("llama2"))) {
            assertThat(t.tableSpans("Hello world")).isNull();
            TokenSpans s = t.encodeWithSpans("Hello world");
            assertThat(s.ids()).isEqualTo(t.encode("Hello world"));
            assertThat(s.ends()[s.size() - 1]).isEqualTo("Hello world".length());
        }
    }

    @Test
    void textTheNormalizerChangesFallsBackToTheTokenizer() {
        try (HuggingFaceTokenizerAdapter qwen = HuggingFaceTokenizerAdapter.open(Reference.tokenizerDir("qwen3"));
             HuggingFaceTokenizerAdapter gemma = HuggingFaceTokenizerAdapter.open(Reference.tokenizerDir("gemma3"))) {
            String decomposed = "cafe\u0301 au lait"; // qwen3 normalizes to NFC: é is one character there
            assertThat(qwen.tableSpans(decomposed)).isNull();
            assertSameSpans(qwen.encodeWithSpans(decomposed), qwen.tokenizerSpans(decomposed));
            String metaspace = "a literal \u2581 sign"; // gemma3 decodes ▁ as a space
            assertThat(gemma.tableSpans(metaspace)).isNull();
            assertSameSpans(gemma.encodeWithSpans(metaspace), gemma.tokenizerSpans(metaspace));
        }
    }

    @Test
    void unknownDecodersAndTrimmingPostProcessorsGetNoTable() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode qwen = (ObjectNode) json.readTree(Files.readAllBytes(Reference.tokenizerDir("qwen3").resolve("tokenizer.json")));
        assertThat(TokenBytes.of(qwen)).isNotNull();

        ObjectNode trimming = qwen.deepCopy();
        trimming.set("post_processor", json.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true}"));
        assertThat(TokenBytes.of(trimming)).isNull();

        ObjectNode wordPiece = qwen.deepCopy();
        wordPiece.set("decoder", json.readTree("{\"type\":\"WordPiece\",\"prefix\":\"##\"}"));
        assertThat(TokenBytes.of(wordPiece)).isNull();

        ObjectNode prefixed = qwen.deepCopy();
        prefixed.set("pre_tokenizer", json.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"use_regex\":true}"));
        assertThat(TokenBytes.of(prefixed)).isNull();
    }

    @Test
    void idsThatDoNotSpellTheTextGiveNull() throws Exception {
        ObjectNode qwen = (ObjectNode) new ObjectMapper().readTree(
                Files.readAllBytes(Reference.tokenizerDir("qwen3").resolve("tokenizer.json")));
        TokenBytes table = TokenBytes.of(qwen);
        try (HuggingFaceTokenizerAdapter t = HuggingFaceTokenizerAdapter.open(Reference.tokenizerDir("qwen3"))) {
            int[] ids = t.encode("Hello world");
            assertThat(table.spans(ids, "Hello world")).isNotNull();
            assertThat(table.spans(ids, "Hello world!")).as("text left over").isNull();
            assertThat(table.spans(ids, "Hello")).as("tokens left over").isNull();
            assertThat(table.spans(ids, "Hello World")).as("a different byte").isNull();
            assertThat(table.spans(new int[]{Integer.MAX_VALUE}, "x")).as("an id outside the vocabulary").isNull();
            // A difference early in a long text (the word-at-a-time compare) and in a long token (the out-of-line bytes).
            String long1 = "The quick brown fox jumps over the lazy dog, internationalization included. ".repeat(3);
            int[] longIds = t.encode(long1);
            assertThat(table.spans(longIds, long1)).isNotNull();
            assertThat(table.spans(longIds, long1.replaceFirst("quick", "quack"))).isNull();
            assertThat(table.spans(longIds, long1.replaceFirst("internationalization", "internationalizatiom"))).isNull();
            int[] pieces = t.encode("é"); // one token, two bytes: cutting the text mid-character must fail
            assertThat(table.spans(pieces, "e")).isNull();
        }
    }

    private static void assertSameSpans(TokenSpans actual, TokenSpans expected) {
        assertThat(actual.ids()).isEqualTo(expected.ids());
        assertThat(actual.begins()).isEqualTo(expected.begins());
        assertThat(actual.ends()).isEqualTo(expected.ends());
    }

    /** Random runs of ASCII words, whitespace, accented and CJK letters, emoji and rare astral characters. */
    private static String randomText(Random random) {
        String[] pieces = {"the", " quick", " brown", "  ", "\n", "\t", "é", "ß", "ñ", "中", "文", "語", "😀", "🏽", "\u200D",
                "𐍈", "𝔘", "ا", "ل", "ع", "ر", "ب", "ي", "ة", "123", "4567", ".", ",", "!", "'s", "'ll", " -", "—", "…", "€", "\u00A0",
                "<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<think>"};
        StringBuilder sb = new StringBuilder();
        int n = 1 + random.nextInt(40);
        for (int i = 0; i < n; i++) {
            sb.append(pieces[random.nextInt(pieces.length)]);
        }
        return sb.toString();
    }
}
