package dev.granular.dedup;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.io.Serializable;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * MinHash signatures of texts and records, for {@link NearDuplicates}.
 *
 * <p><b>Words</b> are as {@code Decontaminator}'s: maximal runs of Unicode letters and digits of
 * the NFC-normalised text, lower-cased ({@link Locale#ROOT}); punctuation, spacing and case never tell two texts
 * apart. A record's words are its messages' words in order, each message opened by a marker word for its role, so
 * the same text said by another role is another text. <b>Shingles</b> are runs of {@code shingle} consecutive words
 * (a text with fewer words is one shingle of them all); a text without words has no signature.
 *
 * <p><b>Hashing</b> is fixed arithmetic, never {@code String.hashCode} or a JVM-seeded hash: FNV-1a over each word's
 * UTF-16 units, finalised with the MurmurHash3 mixer, combined over the shingle's words; slot {@code i} of the
 * signature is the minimum over shingles of {@code (a_i * h + b_i) >>> 33} (31 bits), with odd {@code a_i} and
 * {@code b_i} drawn from SplitMix64 seeded with the config's seed. So a signature depends on the text and the config
 * alone: the same on every JVM, machine and partitioning. Immutable and thread-safe; serializable for Spark.
 */
public final class MinHash implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long ROLL = 0x9E3779B97F4A7C15L;

    private final NearDedupConfig config;
    private final NearDedupConfig.Banding banding;
    private final long[] a;
    private final long[] b;

    private MinHash(NearDedupConfig config) {
        this.config = config;
        this.banding = config.banding();
        int n = config.permutations();
        a = new long[n];
        b = new long[n];
        long state = config.seed();
        for (int i = 0; i < n; i++) {
            state += ROLL;
            a[i] = mix(state) | 1;
            state += ROLL;
            b[i] = mix(state);
        }
    }

    public static MinHash of(NearDedupConfig config) {
        return new MinHash(config);
    }

    public NearDedupConfig config() {
        return config;
    }

    public NearDedupConfig.Banding banding() {
        return banding;
    }

    /** The signature of a record (its messages' roles and words, see the class comment); null when it has no words. */
    public int[] signature(TrainingRecord record) {
        Words w = new Words();
        for (Message m : record.messages()) {
            w.add(wordHash("\u0000" + m.role().wireName()));
            w.addText(m.content());
        }
        return signature(w);
    }

    /** The signature of one text; null when it has no words. */
    public int[] signature(String text) {
        Words w = new Words();
        w.addText(text);
        return signature(w);
    }

    /** The signatures of several texts read as one (their words in order); null when they have no words. */
    public int[] signature(List<String> texts) {
        Words w = new Words();
        texts.forEach(w::addText);
        return signature(w);
    }

    private int[] signature(Words w) {
        if (w.n == 0 || w.markersOnly()) {
            return null;
        }
        int n = a.length;
        int[] sig = new int[n];
        Arrays.fill(sig, Integer.MAX_VALUE);
        int k = Math.min(config.shingle(), w.n);
        for (int start = 0; start + k <= w.n; start++) {
            long h = FNV_OFFSET;
            for (int j = start; j < start + k; j++) {
                h = (h + w.hashes[j]) * ROLL;
            }
            h = mix(h);
            for (int i = 0; i < n; i++) {
                int v = (int) ((a[i] * h + b[i]) >>> 33);
                if (v < sig[i]) {
                    sig[i] = v;
                }
            }
        }
        return sig;
    }

    /** How many slots two signatures share. */
    public static int equalSlots(int[] x, int[] y) {
        int same = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == y[i]) {
                same++;
            }
        }
        return same;
    }

    /** The estimated Jaccard similarity of two signatures: the share of equal slots. */
    public static double jaccard(int[] x, int[] y) {
        return (double) equalSlots(x, y) / x.length;
    }

    /**
     * The LSH key of band {@code band} of a signature: a 64-bit hash of the band number and its slots. Rows sharing a
     * key in any band are candidate pairs (a collision of two different bands only adds a candidate, which the Jaccard
     * check then judges).
     */
    public long bandKey(int band, int[] sig) {
        int rows = banding.rows();
        long h = mix(FNV_OFFSET + band);
        for (int i = band * rows; i < (band + 1) * rows; i++) {
            h = (h ^ (sig[i] & 0xffffffffL)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** Every band's key ({@link #bandKey}), in band order. */
    public long[] bandKeys(int[] sig) {
        long[] keys = new long[banding.bands()];
        for (int band = 0; band < keys.length; band++) {
            keys[band] = bandKey(band, sig);
        }
        return keys;
    }

    private static long wordHash(CharSequence s) {
        long h = FNV_OFFSET;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** The MurmurHash3 64-bit finaliser. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** Word hashes of the texts added, in order; role markers counted apart, so that markers alone are no text. */
    private static final class Words {
        long[] hashes = new long[256];
        int n;
        int markers;

        void add(long h) {
            if (n == hashes.length) {
                hashes = Arrays.copyOf(hashes, n * 2);
            }
            hashes[n++] = h;
            markers++;
        }

        boolean markersOnly() {
            return markers == n;
        }

        void addText(String raw) {
            String text = Normalizer.isNormalized(raw, Normalizer.Form.NFC) ? raw : Normalizer.normalize(raw, Normalizer.Form.NFC);
            int i = 0;
            int length = text.length();
            StringBuilder word = new StringBuilder();
            while (i < length) {
                int cp = text.codePointAt(i);
                if (!Character.isLetterOrDigit(cp)) {
                    i += Character.charCount(cp);
                    continue;
                }
                int start = i;
                boolean ascii = true;
                while (i < length && Character.isLetterOrDigit(cp = text.codePointAt(i))) {
                    ascii &= cp < 0x80;
                    i += Character.charCount(cp);
                }
                long h;
                if (ascii) {
                    h = FNV_OFFSET;
                    for (int j = start; j < i; j++) {
                        char c = text.charAt(j);
                        if (c >= 'A' && c <= 'Z') {
                            c += 'a' - 'A';
                        }
                        h = (h ^ c) * FNV_PRIME;
                    }
                    h = mix(h);
                } else {
                    word.setLength(0);
                    h = wordHash(word.append(text, start, i).toString().toLowerCase(Locale.ROOT));
                }
                if (n == hashes.length) {
                    hashes = Arrays.copyOf(hashes, n * 2);
                }
                hashes[n++] = h;
            }
        }
    }
}
