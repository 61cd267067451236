package dev.granular.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.InvalidConfigException;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NearDuplicatesTest {
    static List<String> words(long seed, int n) {
        return DedupFixtures.words(seed, n);
    }

    static String text(List<String> words) {
        return String.join(" ", words);
    }

    static List<String> edited(List<String> words, int n) {
        return DedupFixtures.edited(words, n);
    }

    /** The exact Jaccard similarity of two word lists' 5-shingle sets. */
    static double exactJaccard(List<String> a, List<String> b) {
        var sa = shingles(a);
        var sb = shingles(b);
        var inter = new java.util.HashSet<>(sa);
        inter.retainAll(sb);
        var union = new java.util.HashSet<>(sa);
        union.addAll(sb);
        return (double) inter.size() / union.size();
    }

    static java.util.Set<List<String>> shingles(List<String> w) {
        java.util.Set<List<String>> s = new java.util.HashSet<>();
        for (int i = 0; i + 5 <= w.size(); i++) {
            s.add(w.subList(i, i + 5));
        }
        return s;
    }

    @Test
    void nearDuplicatesAreFoundAndNameTheirFirstOccurrence() {
        NearDuplicates near = NearDuplicates.of(NearDedupConfig.DEFAULT);
        List<List<String>> bases = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            bases.add(words(i, 200));
            assertThat(near.add(near.minHash().signature(text(bases.get(i))))).isNull();
        }
        // One word in 100 changed: exact shingle Jaccard about 0.9.
        for (int i = 0; i < 50; i++) {
            List<String> variant = edited(bases.get(i), 2);
            assertThat(exactJaccard(bases.get(i), variant)).isBetween(0.88, 0.92);
            NearDuplicates.Match m = near.add(near.minHash().signature(text(variant)));
            assertThat(m).as("variant of %d", i).isNotNull();
            assertThat(m.of()).isEqualTo(i);
            assertThat(m.jaccard()).isGreaterThanOrEqualTo(0.8);
        }
        assertThat(near.rows()).isEqualTo(100);
    }

    @Test
    void distinctRowsAreKeptEvenWhenTheyCollideInABand() {
        // One slot per band: any shared minimum makes a candidate, so most pairs of texts sharing a phrase collide; only
        // the Jaccard check keeps them.
        NearDedupConfig oneSlotBands = NearDedupConfig.DEFAULT.withBands(128);
        NearDuplicates near = NearDuplicates.of(oneSlotBands);
        List<String> shared = words(999, 60);
        for (int i = 0; i < 100; i++) {
            List<String> w = new ArrayList<>(shared);
            w.addAll(words(i, 140)); // exact Jaccard with each other about 56/(2*196-56) = 0.17
            assertThat(near.add(near.minHash().signature(text(w)))).as("row %d", i).isNull();
        }
    }

    @Test
    void theThresholdDecides() {
        List<String> base = words(7, 300);
        List<String> variant = edited(base, 20); // exact Jaccard about 0.5
        double exact = exactJaccard(base, variant);
        assertThat(exact).isBetween(0.45, 0.6);
        for (double t : new double[] {0.3, 0.8, 0.9}) {
            NearDuplicates near = NearDuplicates.of(NearDedupConfig.DEFAULT.withThreshold(t).withPermutations(256));
            near.add(near.minHash().signature(text(base)));
            NearDuplicates.Match m = near.add(near.minHash().signature(text(variant)));
            if (t < exact) {
                assertThat(m).as("threshold %s", t).isNotNull();
                assertThat(m.jaccard()).isGreaterThanOrEqualTo(t).isCloseTo(exact, org.assertj.core.data.Offset.offset(0.12));
            } else {
                assertThat(m).as("threshold %s", t).isNull();
            }
        }
    }

    @Test
    void wordsIgnoreCasePunctuationSpacingAndUnicodeForm() {
        MinHash h = MinHash.of(NearDedupConfig.DEFAULT);
        assertThat(h.signature("Hello,   WORLD! It's café time: 42 apples.")).containsExactly(
                h.signature("hello world it s cafe\u0301 time 42 apples"));
        assertThat(h.signature("...!!! ")).isNull();
        assertThat(h.signature("one two")).isNotNull().isNotEqualTo(h.signature("two one"));
    }

    @Test
    void aRecordsRolesCount() {
        MinHash h = MinHash.of(NearDedupConfig.DEFAULT);
        TrainingRecord asked = new TrainingRecord("a", List.of(Message.user("What is the capital of France today?"),
                Message.assistant("Paris is the capital.")), null, Map.of("design", "t"));
        TrainingRecord swapped = new TrainingRecord("b", List.of(Message.assistant("What is the capital of France today?"),
                Message.user("Paris is the capital.")), null, Map.of("design", "t"));
        assertThat(h.signature(asked)).isNotEqualTo(h.signature(swapped));
        assertThat(h.signature(asked)).containsExactly(h.signature(new TrainingRecord("c", asked.messages(), null, Map.of("design", "u"))));
    }

    @Test
    void signaturesAreFixedByTheSeedAlone() {
        String text = "The quick brown fox jumps over the lazy dog while the cat watches from the warm window sill.";
        int[] a = MinHash.of(NearDedupConfig.DEFAULT).signature(text);
        int[] b = MinHash.of(NearDedupConfig.DEFAULT.withThreshold(0.5)).signature(text);
        assertThat(a).containsExactly(b); // the threshold changes banding, not signatures
        assertThat(MinHash.of(NearDedupConfig.DEFAULT.withSeed(43)).signature(text)).isNotEqualTo(a);
        // Pinned values: signatures must not depend on the JVM, its String.hashCode or its defaults. A change here
        // changes which rows every existing run removes.
        assertThat(Arrays.copyOf(a, 4)).containsExactly(PINNED);
    }

    static final int[] PINNED = {165016849, 157288594, 385560262, 363158547};

    @Test
    void bandingIsChosenForTheThreshold() {
        NearDedupConfig.Banding b = NearDedupConfig.DEFAULT.banding();
        assertThat(b.bands() * b.rows()).isLessThanOrEqualTo(128);
        assertThat(b).isEqualTo(new NearDedupConfig.Banding(14, 9));
        assertThat(b.candidateProbability(0.85)).isGreaterThan(0.97);
        assertThat(b.candidateProbability(0.5)).isLessThan(0.05);
        assertThat(NearDedupConfig.DEFAULT.withBands(16).banding()).isEqualTo(new NearDedupConfig.Banding(16, 8));
        assertThat(NearDedupConfig.DEFAULT.minEqualSlots()).isEqualTo(103);
    }

    @Test
    void badSettingsNameTheirField() {
        assertThatThrownBy(() -> NearDedupConfig.DEFAULT.withThreshold(1.5)).isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).fields()).containsExactly("threshold"));
        assertThatThrownBy(() -> NearDedupConfig.DEFAULT.withBands(200)).isInstanceOf(InvalidConfigException.class);
        NearDuplicates near = NearDuplicates.of(NearDedupConfig.DEFAULT);
        assertThatThrownBy(() -> near.add(new int[3])).isInstanceOf(IllegalArgumentException.class);
    }
}
