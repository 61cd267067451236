package dev.granular.tokenize;

import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.granular.teacher.internal.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The span-to-start rule, closing, and behaviours of the real tokenizers that callers should know about. */
class HuggingFaceTokenizerAdapterTest {
    private static final int CLOSE_ROUNDS = 14;

    @TempDir
    Path tmp;

    private static CharSpan[] spans(int... startEnd) {
        CharSpan[] spans = new CharSpan[startEnd.length / 2];
        for (int i = 0; i < spans.length; i++) {
            spans[i] = new CharSpan(startEnd[2 * i], startEnd[2 * i + 1]);
        }
        return spans;
    }

    @Test
    void bytePiecesOfOneCharacterShareItsSpan() {
        // llama3 on "a👍🏽": a, then three byte tokens of 👍 and three of 🏽, each spanning its character.
        int[] starts = HuggingFaceTokenizerAdapter.starts(spans(0, 1, 1, 2, 1, 2, 1, 2, 2, 3, 2, 3, 2, 3), null);
        assertThat(starts).containsExactly(0, 1, -1, -1, 2, -1, -1);
    }

    @Test
    void codePointsBecomeUtf16Indices() {
        String text = "😀 x";   // code points: 😀=0, space=1, x=2; UTF-16: 0, 2, 3
        int[] starts = HuggingFaceTokenizerAdapter.starts(spans(0, 1, 1, 3), Utf16.codePointStarts(text));
        assertThat(starts).containsExactly(0, 2);
    }

    @Test
    void tokenStartingInsideTheCoveredTextIsNotClean() {
        // llama3 on " ꙮ": "Ġê" covers the space and the first byte of ꙮ, so it spans both characters.
        assertThat(HuggingFaceTokenizerAdapter.starts(spans(0, 2, 1, 2, 1, 2, 2, 3), null)).containsExactly(0, -1, -1, 2);
    }

    @Test
    void zeroWidthAndMissingSpans() {
        assertThat(HuggingFaceTokenizerAdapter.starts(spans(0, 1, 1, 1, 1, 2), null)).containsExactly(0, 1, -1);
        CharSpan[] withNull = {new CharSpan(0, 1), null, new CharSpan(1, 2)};
        assertThat(HuggingFaceTokenizerAdapter.starts(withNull, null)).containsExactly(0, -1, 1);
    }

    @Test
    void llama2PrefixSpaceAndStrippedDecode() {
        try (Tokenizer t = Tokenizers.load(TestTokenizers.spec("llama2"))) {
            // The normalizer prepends ▁ to the text; a leading space then becomes its own ▁ token,
            // aligned to the same first character as the next token, which therefore gets -1.
            Encoding e = t.encodeWithOffsets(" Hello  world");
            assertThat(e.ids()).containsExactly(28705, 22557, 28705, 1526);
            assertThat(e.starts()).containsExactly(0, -1, 6, 7);
            assertThat(t.decode(e.ids())).isEqualTo(" Hello  world");
            // The decoder strips one leading space, so a slice that starts with a word decodes without it.
            int[] world = t.encode("Hello world");
            assertThat(t.decode(new int[] {world[1]})).isEqualTo("world");
        }
    }

    @Test
    void gemma3KeepsSpacesAsIs() {
        try (Tokenizer t = Tokenizers.load(TestTokenizers.spec("gemma3"))) {
            int[] ids = t.encode("Hello world");
            assertThat(ids).containsExactly(9259, 1902);
            assertThat(t.decode(new int[] {ids[1]})).isEqualTo(" world");
            assertThat(t.decode(t.encode("  lead"))).isEqualTo("  lead");
        }
    }

    @Test
    void qwen3ComposesToNfc() {
        try (Tokenizer t = Tokenizers.load(TestTokenizers.spec("qwen3"))) {
            String decomposed = "e\u0301t\u00e9";
            assertThat(t.decode(t.encode(decomposed))).isEqualTo("\u00e9t\u00e9");
            assertThat(t.encode(decomposed)).containsExactly(t.encode("\u00e9t\u00e9"));
        }
    }

    @Test
    void addedTokensInTheTextAreMatched() {
        // Hugging Face matches added tokens in the input even with addSpecialTokens=false;
        // tiktoken's ordinary encoding does not (see TokenizersTest).
        try (Tokenizer t = Tokenizers.load(TestTokenizers.spec("qwen3"))) {
            assertThat(t.encode("<|endoftext|>")).containsExactly(151643);
        }
    }

    @Test
    void everyCallAfterCloseFailsNamingTheTokenizerAndCloseTwiceIsFine() throws Exception {
        Tokenizer t = Tokenizers.load(SmallTokenizer.write(tmp.resolve("small")).toString());
        int[] ids = t.encode("hello");
        t.close();
        t.close();
        String closed = "tokenizer small is closed: it was used after close()";
        assertThatThrownBy(() -> t.encode("hello")).isInstanceOf(IllegalStateException.class).hasMessage(closed);
        assertThatThrownBy(() -> t.encodeWithOffsets("hello")).isInstanceOf(IllegalStateException.class).hasMessage(closed);
        assertThatThrownBy(() -> t.encodeWithSpans("hello")).isInstanceOf(IllegalStateException.class).hasMessage(closed);
        assertThatThrownBy(() -> t.count("hello")).isInstanceOf(IllegalStateException.class).hasMessage(closed);
        assertThatThrownBy(() -> t.decode(ids)).isInstanceOf(IllegalStateException.class).hasMessage(closed);
    }

    /**
     * Closing a tokenizer while other threads encode with it waits for their calls and fails the
     * later ones; it used to free the native tokenizer under them (SIGSEGV in pre_tokenize), so the
     * rounds run in a child JVM whose crash this test sees.
     */
    @Test
    void closeWhileOtherThreadsEncodeNeverCrashes() throws Exception {
        String log = ChildJvm.runWithoutCrash(CloseWhileEncodingChild.class, tmp, tmp.resolve("work").toString(),
                Integer.toString(CLOSE_ROUNDS));
        assertThat(log.lines().filter(l -> l.matches("round \\d+: \\d threads, \\d+ calls, then: tokenizer small is closed: .*")))
                .as(log).hasSize(CLOSE_ROUNDS);
    }
}
