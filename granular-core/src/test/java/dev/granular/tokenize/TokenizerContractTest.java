package dev.granular.tokenize;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** What every tokenizer promises, run on the built-in encodings and the four real Hugging Face tokenizers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenizerContractTest {

    static final List<String> IDS = TestTokenizers.ALL;

    /** Mixed scripts, in NFC (Qwen's normalizer composes, see HuggingFaceTokenizerAdapterTest). */
    static final List<String> TEXTS = List.of(
            "Hello world",
            "The café on the rue de l'Église serves crème brûlée à 8 €.\nÇa coûte cher, non ?",
            "東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.",
            "Emoji: 😀👍🏽 👩‍👩‍👧 🇫🇷 done",
            " leading space,  double space, trailing space ",
            "\tTabs\tand\nnewlines\r\n\n  indented\n",
            "Rare characters: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 㐀 ꙮ 뷁 ⅏",
            "def f(x):\n    return x ** 2  # square\n",
            "");

    /** Characters most vocabularies lack, so each tokenizer splits some into bytes. */
    static final String RARE = "𝔘 㐀 ꙮ 뷁 ⅏ 🫠";

    private final Map<String, Tokenizer> tokenizers = new HashMap<>();

    @BeforeAll
    void load() {
        for (String id : IDS) {
            tokenizers.put(id, Tokenizers.load(TestTokenizers.spec(id)));
        }
    }

    @AfterAll
    void close() {
        tokenizers.values().forEach(Tokenizer::close);
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void decodeOfEncodeIsTheText(String id) {
        Tokenizer t = tokenizers.get(id);
        for (String text : TEXTS) {
            int[] ids = t.encode(text);
            assertThat(t.decode(ids)).as("%s: %s", id, text).isEqualTo(text);
            assertThat(t.count(text)).as("%s count: %s", id, text).isEqualTo(ids.length);
        }
        assertThat(t.encode("")).isEmpty();
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void offsetsCutTheTextWhereTheTokensDo(String id) {
        Tokenizer t = tokenizers.get(id);
        for (String text : TEXTS) {
            assertOffsets(id, t, text);
        }
        assertOffsets(id, t, RARE);
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void piecesOfACharacterStartAtMinusOne(String id) {
        Encoding e = tokenizers.get(id).encodeWithOffsets(RARE);
        assertThat(e.starts()).as(id).contains(-1);
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void unpairedSurrogatesAreEncodedAsReplacementCharacters(String id) {
        Tokenizer t = tokenizers.get(id);
        String text = "a\uD800b \uDC00 c😀";
        assertThat(t.decode(t.encode(text))).isEqualTo("a\uFFFDb \uFFFD c😀");
        assertThat(t.encode(text)).containsExactly(t.encode("a\uFFFDb \uFFFD c😀"));
        assertOffsets(id, t, "a\uFFFDb \uFFFD c😀");
        assertThat(t.encodeWithOffsets(text).starts()).containsExactly(t.encodeWithOffsets("a\uFFFDb \uFFFD c😀").starts());
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void fourThreadsGetWhatOneThreadGets(String id) throws Exception {
        Tokenizer t = tokenizers.get(id);
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            inputs.add(TEXTS.get(i % TEXTS.size()) + " #" + i + " " + RARE.repeat(i % 3));
        }
        List<int[]> expected = inputs.stream().map(t::encode).toList();
        List<int[]> expectedStarts = inputs.stream().map(s -> t.encodeWithOffsets(s).starts()).toList();

        int threads = 4;
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int k = 0; k < threads; k++) {
                results.add(pool.submit(() -> {
                    go.await();
                    for (int round = 0; round < 20; round++) {
                        for (int i = 0; i < inputs.size(); i++) {
                            Encoding e = t.encodeWithOffsets(inputs.get(i));
                            if (!Arrays.equals(t.encode(inputs.get(i)), expected.get(i))
                                    || !Arrays.equals(e.ids(), expected.get(i))
                                    || !Arrays.equals(e.starts(), expectedStarts.get(i))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            go.countDown();
            for (Future<Boolean> result : results) {
                assertThat(result.get()).as(id).isTrue();
            }
        }
    }

    /**
     * Checks {@link Tokenizer#encodeWithOffsets}: same ids as encode; the first token at 0; clean
     * starts strictly increasing; between consecutive clean starts, and from 0 to each of them, the
     * tokens decode to exactly that part of the text.
     */
    static void assertOffsets(String id, Tokenizer t, String text) {
        Encoding e = t.encodeWithOffsets(text);
        int[] ids = e.ids();
        int[] starts = e.starts();
        assertThat(ids).as("%s ids: %s", id, text).containsExactly(t.encode(text));
        if (ids.length == 0) {
            return;
        }
        assertThat(starts[0]).as("%s first start: %s", id, text).isZero();
        int i = 0;
        while (i < ids.length) {
            int j = i + 1;
            while (j < ids.length && starts[j] < 0) {
                j++;
            }
            int end = j == ids.length ? text.length() : starts[j];
            assertThat(end).as("%s: start of token %d after token %d in %s", id, j, i, text).isGreaterThan(starts[i]);
            String piece = text.substring(starts[i], end);
            if (i > 0 && TestTokenizers.stripsLeadingSpace(id) && piece.startsWith(" ")) {
                piece = piece.substring(1);
            }
            assertThat(t.decode(Arrays.copyOfRange(ids, i, j))).as("%s tokens %d..%d of %s", id, i, j, text).isEqualTo(piece);
            assertThat(t.decode(Arrays.copyOfRange(ids, 0, j))).as("%s tokens 0..%d of %s", id, j, text)
                    .isEqualTo(text.substring(0, end));
            i = j;
        }
    }
}
