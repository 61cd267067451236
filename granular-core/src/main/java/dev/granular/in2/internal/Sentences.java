package dev.granular.in2.internal;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Complete sentences inside a piece of text, as UTF-16 ranges.
 *
 * <p>A segment is cut out of a document at a token boundary, so its first and last
 * sentences may be fragments. Questions quote only sentences that are whole: they start
 * with an upper-case letter, digit or opening quote, end with terminal punctuation, and are
 * not the first sentence of a text that starts mid-sentence.
 */
public final class Sentences {
    /** A sentence of {@code text}: {@code text.substring(begin, end)}, trimmed. */
    public record Span(int begin, int end) {
        public String of(String text) {
            return text.substring(begin, end);
        }
    }

    private Sentences() {
    }

    /**
     * All sentences of {@code text} (trimmed ranges), whole or not, in order. Public (with {@link Span}) for the
     * benchmarks' synthetic corpus ({@code bench.In2Internals}), which splits prose as IN2's questions do; this
     * package is not exported, so the API does not grow.
     */
    public static List<Span> all(String text) {
        // BreakIterator is not thread-safe, so each call makes its own (cheap next to the work per example).
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.US);
        it.setText(text);
        List<Span> out = new ArrayList<>();
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            int b = start;
            int e = end;
            while (b < e && Character.isWhitespace(text.charAt(b))) {
                b++;
            }
            while (e > b && Character.isWhitespace(text.charAt(e - 1))) {
                e--;
            }
            if (e > b) {
                out.add(new Span(b, e));
            }
        }
        return out;
    }

    /**
     * The whole sentences of {@code text}.
     *
     * @param startsAtSentence whether {@code text} begins at a sentence start of its document
     */
    static List<Span> whole(String text, boolean startsAtSentence) {
        List<Span> all = all(text);
        List<Span> out = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            Span s = all.get(i);
            if (i == 0 && !startsAtSentence) {
                continue;
            }
            if (looksWhole(text, s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Whether the sentence starts like a sentence and ends with terminal punctuation. */
    static boolean looksWhole(String text, Span s) {
        char first = text.charAt(s.begin());
        boolean goodStart = Character.isUpperCase(first) || Character.isDigit(first) || first == '"' || first == '\u201C';
        int e = s.end() - 1;
        // Allow closing quotes or brackets after the full stop: ... end." or ... end.)
        while (e > s.begin() && "\"')]\u201D\u2019".indexOf(text.charAt(e)) >= 0) {
            e--;
        }
        char last = text.charAt(e);
        return goodStart && (last == '.' || last == '!' || last == '?');
    }

    /** Whether position {@code pos} of {@code doc} begins a sentence (document start or after . ! ?). */
    static boolean startsSentence(String doc, int pos) {
        int i = pos - 1;
        while (i >= 0 && Character.isWhitespace(doc.charAt(i))) {
            i--;
        }
        while (i >= 0 && "\"')]\u201D\u2019".indexOf(doc.charAt(i)) >= 0) {
            i--;
        }
        return i < 0 || ".!?".indexOf(doc.charAt(i)) >= 0;
    }

    /** Number of words (whitespace-separated runs) in {@code s}. */
    public static int words(String s) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < s.length(); i++) {
            boolean ws = Character.isWhitespace(s.charAt(i));
            if (!ws && !in) {
                n++;
            }
            in = !ws;
        }
        return n;
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
