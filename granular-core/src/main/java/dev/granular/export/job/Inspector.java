package dev.granular.export.job;

import dev.granular.export.Labeler;
import dev.granular.export.LossMask;
import dev.granular.record.TrainingRecord;
import java.util.List;
import java.util.Locale;

/**
 * Shows a record as the trainer will see it: the rendered conversation with trained tokens
 * highlighted, token boundaries on demand, and counts. Pure: {@code granular inspect}
 * prints what these methods return.
 */
public final class Inspector {
    private static final String TRAINED = "\u001b[30;42m";
    private static final String TRAINED_ALT = "\u001b[30;102m";
    private static final String PLAIN_ALT = "\u001b[4m";
    private static final String RESET = "\u001b[0m";

    /** One inspected record. */
    public record Entry(TrainingRecord record, Labeler.Result result) {
    }

    private Inspector() {
    }

    /** A one-line summary: tokens, trained tokens, fraction. */
    public static String counts(LossMask m) {
        int trained = m.trainedTokens();
        return String.format(Locale.ROOT, "%d tokens, %d trained (%.1f%%)", m.size(), trained,
                m.size() == 0 ? 0.0 : 100.0 * trained / m.size());
    }

    /**
     * The rendering with trained tokens on a green background (ANSI), newlines inside trained
     * text shown as ↵ so a trained line break is visible; with {@code tokens}, every other token
     * is drawn in a second shade (underlined when untrained) so boundaries show.
     */
    public static String ansi(LossMask m, boolean tokens, boolean colour) {
        StringBuilder out = new StringBuilder();
        int[] cps = m.text().codePoints().toArray();
        int cursor = 0;
        for (int i = 0; i < m.size(); i++) {
            int b = Math.max(cursor, m.charStarts()[i]);
            int e = Math.max(b, m.charEnds()[i]);
            if (b > cursor) {
                out.append(new String(cps, cursor, b - cursor)); // text no token covers
            }
            if (e == b) {
                continue; // a byte piece of a character already shown
            }
            String piece = new String(cps, b, e - b);
            boolean trained = m.isTrained(i);
            if (colour) {
                String style = trained ? (tokens && i % 2 == 1 ? TRAINED_ALT : TRAINED) : (tokens && i % 2 == 1 ? PLAIN_ALT : "");
                if (trained) {
                    piece = piece.replace("\n", "↵\n");
                }
                out.append(style.isEmpty() ? piece : style + piece.replace("\n", RESET + "\n" + style) + RESET);
            } else {
                out.append(trained ? "[[" + piece + "]]" : piece);
            }
            cursor = e;
        }
        if (cursor < cps.length) {
            out.append(new String(cps, cursor, cps.length - cursor));
        }
        return out.toString();
    }

    /** A self-contained HTML page of the entries: trained tokens highlighted, each token's id on hover. */
    public static String html(List<Entry> entries, String title) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}")
                .append("pre{white-space:pre-wrap;font:13px/1.5 ui-monospace,monospace;background:#fafafa;border:1px solid #ddd;padding:1em}")
                .append(".t{background:#b6e8b0}.t.o{background:#d8f5d3}.u.o{background:#f0f0f0}")
                .append(".nl{color:#4a9}.refused{color:#b00}h2{font-size:1.05em}\n</style></head><body>\n")
                .append("<h1>").append(esc(title)).append("</h1>\n<p>Green: trained tokens (labels = ids). Everything else is -100. "
                        + "Alternate shades mark token boundaries; hover a token for its index and id.</p>\n");
        for (Entry e : entries) {
            h.append("<h2>").append(esc(e.record().id())).append(" — ");
            switch (e.result()) {
                case LossMask m -> {
                    h.append(esc(counts(m))).append("</h2>\n<pre>");
                    int[] cps = m.text().codePoints().toArray();
                    int cursor = 0;
                    for (int i = 0; i < m.size(); i++) {
                        int b = Math.max(cursor, m.charStarts()[i]);
                        int end = Math.max(b, m.charEnds()[i]);
                        if (b > cursor) {
                            h.append(esc(new String(cps, cursor, b - cursor)));
                        }
                        if (end == b) {
                            continue;
                        }
                        String piece = new String(cps, b, end - b);
                        String cls = (m.isTrained(i) ? "t" : "u") + (i % 2 == 1 ? " o" : "");
                        h.append("<span class=\"").append(cls).append("\" title=\"token ").append(i).append(": id ")
                                .append(m.ids()[i]).append(m.isTrained(i) ? ", trained" : "").append("\">")
                                .append(esc(piece).replace("\n", m.isTrained(i) ? "<span class=\"nl\">↵</span>\n" : "\n"))
                                .append("</span>");
                        cursor = end;
                    }
                    if (cursor < cps.length) {
                        h.append(esc(new String(cps, cursor, cps.length - cursor)));
                    }
                    h.append("</pre>\n");
                }
                case Labeler.Refused r -> h.append("refused</h2>\n<p class=\"refused\">").append(esc(r.reason())).append("</p>\n");
            }
        }
        return h.append("</body></html>\n").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
