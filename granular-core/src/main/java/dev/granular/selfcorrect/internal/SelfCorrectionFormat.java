package dev.granular.selfcorrect.internal;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import java.util.List;
import java.util.Objects;

/**
 * Lays out one self-correction example as a single assistant message and computes its loss
 * mask. Pure.
 *
 * <p>Layout: {@code initial + "\n\n" + selfCheck + " " + verdict}, then, for a bad case,
 * {@code "\n\n" + correction}. Every separator belongs to the part that follows it, so the
 * masked span of a bad case is <em>exactly</em> the initial answer, code point for code point,
 * and everything from the first separator to the end is trained: the model learns to start
 * checking right after any answer it gives, and never learns the wrong answer itself.
 *
 * <p>Example (bad case), offsets in code points: {@code "7 × 6 = 48\n#### 48"} (0–18, not trained),
 * then {@code "\n\nLet me double-check my reasoning. 7 × 6 is 42, not 48.\n\n7 × 6 = 42\n#### 42"}
 * (18–end, trained).
 */
public final class SelfCorrectionFormat {
    /** Between the initial answer and the self-check, and between the verdict and the correction. */
    public static final String PART_BREAK = "\n\n";
    /** Between the self-check phrase and the verdict. */
    public static final String PHRASE_BREAK = " ";

    /**
     * The parts of one example, each stripped of outer white space.
     *
     * @param initial    the student's own answer (non-blank)
     * @param selfCheck  the self-check phrase (non-blank)
     * @param verdict    the verification text (non-blank)
     * @param correction the corrected answer, or null in a good case
     */
    public record Parts(String initial, String selfCheck, String verdict, String correction) {
        public Parts {
            initial = nonBlank(initial, "initial");
            selfCheck = nonBlank(selfCheck, "selfCheck");
            verdict = nonBlank(verdict, "verdict");
            correction = correction == null ? null : nonBlank(correction, "correction");
        }

        private static String nonBlank(String s, String name) {
            Objects.requireNonNull(s, name);
            if (s.isBlank()) {
                throw new IllegalArgumentException(name + ": must not be blank");
            }
            return s.strip();
        }

        /** The whole assistant text. */
        public String text() {
            return initial + PART_BREAK + selfCheck + PHRASE_BREAK + verdict + (correction == null ? "" : PART_BREAK + correction);
        }
    }

    private SelfCorrectionFormat() {
    }

    /**
     * The assistant message of {@code parts}.
     *
     * @param maskInitial true: the initial answer is one untrained span and the rest one trained span
     *                    (always for bad cases; for good cases under {@code --mask-good-initial});
     *                    false: one trained span over the whole text
     */
    public static Message assistant(Parts parts, boolean maskInitial) {
        String text = parts.text();
        int total = text.codePointCount(0, text.length());
        List<TrainSpan> spans;
        if (maskInitial) {
            int cut = parts.initial().codePointCount(0, parts.initial().length());
            spans = List.of(new TrainSpan(0, cut, false), new TrainSpan(cut, total, true));
        } else {
            spans = List.of(new TrainSpan(0, total, true));
        }
        return new Message(Role.ASSISTANT, text, true, spans, null);
    }
}
