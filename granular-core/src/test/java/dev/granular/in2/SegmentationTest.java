package dev.granular.in2;

import dev.granular.in2.internal.DocumentSplitter;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.Segmenter;

import dev.granular.corpus.Document;
import dev.granular.tokenize.Encoding;
import dev.granular.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Segmenter and DocumentSplitter: where they cut, and how big the pieces are. */
class SegmentationTest {
    static Tokenizer tok;
    static SegmentTokens tokens;

    @BeforeAll
    static void load() {
        tok = In2Fixtures.tokenizer("o200k_base");
        tokens = new SegmentTokens(tok);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static List<Segmenter.Cut> cutAll(Segmenter s, String text) {
        Encoding enc = tok.encodeWithOffsets(text);
        return s.cut(text, enc, 0, text.length(), 0, enc.size());
    }

    static String noSpace(String s) {
        return s.replaceAll("\\s+", "");
    }

    static List<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void segmentsAreTrimmedOrderedAndCoverTheText(boolean mixedScripts) {
        int segTok = 32;
        Segmenter seg = new Segmenter(segTok);
        for (Document d : In2Fixtures.corpus(11, 80, mixedScripts, false)) {
            String text = d.text();
            List<Segmenter.Cut> cuts = cutAll(seg, text);
            assertThat(cuts).isNotEmpty();
            StringBuilder joined = new StringBuilder();
            List<String> segWords = new ArrayList<>();
            int prevEnd = 0;
            for (int i = 0; i < cuts.size(); i++) {
                Segmenter.Cut c = cuts.get(i);
                String s = text.substring(c.begin(), c.end());
                assertThat(s).isNotBlank().isEqualTo(s.strip());
                assertThat(Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))).isFalse();
                assertThat(c.begin()).as("ordered, non-overlapping").isGreaterThanOrEqualTo(prevEnd);
                assertThat(text.substring(prevEnd, c.begin())).as("only whitespace between segments").isBlank();
                // never inside a surrogate pair
                assertThat(Character.isLowSurrogate(text.charAt(c.begin()))).isFalse();
                assertThat(c.end() < text.length() && Character.isLowSurrogate(text.charAt(c.end()))).isFalse();
                if (i > 0 && !mixedScripts) {
                    // English always has a word gap in the window: no word is ever split
                    assertThat(c.begin()).as("word split between %s | %s", cuts.get(i - 1), c).isGreaterThan(prevEnd);
                }
                joined.append(s);
                segWords.addAll(words(s));
                prevEnd = c.end();
            }
            assertThat(text.substring(prevEnd)).isBlank();
            assertThat(noSpace(joined.toString())).isEqualTo(noSpace(text));
            if (!mixedScripts) {
                assertThat(segWords).isEqualTo(words(text));
            }
        }
    }

    @Test
    void aShortDocumentIsOneSegment() {
        Segmenter seg = new Segmenter(128);
        String text = "  Maria Lopez counted 1,250 bicycles near the harbour 🚲.\n\nÇa coûte cher, non ?  ";
        List<Segmenter.Cut> cuts = cutAll(seg, text);
        assertThat(cuts).hasSize(1);
        assertThat(text.substring(cuts.get(0).begin(), cuts.get(0).end())).isEqualTo(text.strip());
        assertThat(cutAll(seg, "   \n\t ")).isEmpty();
    }

    @Test
    void textWithoutSpacesIsCutAtCleanTokenStarts() {
        Segmenter seg = new Segmenter(16);
        String text = "東京は日本の首都です。😀👍🏽🫠北京是中国的首都。".repeat(20);
        List<Segmenter.Cut> cuts = cutAll(seg, text);
        assertThat(cuts.size()).isGreaterThan(5);
        StringBuilder sb = new StringBuilder();
        for (Segmenter.Cut c : cuts) {
            String s = text.substring(c.begin(), c.end());
            assertThat(Character.isLowSurrogate(s.charAt(0))).isFalse();
            assertThat(Character.isHighSurrogate(s.charAt(s.length() - 1))).isFalse();
            // a segment's own ids stay near the target, as the text has no gap to wait for
            assertThat(tokens.midText(s).length).isLessThanOrEqualTo(16 + 4);
            sb.append(s);
        }
        assertThat(sb.toString()).isEqualTo(text);
    }

    @Test
    void segmenterRejectsTinySegments() {
        assertThatThrownBy(() -> new Segmenter(7)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Unit token counts per segment in a store: close to the target, the last segment of a doc aside. */
    @ParameterizedTest
    @ValueSource(ints = {32, 128})
    void unitTokenCountsStayCloseToTheTarget(int segTok, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        SegmentStore store = In2Fixtures.build(dir, tokens, In2Fixtures.corpus(5, 120, false, false), segTok, 4 * segTok);
        TreeMap<Integer, Integer> histogram = new TreeMap<>();
        List<Integer> inner = new ArrayList<>();
        for (int d = 0; d < store.docs(); d++) {
            int first = store.docFirstSeg(d);
            for (int s = first; s < first + store.docSegCount(d); s++) {
                int n = store.segTokens(s);
                histogram.merge(n, 1, Integer::sum);
                assertThat(n).as("unit %d: %s", s, store.segText(s)).isLessThanOrEqualTo(segTok + 8);
                if (s < first + store.docSegCount(d) - 1) {
                    inner.add(n);
                }
            }
        }
        inner.sort(null);
        int median = inner.get(inner.size() / 2);
        System.out.printf("segment tokens %d: %d segments, not-last units min %d p10 %d median %d p90 %d max %d; all units %s%n",
                segTok, store.segments(), inner.get(0), inner.get(inner.size() / 10), median, inner.get(inner.size() * 9 / 10),
                inner.get(inner.size() - 1), histogram);
        // a segment that is not the last of its doc ends at a word gap in the second half of the window
        assertThat(inner.get(0)).isGreaterThanOrEqualTo(segTok / 2 - 2);
        assertThat(median).isBetween(segTok - 8, segTok + 4);
    }

    // ---- DocumentSplitter

    @Test
    void piecesFitAndEndAtParagraphs() {
        int max = 120;
        DocumentSplitter splitter = new DocumentSplitter(max);
        SplittableRandom r = new SplittableRandom(3);
        for (int n = 0; n < 40; n++) {
            // paragraphs of one to three sentences, each well under the limit
            StringBuilder sb = new StringBuilder();
            int paragraphs = 2 + r.nextInt(20);
            for (int p = 0; p < paragraphs; p++) {
                if (p > 0) {
                    sb.append(r.nextBoolean() ? "\n\n" : "  \n \n\t");
                }
                for (int s = 0; s < 1 + r.nextInt(3); s++) {
                    sb.append(s > 0 ? " " : "").append(In2Fixtures.sentence(r, null));
                }
            }
            String text = sb.toString();
            Encoding enc = tok.encodeWithOffsets(text);
            List<DocumentSplitter.Part> parts = splitter.split(text, enc);
            int prev = 0;
            StringBuilder joined = new StringBuilder();
            for (DocumentSplitter.Part part : parts) {
                String piece = text.substring(part.begin(), part.end());
                assertThat(part.tokens()).isLessThanOrEqualTo(max);
                assertThat(tok.encode(piece).length).as("piece %s", piece).isLessThanOrEqualTo(max + 2);
                assertThat(piece).isEqualTo(piece.strip());
                assertThat(part.begin()).isGreaterThanOrEqualTo(prev);
                String gap = text.substring(prev, part.begin());
                if (prev > 0) {
                    assertThat(gap).as("split at a paragraph break").matches("(?s)[ \\t]*\\n[ \\t]*\\n\\s*");
                }
                assertThat(part.end() == text.length() || text.startsWith("\n", part.end())
                        || text.substring(part.end()).matches("(?s)[ \\t]+\\n.*")).isTrue();
                joined.append(piece);
                prev = part.end();
            }
            assertThat(noSpace(joined.toString())).isEqualTo(noSpace(text));
            if (tok.encode(text).length <= max) {
                assertThat(parts).hasSize(1);
            }
        }
    }

    @Test
    void aHugeParagraphIsSplitAtSentencesThenWords() {
        int max = 60;
        DocumentSplitter splitter = new DocumentSplitter(max);
        SplittableRandom r = new SplittableRandom(4);
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < 40; s++) {
            sb.append(s > 0 ? " " : "").append(In2Fixtures.sentence(r, null));
        }
        // one sentence far longer than the limit
        sb.append(" And then").append(" the committee counted 12 more bicycles".repeat(30)).append('.');
        String text = sb.toString();
        Encoding enc = tok.encodeWithOffsets(text);
        List<DocumentSplitter.Part> parts = splitter.split(text, enc);
        assertThat(parts.size()).isGreaterThan(10);
        StringBuilder joined = new StringBuilder();
        int sentenceEnds = 0;
        for (DocumentSplitter.Part part : parts) {
            String piece = text.substring(part.begin(), part.end());
            // measured inside the document (where the piece's first word keeps its leading space) it fits exactly;
            // tokenized alone, the first word may take one token more
            assertThat(part.tokens()).isLessThanOrEqualTo(max);
            assertThat(tok.encode(piece).length).as("piece %s", piece).isLessThanOrEqualTo(max + 2);
            assertThat(piece).isEqualTo(piece.strip());
            if (piece.matches("(?s).*[.!?]$")) {
                sentenceEnds++;
            }
            joined.append(piece);
        }
        assertThat(sentenceEnds).isGreaterThanOrEqualTo(parts.size() - 12);
        assertThat(noSpace(joined.toString())).isEqualTo(noSpace(text));
    }
}
