package dev.granular.in2.internal;

import dev.granular.tokenize.Encoding;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a long document into pseudo-documents of at most {@code maxDocTokens} tokens, at
 * paragraph boundaries, else at sentence boundaries, else (one huge sentence) at word gaps.
 *
 * <p>Why: IN2's corpus is news, about 600 tokens a document; a multi-segment question puts
 * a whole source document into the context, and a 30K-token speech would not fit. Pseudo-
 * documents keep their parent's id, so fillers are still drawn from other parents.
 */
public final class DocumentSplitter {
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\n[ \\t\\x0B\\f]*\\n\\s*");

    /** A pseudo-document: characters {@code [begin, end)} and tokens {@code [tokBegin, tokEnd)} of the parent. */
    public record Part(int begin, int end, int tokBegin, int tokEnd) {
        public int tokens() {
            return tokEnd - tokBegin;
        }
    }

    private final int maxDocTokens;
    private final Segmenter hardCutter;

    public DocumentSplitter(int maxDocTokens) {
        this.maxDocTokens = maxDocTokens;
        this.hardCutter = new Segmenter(maxDocTokens);
    }

    public List<Part> split(String text, Encoding enc) {
        int[] mono = monotoneStarts(enc.starts());
        List<int[]> units = new ArrayList<>();
        Matcher m = PARAGRAPH_BREAK.matcher(text);
        int p = 0;
        while (m.find()) {
            addParagraph(text, enc, mono, p, m.start(), units);
            p = m.end();
        }
        addParagraph(text, enc, mono, p, text.length(), units);

        List<Part> parts = new ArrayList<>();
        int i = 0;
        while (i < units.size()) {
            int begin = units.get(i)[0];
            int end = units.get(i)[1];
            int j = i + 1;
            while (j < units.size() && tokens(mono, begin, units.get(j)[1]) <= maxDocTokens) {
                end = units.get(j)[1];
                j++;
            }
            parts.add(new Part(begin, end, tokenAt(mono, begin), tokenAt(mono, end)));
            i = j;
        }
        return parts;
    }

    private void addParagraph(String text, Encoding enc, int[] mono, int from, int to, List<int[]> units) {
        int[] r = trim(text, from, to);
        if (r == null) {
            return;
        }
        if (tokens(mono, r[0], r[1]) <= maxDocTokens) {
            units.add(r);
            return;
        }
        String para = text.substring(r[0], r[1]);
        for (Sentences.Span s : Sentences.all(para)) {
            int b = r[0] + s.begin();
            int e = r[0] + s.end();
            if (tokens(mono, b, e) <= maxDocTokens) {
                units.add(new int[] {b, e});
            } else {
                for (Segmenter.Cut c : hardCutter.cut(text, enc, b, e, tokenAt(mono, b), tokenAt(mono, e))) {
                    units.add(new int[] {c.begin(), c.end()});
                }
            }
        }
    }

    private static int[] trim(String text, int b, int e) {
        while (b < e && Character.isWhitespace(text.charAt(b))) {
            b++;
        }
        while (e > b && Character.isWhitespace(text.charAt(e - 1))) {
            e--;
        }
        return e > b ? new int[] {b, e} : null;
    }

    /** Token starts with the -1 entries (tokens starting inside a character) filled from the left. */
    static int[] monotoneStarts(int[] starts) {
        int[] mono = new int[starts.length];
        int last = 0;
        for (int i = 0; i < starts.length; i++) {
            last = starts[i] >= 0 ? starts[i] : last;
            mono[i] = last;
        }
        return mono;
    }

    /** Index of the first token starting at or after character {@code c}. */
    static int tokenAt(int[] mono, int c) {
        int lo = 0;
        int hi = mono.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (mono[mid] < c) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    public static int tokens(int[] mono, int b, int e) {
        return tokenAt(mono, e) - tokenAt(mono, b);
    }
}
