package dev.granular.tokenize;

/**
 * Token ids with their positions in the encoded text.
 *
 * @param ids    the token ids
 * @param starts for each token, the UTF-16 index in the text where it starts, or -1 when
 *               the token starts inside a character (a byte-level piece of a multi-byte
 *               UTF-8 character); {@code starts.length == ids.length}
 */
public record Encoding(int[] ids, int[] starts) {
    public Encoding {
        if (ids.length != starts.length) {
            throw new IllegalArgumentException("ids and starts differ in length: " + ids.length + " vs " + starts.length);
        }
    }

    public int size() {
        return ids.length;
    }

    /** True when a cut before token {@code i} falls on a character boundary of the text. */
    public boolean cleanStart(int i) {
        return starts[i] >= 0;
    }
}
