package dev.granular.in2.internal;

import java.util.List;

/**
 * An assembled context: segments joined by {@link SegmentTokens#SEP}, with exact token ids.
 *
 * @param text        the context text
 * @param ids         its token ids, built from the segments' stored ids (never by tokenizing {@code text})
 * @param segments    store indices of the segments, in context order
 * @param charStarts  UTF-16 offset in {@code text} where each segment starts
 * @param cpStarts    code-point offset in {@code text} where each segment starts
 * @param tokenStarts token offset where each segment starts
 * @param target      the drawn target length, tokens
 */
public record Context(String text, int[] ids, int[] segments, int[] charStarts, int[] cpStarts, int[] tokenStarts, int target) {
    public int tokens() {
        return ids.length;
    }

    /** Position (slot) of store segment {@code s} in this context, or -1. */
    public int slotOf(int s) {
        for (int i = 0; i < segments.length; i++) {
            if (segments[i] == s) {
                return i;
            }
        }
        return -1;
    }

    public static Context of(List<Integer> order, SegmentStore store, SegmentTokens tokens, int target) {
        int n = order.size();
        int[] segs = new int[n];
        int[] charStarts = new int[n];
        int[] cpStarts = new int[n];
        int[] tokenStarts = new int[n];
        StringBuilder sb = new StringBuilder();
        int cp = 0;
        int total = 0;
        for (int i = 0; i < n; i++) {
            total += store.segTokens(order.get(i));
        }
        int[] ids = new int[total];
        int at = 0;
        for (int i = 0; i < n; i++) {
            int s = order.get(i);
            segs[i] = s;
            String t = store.segText(s);
            charStarts[i] = sb.length();
            cpStarts[i] = cp;
            tokenStarts[i] = at;
            sb.append(t);
            cp += t.codePointCount(0, t.length());
            if (i < n - 1) {
                sb.append(SegmentTokens.SEP);
                cp += SegmentTokens.SEP.length();
                store.segIds(s, ids, at);
                at += store.segTokens(s);
            } else {
                // The last segment has no separator after it: its ids differ from the stored unit at the end.
                int[] last = tokens.lastIds(t);
                if (at + last.length != ids.length) {
                    ids = java.util.Arrays.copyOf(ids, at + last.length);
                }
                System.arraycopy(last, 0, ids, at, last.length);
                at += last.length;
            }
        }
        return new Context(sb.toString(), ids, segs, charStarts, cpStarts, tokenStarts, target);
    }
}
