package dev.granular.probe.internal;

import dev.granular.io.BadInputException;
import dev.granular.probe.Needle;
import java.util.ArrayList;
import java.util.List;

/**
 * One needle-in-a-haystack context: haystack sentences, in corpus order, up to {@code length}
 * tokens in all, with the needle put at the sentence boundary nearest to {@code depthPercent}
 * of the way through. The count recorded is exact: the finished context is tokenized whole,
 * and trailing haystack sentences are dropped until it fits.
 */
public final class NeedleBuilder {
    /** A built context: its text, exact token count, and where the needle starts (fraction of tokens). */
    public record Haystack(String context, int contextTokens, double depth) {
    }

    private NeedleBuilder() {
    }

    public static Haystack build(List<String> sentences, Needle needle, TokenCounter counter, int length, int depthPercent) {
        int needleTokens = counter.midText(needle.sentence());
        List<Integer> tokens = new ArrayList<>();
        long sum = 0;
        int n = 0;
        while (n < sentences.size() && sum + needleTokens < length) {
            int t = counter.midText(sentences.get(n));
            if (sum + t + needleTokens > length) {
                break;
            }
            tokens.add(t);
            sum += t;
            n++;
        }
        if (n == sentences.size() && sum + needleTokens < length * 0.9) {
            throw new BadInputException("the corpus is too small for a haystack of " + length + " tokens ("
                    + sum + " tokens of text in all)");
        }
        while (n >= 0) {
            int b = boundary(tokens, n, depthPercent);
            String before = String.join(" ", sentences.subList(0, b));
            String after = String.join(" ", sentences.subList(b, n));
            String context = (before.isEmpty() ? "" : before + " ") + needle.sentence() + (after.isEmpty() ? "" : " " + after);
            int total = counter.midText(context);
            if (total <= length) {
                double depth = before.isEmpty() ? 0 : (double) counter.midText(before + " ") / total;
                return new Haystack(context, total, depth);
            }
            n--;
        }
        throw new BadInputException("the needle alone is longer than " + length + " tokens");
    }

    /** The sentence boundary (0..n) whose token offset is nearest to depthPercent of the first n sentences. */
    static int boundary(List<Integer> tokens, int n, int depthPercent) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            total += tokens.get(i);
        }
        double want = total * depthPercent / 100.0;
        int best = 0;
        double bestDist = want;
        long at = 0;
        for (int b = 1; b <= n; b++) {
            at += tokens.get(b - 1);
            double d = Math.abs(at - want);
            if (d < bestDist) {
                best = b;
                bestDist = d;
            }
        }
        return best;
    }
}
