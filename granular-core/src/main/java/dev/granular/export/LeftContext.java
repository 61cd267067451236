package dev.granular.export;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --truncation left-context}: fits an example into a token budget by removing whole
 * segments (paragraphs, else lines, else sentences) of its longest untrained user message, from
 * the middle leftwards and then rightwards, keeping the first and last segments (instructions and
 * question usually sit there). Trained text is never touched: the conversation is re-rendered and
 * re-labelled after each cut. Neither is the text an answer rests on: segments overlapping an
 * IN2 record's {@code meta.key_char_spans} or {@code meta.evidence_spans} (code points of its user
 * message) are kept, since cutting them would leave an answer with nothing to support it.
 */
final class LeftContext {
    private static final Pattern PARAGRAPHS = Pattern.compile("(?<=\\n\\n)");
    private static final Pattern LINES = Pattern.compile("(?<=\\n)");
    private static final Pattern SENTENCES = Pattern.compile("(?<=[.!?。！？])(?=\\s)");

    /** The fitted example and how many segments were removed. */
    record Fitted(LossMask mask, int removedSegments) {
    }

    private LeftContext() {
    }

    /**
     * The example shortened to at most {@code maxLength} tokens, or a refusal saying why it cannot be.
     *
     * @param tokens the example's length before shortening
     */
    static Object fit(Labeler labeler, TrainingRecord r, int tokens, int maxLength) {
        List<Message> ms = r.messages();
        int u = -1;
        for (int i = 0; i < ms.size(); i++) {
            Message m = ms.get(i);
            if (m.role() == Role.USER && !m.train() && (u < 0 || m.contentLength() > ms.get(u).contentLength())) {
                u = i;
            }
        }
        String too = tokens + " tokens > --max-length " + maxLength;
        if (u < 0) {
            return new Labeler.Refused(too + " and no untrained user message to shorten (left-context never cuts trained text)");
        }
        List<String> segments = segments(ms.get(u).content());
        if (segments.size() < 3) {
            return new Labeler.Refused(too + " and messages[" + u + "] has no middle segment to remove");
        }
        int[] order = withoutProtected(removalOrder(segments.size()), segments, protectedSpans(r));
        if (order.length == 0) {
            return new Labeler.Refused(too + " and every middle segment of messages[" + u + "] holds text the answer rests on");
        }
        // Binary search for the fewest removals that fit: more removed never makes the text longer.
        int lo = 1;
        int hi = order.length;
        LossMask best = null;
        int bestK = -1;
        while (lo <= hi) {
            int k = (lo + hi) >>> 1;
            Labeler.Result res = labeler.label(without(r, u, segments, order, k));
            if (res instanceof Labeler.Refused refused) {
                return refused;
            }
            LossMask m = (LossMask) res;
            if (m.size() <= maxLength) {
                best = m;
                bestK = k;
                hi = k - 1;
            } else {
                lo = k + 1;
            }
        }
        if (best == null) {
            return new Labeler.Refused(too + "; even without the " + order.length + " middle segments of messages[" + u
                    + "] it does not fit, and truncating further would cut trained text");
        }
        return new Fitted(best, bestK);
    }

    /** Code-point ranges of the user message that must stay: IN2's key segments and evidence. */
    static List<int[]> protectedSpans(TrainingRecord r) {
        List<int[]> out = new ArrayList<>();
        for (String key : List.of("key_char_spans", "evidence_spans")) {
            if (r.meta().get(key) instanceof List<?> spans) {
                for (Object o : spans) {
                    if (o instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number b
                            && pair.get(1) instanceof Number e) {
                        out.add(new int[] {b.intValue(), e.intValue()});
                    }
                }
            }
        }
        return out;
    }

    /** The removal order without the segments that overlap a protected range. */
    static int[] withoutProtected(int[] order, List<String> segments, List<int[]> spans) {
        if (spans.isEmpty()) {
            return order;
        }
        int[] starts = new int[segments.size() + 1];
        for (int i = 0; i < segments.size(); i++) {
            starts[i + 1] = starts[i] + segments.get(i).codePointCount(0, segments.get(i).length());
        }
        return Arrays.stream(order).filter(i -> spans.stream().noneMatch(sp -> sp[0] < starts[i + 1] && sp[1] > starts[i])).toArray();
    }

    static List<String> segments(String text) {
        for (Pattern p : List.of(PARAGRAPHS, LINES, SENTENCES)) {
            List<String> parts = new ArrayList<>(Arrays.asList(p.split(text)));
            parts.removeIf(String::isEmpty);
            if (parts.size() >= 3) {
                return parts;
            }
        }
        return List.of(text);
    }

    /** Indices 1..n-2: from the middle down to 1, then from just right of the middle up to n-2. */
    static int[] removalOrder(int n) {
        int mid = (n - 1) / 2;
        int[] order = new int[n - 2];
        int k = 0;
        for (int i = Math.max(mid, 1); i >= 1; i--) {
            order[k++] = i;
        }
        for (int i = Math.max(mid, 1) + 1; i <= n - 2; i++) {
            order[k++] = i;
        }
        return order;
    }

    private static TrainingRecord without(TrainingRecord r, int u, List<String> segments, int[] order, int k) {
        boolean[] drop = new boolean[segments.size()];
        for (int i = 0; i < k; i++) {
            drop[order[i]] = true;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < segments.size(); i++) {
            if (!drop[i]) {
                sb.append(segments.get(i));
            }
        }
        List<Message> ms = new ArrayList<>(r.messages());
        Message m = ms.get(u);
        ms.set(u, new Message(m.role(), sb.toString(), false, null, m.reasoningContent()));
        return new TrainingRecord(r.id(), ms, r.tools(), r.meta());
    }
}
