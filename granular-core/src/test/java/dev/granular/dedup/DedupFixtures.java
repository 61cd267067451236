package dev.granular.dedup;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Generated texts with known near duplicates, for the dedup tests here and in granular-spark. */
public final class DedupFixtures {
    private DedupFixtures() {
    }

    /** {@code n} words drawn from a vocabulary of 5,000, so that distinct texts share few shingles. */
    public static List<String> words(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("w" + r.nextInt(5_000));
        }
        return out;
    }

    /** {@code words} with {@code n} words replaced, evenly spread (two in 120: shingle Jaccard about 0.85). */
    public static List<String> edited(List<String> words, int n) {
        List<String> out = new ArrayList<>(words);
        for (int i = 0; i < n; i++) {
            int at = (int) ((i + 0.5) * words.size() / n);
            out.set(at, "edit" + i);
        }
        return out;
    }
}
