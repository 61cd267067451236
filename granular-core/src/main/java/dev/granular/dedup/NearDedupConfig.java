package dev.granular.dedup;

import dev.granular.io.InvalidConfigException;
import java.io.Serializable;

/**
 * How near duplicates are found: MinHash signatures over word shingles, banded for locality-sensitive hashing (LSH),
 * and a pair of rows counts as near duplicates when its estimated Jaccard similarity (the share of equal signature
 * slots) reaches {@link #threshold}. Immutable; start from {@link #DEFAULT} and change what you need:
 *
 * <pre>{@code
 * NearDedupConfig c = NearDedupConfig.DEFAULT.withThreshold(0.7).withShingle(3);
 * }</pre>
 *
 * @param threshold    estimated Jaccard similarity at or above which a row is a near duplicate of an earlier one, in (0, 1]
 * @param shingle      words per shingle (a text of fewer words is one shingle of all its words)
 * @param permutations MinHash slots per signature (more: a finer estimate, more CPU and memory)
 * @param bands        LSH bands; 0 chooses them from the threshold ({@link #banding()}). Fewer, wider bands find fewer
 *                     candidate pairs; a candidate is always verified, so bands change speed and recall, never precision
 * @param seed         seeds the hash functions: the same seed gives the same signatures on every JVM and partitioning
 */
public record NearDedupConfig(double threshold, int shingle, int permutations, int bands, long seed) implements Serializable {
    /** Jaccard 0.8 over word 5-grams, 128 permutations, bands chosen for 0.8, seed 42. */
    public static final NearDedupConfig DEFAULT = new NearDedupConfig(0.8, 5, 128, 0, 42);

    public NearDedupConfig {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new InvalidConfigException("${threshold} must be in (0, 1], got " + threshold);
        }
        if (shingle < 1) {
            throw new InvalidConfigException("${shingle} must be at least 1 word, got " + shingle);
        }
        if (permutations < 1 || permutations > 4096) {
            throw new InvalidConfigException("${permutations} must be in [1, 4096], got " + permutations);
        }
        if (bands < 0 || bands > permutations) {
            throw new InvalidConfigException("${bands} must be in [0, ${permutations} = " + permutations + "], got " + bands);
        }
    }

    public NearDedupConfig withThreshold(double t) {
        return new NearDedupConfig(t, shingle, permutations, bands, seed);
    }

    public NearDedupConfig withShingle(int words) {
        return new NearDedupConfig(threshold, words, permutations, bands, seed);
    }

    public NearDedupConfig withPermutations(int n) {
        return new NearDedupConfig(threshold, shingle, n, bands == 0 ? 0 : Math.min(bands, n), seed);
    }

    public NearDedupConfig withBands(int n) {
        return new NearDedupConfig(threshold, shingle, permutations, n, seed);
    }

    public NearDedupConfig withSeed(long s) {
        return new NearDedupConfig(threshold, shingle, permutations, bands, s);
    }

    /** The fewest equal slots (of {@link #permutations}) that make a pair near duplicates: ceil(threshold x permutations). */
    public int minEqualSlots() {
        return (int) Math.ceil(threshold * permutations - 1e-9);
    }

    /** Bands and rows per band: {@link #bands} rows of {@code permutations / bands} slots, or the best for the threshold. */
    public Banding banding() {
        if (bands > 0) {
            return new Banding(bands, permutations / bands);
        }
        return Banding.optimal(threshold, permutations);
    }

    /**
     * An LSH banding: a pair becomes a candidate when all {@code rows} slots of one of the {@code bands} bands agree,
     * which happens with probability {@code 1 - (1 - s^rows)^bands} for Jaccard similarity s.
     */
    public record Banding(int bands, int rows) implements Serializable {
        /** The probability that a pair of Jaccard similarity {@code s} becomes a candidate. */
        public double candidateProbability(double s) {
            return 1 - Math.pow(1 - Math.pow(s, rows), bands);
        }

        /**
         * The banding (bands x rows at most {@code permutations}) that minimises 0.9 x the area of missed pairs above
         * the threshold plus 0.1 x the area of candidates below it (datasketch's MinHashLSH weighs both 0.5). Every
         * candidate is verified, so a false candidate costs one signature comparison while a missed pair is a
         * duplicate left in: recall comes first. For 0.8 and 128 permutations: 14 bands of 9 rows, a pair of
         * similarity 0.85 becomes a candidate with probability 0.975, one of 0.5 with 0.03. Deterministic: a fixed
         * integration grid, ties to the fewer bands.
         */
        static Banding optimal(double threshold, int permutations) {
            Banding best = null;
            double bestError = Double.MAX_VALUE;
            for (int b = 1; b <= permutations; b++) {
                for (int r = 1; b * r <= permutations; r++) {
                    Banding c = new Banding(b, r);
                    double error = 0.1 * area(c, 0, threshold, false) + 0.9 * area(c, threshold, 1, true);
                    if (error < bestError - 1e-12) {
                        bestError = error;
                        best = c;
                    }
                }
            }
            return best;
        }

        private static double area(Banding c, double from, double to, boolean missed) {
            int steps = 200;
            double h = (to - from) / steps;
            double sum = 0;
            for (int i = 0; i < steps; i++) {
                double s = from + (i + 0.5) * h;
                double p = c.candidateProbability(s);
                sum += missed ? 1 - p : p;
            }
            return sum * h;
        }
    }
}
