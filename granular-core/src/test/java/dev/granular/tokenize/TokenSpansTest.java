package dev.granular.tokenize;

import dev.granular.template.Reference;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Token spans: Hugging Face's own offsets (pieces of a character cover it), and the default derived from starts. */
class TokenSpansTest {

    @Test
    void byteLevelPiecesOfOneCharacterCoverThatCharacter() {
        try (Tokenizer t = Tokenizers.load(Reference.tokenizerDir("qwen3").toString())) {
            String text = "ok 𐍈"; // U+10348 GOTHIC LETTER HWAIR: no token of its own, so byte pieces
            TokenSpans s = t.encodeWithSpans(text);
            assertThat(s.ids()).isEqualTo(t.encode(text));
            assertThat(s.begins()[0]).isZero();
            assertThat(s.ends()[0]).isEqualTo(2); // "ok"
            assertThat(s.begins()[1]).isEqualTo(2); // " "
            assertThat(s.ends()[1]).isEqualTo(3);
            assertThat(s.size()).as("the letter is split into byte pieces").isGreaterThanOrEqualTo(4);
            for (int i = 2; i < s.size(); i++) {
                // every byte piece covers the whole letter (two UTF-16 units)
                assertThat(s.begins()[i]).isEqualTo(3);
                assertThat(s.ends()[i]).isEqualTo(5);
            }
        }
    }

    @Test
    void fromStartsGivesPiecesTheirGroupsRange() {
        Encoding e = new Encoding(new int[]{10, 11, 12, 13}, new int[]{0, 2, -1, 3});
        TokenSpans s = TokenSpans.fromStarts(e, 6);
        assertThat(s.begins()).containsExactly(0, 2, 2, 3);
        assertThat(s.ends()).containsExactly(2, 3, 3, 6);
    }

    @Test
    void tiktokenSpansTileTheText() {
        Tokenizer t = Tokenizers.load("o200k_base");
        String text = "Answer: 巴黎 😀!";
        TokenSpans s = t.encodeWithSpans(text);
        assertThat(s.ids()).isEqualTo(t.encode(text));
        assertThat(s.begins()[0]).isZero();
        assertThat(s.ends()[s.size() - 1]).isEqualTo(text.length());
        for (int i = 1; i < s.size(); i++) {
            assertThat(s.begins()[i]).isGreaterThanOrEqualTo(s.begins()[i - 1]);
            assertThat(s.begins()[i]).isLessThanOrEqualTo(s.ends()[i - 1]);
        }
    }
}
