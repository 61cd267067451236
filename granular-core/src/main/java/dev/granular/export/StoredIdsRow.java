package dev.granular.export;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A long IN2 row assembled from the ids {@code granular in2} kept ({@link ContextIds}) instead of
 * rendering and tokenizing its whole context.
 *
 * <p>The record is labelled as usual ({@link Labeler}) with the context shortened to its first
 * and last segments: that small rendering holds every template piece and both template/content
 * seams, tokenized for real, so whatever the template's text merges with is exact. The ids of the
 * segments in between are taken from the sidecar and spliced in at the paragraph break before
 * the last segment. The seam check: that break must be a token boundary of the small rendering (a
 * token starts exactly at the last segment, none straddles it); otherwise the row is made by the
 * full path. The break between the first segment and the stored ones is the same kind of boundary
 * (a paragraph break before text), which IN2's own slice joining rests on and checks.
 *
 * <p>The context lies in an untrained message, so the spliced ids are labelled -100; a record
 * whose context message is trained, whose stored offsets do not fit its text, or whose middle
 * spells a special token or granular's reserved character, goes to the full path, which labels or
 * refuses it as always.
 */
final class StoredIdsRow {
    private StoredIdsRow() {
    }

    /** A row: ids, labels, trained tokens. */
    record Row(int[] ids, int[] labels, int trained) {
    }

    /** The row of {@code r} from {@code e}'s ids, or null when the full path must make it. */
    static Row assemble(Labeler labeler, TrainingRecord r, ContextIds.Entry e) {
        List<Message> ms = r.messages();
        if (e.message() < 0 || e.message() >= ms.size()) {
            return null;
        }
        Message m = ms.get(e.message());
        String u = m.content();
        int begin = e.start();
        if (m.train() || m.trainDetail() != null || m.contentParts() != null || begin < 0 || e.length() < 0
                || begin + e.length() > u.length() || e.secondChar() <= 0 || e.lastChar() < e.secondChar()
                || e.lastChar() >= e.length() || e.lastToken() < e.secondToken() || e.secondToken() <= 0) {
            return null;
        }
        int s2 = begin + e.secondChar();
        int sN = begin + e.lastChar();
        if (!labeler.acceptsText(u)) {
            return null; // the full path refuses it, naming the token
        }
        String shortContent = u.substring(0, s2) + u.substring(sN);
        List<Message> shortMs = new ArrayList<>(ms);
        shortMs.set(e.message(), new Message(m.role(), shortContent, m.train(), null, m.reasoningContent(), m.toolCalls(),
                m.toolCallId(), m.name(), null, m.contentNull()));
        if (!(labeler.label(new TrainingRecord(r.id(), shortMs, r.tools(), r.meta())) instanceof LossMask small)) {
            return null;
        }
        String rendered = small.text();
        int at = rendered.indexOf(shortContent);
        if (at < 0 || rendered.indexOf(shortContent, at + 1) >= 0) {
            return null; // the template does not render the content verbatim, once
        }
        int seam = rendered.codePointCount(0, at + s2);
        int[] starts = small.charStarts();
        int k = Arrays.binarySearch(starts, seam);
        if (k < 0) {
            return null; // the seam merges: no token starts at the last segment
        }
        while (k > 0 && starts[k - 1] == seam) {
            k--;
        }
        if (k > 0 && small.charEnds()[k - 1] > seam) {
            return null;
        }
        int[] mid = e.middle();
        int n = small.size() + mid.length;
        int[] ids = new int[n];
        int[] labels = new int[n];
        System.arraycopy(small.ids(), 0, ids, 0, k);
        System.arraycopy(mid, 0, ids, k, mid.length);
        System.arraycopy(small.ids(), k, ids, k + mid.length, small.size() - k);
        System.arraycopy(small.labels(), 0, labels, 0, k);
        Arrays.fill(labels, k, k + mid.length, LossMask.IGNORE);
        System.arraycopy(small.labels(), k, labels, k + mid.length, small.size() - k);
        for (int i = Math.max(0, k - 1); i < Math.min(small.size(), k + 1); i++) {
            if (small.labels()[i] != LossMask.IGNORE) {
                return null; // trained text at the seam: not a context
            }
        }
        return new Row(ids, labels, small.trainedTokens());
    }
}
