package dev.granular.in2.internal;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A question, its answer and the evidence it rests on.
 *
 * @param kind     the question kind
 * @param question the question text
 * @param answer   the answer the assistant is trained to give
 * @param evidence the exact text ranges the answer rests on, each inside one key segment
 * @param unique   patterns that must match exactly once in the finished context, else the
 *                 question is ambiguous there (e.g. a quoted phrase that a filler repeats)
 */
public record Qa(QaKind kind, String question, String answer, List<Evidence> evidence, List<Pattern> unique) {

    /**
     * Text {@code [begin, end)} (UTF-16) of the {@code part}-th candidate segment.
     */
    public record Evidence(int part, int begin, int end) {
    }

    public Qa {
        evidence = List.copyOf(evidence);
        unique = List.copyOf(unique);
    }

    /** Whether every pattern in {@link #unique} occurs exactly once in {@code context}. */
    public boolean unambiguousIn(String context) {
        for (Pattern p : unique) {
            var m = p.matcher(context);
            if (!m.find() || m.find()) {
                return false;
            }
        }
        return true;
    }
}
