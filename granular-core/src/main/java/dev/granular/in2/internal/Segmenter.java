package dev.granular.in2.internal;

import dev.granular.tokenize.Encoding;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text into segments of about {@code segmentTokens} tokens, IN2's "minimum
 * information unit" (128 tokens in the paper).
 *
 * <p>Cuts fall only where a token starts on a character boundary (never inside a UTF-8
 * character) and, where possible, at a gap between a word and whitespace, so a segment
 * neither starts nor ends mid-word. Each segment is trimmed of surrounding whitespace; its
 * exact token ids are computed afterwards by {@link SegmentTokens}, so the cut position only
 * decides the segment's size, never its correctness. Text with no whitespace for a whole
 * segment (e.g. Chinese) is cut at any clean token start.
 */
public final class Segmenter {
    /** A segment: {@code text.substring(begin, end)}, trimmed, non-empty. */
    public record Cut(int begin, int end) {
    }

    private final int segmentTokens;

    public Segmenter(int segmentTokens) {
        if (segmentTokens < 8) {
            throw new IllegalArgumentException("segment tokens must be at least 8, got " + segmentTokens);
        }
        this.segmentTokens = segmentTokens;
    }

    /**
     * Segments of {@code text[from, to)}, where {@code enc} is the encoding of the whole
     * {@code text} and tokens {@code [tokFrom, tokTo)} are those starting inside the range.
     */
    public List<Cut> cut(String text, Encoding enc, int from, int to, int tokFrom, int tokTo) {
        List<Cut> out = new ArrayList<>();
        int[] starts = enc.starts();
        int segTok = tokFrom;
        int segChar = from;
        while (segTok < tokTo) {
            int limit = segTok + segmentTokens;
            if (limit >= tokTo) {
                add(out, text, segChar, to);
                break;
            }
            int best = -1;
            for (int t = limit; t >= segTok + Math.max(1, segmentTokens / 2); t--) {
                if (starts[t] > segChar && atWordGap(text, starts[t])) {
                    best = t;
                    break;
                }
            }
            for (int t = limit; best < 0 && t > segTok; t--) {
                if (starts[t] > segChar) {
                    best = t;
                }
            }
            for (int t = limit + 1; best < 0 && t < tokTo; t++) {
                if (starts[t] > segChar) {
                    best = t;
                }
            }
            if (best < 0) {
                add(out, text, segChar, to);
                break;
            }
            add(out, text, segChar, starts[best]);
            segTok = best;
            segChar = starts[best];
        }
        return out;
    }

    /** Whether a cut at {@code p} separates a word from whitespace. */
    static boolean atWordGap(String text, int p) {
        if (p <= 0 || p >= text.length()) {
            return true;
        }
        return Character.isWhitespace(text.charAt(p)) != Character.isWhitespace(text.charAt(p - 1));
    }

    private static void add(List<Cut> out, String text, int b, int e) {
        while (b < e && Character.isWhitespace(text.charAt(b))) {
            b++;
        }
        while (e > b && Character.isWhitespace(text.charAt(e - 1))) {
            e--;
        }
        // Never end between the two halves of a surrogate pair.
        if (e > b && e < text.length() && Character.isLowSurrogate(text.charAt(e)) && Character.isHighSurrogate(text.charAt(e - 1))) {
            e++;
        }
        if (e > b) {
            out.add(new Cut(b, e));
        }
    }
}
