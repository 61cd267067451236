package dev.granular.export;

import java.util.Arrays;
import java.util.List;

/**
 * One pre-tokenized row, as {@code export --format tokens} writes it: token ids, labels ({@link LossMask#IGNORE},
 * -100, where the loss is off; not shifted) and, for a packed row, position ids restarting at 0 for each example.
 * The attention and completion masks are derived. Arrays are shared, not copied: do not modify them.
 *
 * @param inputIds    the token ids
 * @param labels      the token id where trained, -100 elsewhere
 * @param positionIds position ids of a packed row, or null for a row holding one example
 */
public record TokenRow(int[] inputIds, int[] labels, int[] positionIds) {
    public TokenRow {
        if (labels.length != inputIds.length || positionIds != null && positionIds.length != inputIds.length) {
            throw new IllegalArgumentException("inputIds, labels and positionIds differ in length");
        }
    }

    /** Tokens in the row. */
    public int length() {
        return inputIds.length;
    }

    /** All ones: every token of a row is real (rows are not padded). */
    public int[] attentionMask() {
        int[] m = new int[inputIds.length];
        Arrays.fill(m, 1);
        return m;
    }

    /** 1 where the loss is on, as TRL's {@code completion_mask}. */
    public int[] completionMask() {
        int[] m = new int[labels.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = labels[i] == LossMask.IGNORE ? 0 : 1;
        }
        return m;
    }

    /** The column values in the order of {@code format.columns(positionIds() != null)}. */
    public int[][] columns(TokenFormat format) {
        return format.row(inputIds, labels, positionIds);
    }

    /** The column names of {@code format} for this row. */
    public List<String> columnNames(TokenFormat format) {
        return format.columns(positionIds != null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenRow r && Arrays.equals(inputIds, r.inputIds) && Arrays.equals(labels, r.labels)
                && Arrays.equals(positionIds, r.positionIds);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels)) + Arrays.hashCode(positionIds);
    }

    @Override
    public String toString() {
        return "TokenRow[" + inputIds.length + " tokens" + (positionIds == null ? "" : ", packed") + "]";
    }
}
