package dev.granular.export;

import java.util.List;
import java.util.Locale;

/**
 * The pre-tokenized formats: rows of token ids with their loss mask, rendered by the model's own
 * chat template and tokenizer, so a trainer needs neither.
 */
public enum TokenFormat {
    /** {@code input_ids}, {@code attention_mask}, {@code labels} (-100 where not trained): axolotl's and HF's pre-tokenized rows. */
    TOKENS("input_ids", "attention_mask", "labels"),
    /** TRL SFTTrainer's pre-tokenized rows: {@code input_ids} and {@code completion_mask} (1 where trained). */
    TRL_TOKENS("input_ids", "completion_mask");

    private final List<String> columns;

    TokenFormat(String... columns) {
        this.columns = List.of(columns);
    }

    /** The name on the command line: {@code tokens}, {@code trl-tokens}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The format named {@code name} ({@link #wireName()}), or null. */
    public static TokenFormat byName(String name) {
        for (TokenFormat f : values()) {
            if (f.wireName().equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** The columns of a row, {@code position_ids} appended when packed. */
    public List<String> columns(boolean packed) {
        if (!packed) {
            return columns;
        }
        var c = new java.util.ArrayList<>(columns);
        c.add("position_ids");
        return List.copyOf(c);
    }

    /** The column values of one row from ids, labels and (when packed) position ids. */
    int[][] row(int[] ids, int[] labels, int[] positions) {
        int n = ids.length;
        int[][] out = new int[positions == null ? columns.size() : columns.size() + 1][];
        switch (this) {
            case TOKENS -> {
                int[] mask = new int[n];
                java.util.Arrays.fill(mask, 1);
                out[0] = ids;
                out[1] = mask;
                out[2] = labels;
            }
            case TRL_TOKENS -> {
                int[] completion = new int[n];
                for (int i = 0; i < n; i++) {
                    completion[i] = labels[i] == LossMask.IGNORE ? 0 : 1;
                }
                out[0] = ids;
                out[1] = completion;
            }
        }
        if (positions != null) {
            out[out.length - 1] = positions;
        }
        return out;
    }
}
