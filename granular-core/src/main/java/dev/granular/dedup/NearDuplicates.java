package dev.granular.dedup;

import dev.granular.record.TrainingRecord;
import java.util.Arrays;

/**
 * Finds near duplicates in a stream of rows, one row at a time in input order: {@link #add} says whether the row is a
 * near duplicate of an earlier one, then indexes it.
 *
 * <p><b>The rule.</b> A row is a near duplicate when an earlier row is a <i>verified candidate</i>: the two share
 * the key of at least one LSH band ({@link MinHash#bandKey}) <i>and</i> their signatures agree in at least
 * {@link NearDedupConfig#minEqualSlots()} slots (estimated Jaccard similarity at or above the threshold). A band
 * collision alone never removes a row. {@link Match#of} is the earliest such row. Earlier rows count whether they
 * were kept or not, so the outcome of a row depends only on the rows before it, never on decisions made about them:
 * the first row of every cluster of near duplicates is kept (it has no earlier near duplicate), and a row is kept
 * exactly when no earlier row is near it. This is what makes the result computable pair by pair, over partitions,
 * with the same answer ({@code granular spark dedup}).
 *
 * <p>Memory: one signature per row with words ({@code permutations x 4} bytes: 512 bytes by default) plus
 * {@code bands x 12} bytes of index. Not thread-safe: rows are added in order.
 *
 * <pre>{@code
 * NearDuplicates near = NearDuplicates.of(NearDedupConfig.DEFAULT.withThreshold(0.8));
 * for (TrainingRecord r : records) {
 *     NearDuplicates.Match m = near.add(r);      // null: no earlier row is near it
 * }
 * }</pre>
 */
public final class NearDuplicates {
    /** The row was near the earlier row number {@code of} (0-based, in the order of {@link #add}). */
    public record Match(long of, int equalSlots, double jaccard) {
    }

    private final MinHash minHash;
    private final int bands;
    private final int minEqual;
    private final int width;
    private long rows;
    /** Signatures of the indexed rows, {@code width} ints each; their row numbers in {@code rowOf}. */
    private int[] sigs = new int[0];
    private long[] rowOf = new long[16];
    private int indexed;
    /** Per (indexed row, band): the previous indexed row with the same band key, or -1. */
    private int[] next = new int[0];
    private final LongIntMap heads = new LongIntMap();
    private int[] candidates = new int[64];

    private NearDuplicates(NearDedupConfig config) {
        this.minHash = MinHash.of(config);
        this.bands = minHash.banding().bands();
        this.minEqual = config.minEqualSlots();
        this.width = config.permutations();
    }

    public static NearDuplicates of(NearDedupConfig config) {
        return new NearDuplicates(config);
    }

    public MinHash minHash() {
        return minHash;
    }

    /** Rows added so far. */
    public long rows() {
        return rows;
    }

    /** Adds the next row ({@link MinHash#signature(TrainingRecord)}); see {@link #add(int[])}. */
    public Match add(TrainingRecord record) {
        return add(minHash.signature(record));
    }

    /**
     * Adds the next row by its signature and returns its earliest verified near duplicate among the rows before it,
     * or null. A null signature (no words) is a row that is near nothing and that nothing is near.
     */
    public Match add(int[] sig) {
        long row = rows++;
        if (sig == null) {
            return null;
        }
        if (sig.length != width) {
            throw new IllegalArgumentException("signature of " + sig.length + " slots, expected " + width);
        }
        long[] keys = minHash.bandKeys(sig);
        int found = 0;
        for (int band = 0; band < bands; band++) {
            for (int at = heads.get(keys[band]); at >= 0; at = next[at * bands + band]) {
                if (found == candidates.length) {
                    candidates = Arrays.copyOf(candidates, found * 2);
                }
                candidates[found++] = at;
            }
        }
        Match match = null;
        if (found > 0) {
            Arrays.sort(candidates, 0, found);
            int last = -1;
            for (int c = 0; c < found; c++) {
                int at = candidates[c];
                if (at == last) {
                    continue;
                }
                last = at;
                int same = equalSlots(at, sig);
                if (same >= minEqual) {
                    match = new Match(rowOf[at], same, (double) same / width);
                    break;
                }
            }
        }
        index(row, sig, keys);
        return match;
    }

    private int equalSlots(int at, int[] sig) {
        int base = at * width;
        int same = 0;
        for (int i = 0; i < width; i++) {
            if (sigs[base + i] == sig[i]) {
                same++;
            }
        }
        return same;
    }

    private void index(long row, int[] sig, long[] keys) {
        int at = indexed++;
        if ((long) indexed * width > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("near dedup holds at most " + (Integer.MAX_VALUE / width) + " rows in one index");
        }
        if ((long) at * width + width > sigs.length) {
            sigs = Arrays.copyOf(sigs, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16L * width, 2L * sigs.length)));
            next = Arrays.copyOf(next, sigs.length / width * bands);
        }
        if (at == rowOf.length) {
            rowOf = Arrays.copyOf(rowOf, at * 2);
        }
        System.arraycopy(sig, 0, sigs, at * width, width);
        rowOf[at] = row;
        for (int band = 0; band < bands; band++) {
            next[at * bands + band] = heads.put(keys[band], at);
        }
    }

    /** long -> int map, open addressing; {@link #get} answers -1 for a missing key. */
    private static final class LongIntMap {
        private long[] keys = new long[1024];
        private int[] values = new int[1024];
        private int size;
        private boolean hasZero;
        private int zeroValue = -1;

        int get(long key) {
            if (key == 0) {
                return hasZero ? zeroValue : -1;
            }
            int mask = keys.length - 1;
            for (int slot = (int) MinHash.mix(key) & mask; keys[slot] != 0; slot = (slot + 1) & mask) {
                if (keys[slot] == key) {
                    return values[slot];
                }
            }
            return -1;
        }

        /** Sets {@code key} to {@code value}; returns the previous value or -1. */
        int put(long key, int value) {
            if (key == 0) {
                int old = hasZero ? zeroValue : -1;
                hasZero = true;
                zeroValue = value;
                return old;
            }
            if (size * 10 >= keys.length * 6) {
                grow();
            }
            int mask = keys.length - 1;
            int slot = (int) MinHash.mix(key) & mask;
            while (keys[slot] != 0) {
                if (keys[slot] == key) {
                    int old = values[slot];
                    values[slot] = value;
                    return old;
                }
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            values[slot] = value;
            size++;
            return -1;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            int mask = keys.length - 1;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    int slot = (int) MinHash.mix(oldKeys[i]) & mask;
                    while (keys[slot] != 0) {
                        slot = (slot + 1) & mask;
                    }
                    keys[slot] = oldKeys[i];
                    values[slot] = oldValues[i];
                }
            }
        }
    }
}
