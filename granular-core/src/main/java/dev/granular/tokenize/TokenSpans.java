package dev.granular.tokenize;

/**
 * Token ids with the range of text each covers, in UTF-16 indices: token {@code i} covers
 * {@code text[begins[i], ends[i])}. A byte-level piece of a multi-byte character covers that whole
 * character (as Hugging Face's offset mapping reports it), so ranges of neighbouring tokens may
 * overlap; a token the tokenizer cannot place has an empty range.
 */
public record TokenSpans(int[] ids, int[] begins, int[] ends) {
    public TokenSpans {
        if (ids.length != begins.length || ids.length != ends.length) {
            throw new IllegalArgumentException("ids, begins and ends differ in length");
        }
    }

    public int size() {
        return ids.length;
    }

    /**
     * Ranges derived from token starts alone: a token with a clean start runs to the next clean
     * start, and the pieces of one character share the range of their group (coarser than a
     * tokenizer's own spans, never finer).
     */
    public static TokenSpans fromStarts(Encoding e, int textLength) {
        int n = e.size();
        int[] starts = e.starts();
        int[] begins = new int[n];
        int[] ends = new int[n];
        int group = 0;
        for (int t = 0; t < n; t++) {
            if (starts[t] >= 0) {
                group = starts[t];
            }
            begins[t] = group;
        }
        int next = textLength;
        for (int t = n - 1; t >= 0; t--) {
            ends[t] = next;
            if (starts[t] >= 0) {
                next = starts[t];
            }
        }
        for (int t = n - 2; t >= 0; t--) {
            if (starts[t + 1] < 0) {
                ends[t] = ends[t + 1];
            }
        }
        return new TokenSpans(e.ids(), begins, ends);
    }
}
