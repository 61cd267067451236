package dev.granular.judge;

import java.util.Objects;

/**
 * A judge's finding about one reply.
 *
 * @param outcome      correct, wrong, unparseable (no final answer could be found: counted as wrong,
 *                     and separately), or judge failed (the judge could not decide: nothing is known
 *                     about the reply)
 * @param extracted    the final answer found in the reply (a letter, a number, a normalised string), or null
 * @param reason       a short explanation for reports
 * @param judgeFailure for {@link Outcome#JUDGE_FAILED}, the judge model's failed call (a budget stop
 *                     included), so that callers fail the row as they fail their own calls; else null
 */
public record Verdict(Outcome outcome, String extracted, String reason, dev.granular.teacher.internal.Outcome.Failed judgeFailure) {

    public enum Outcome {
        CORRECT, WRONG, UNPARSEABLE,
        /**
         * The judge could not decide (a model judge's call failed after its retries, or its reply held
         * no verdict). Not the reply's fault: it must not be recorded as wrong, retried as wrong, or
         * counted; the row fails and a rerun asks the judge again.
         */
        JUDGE_FAILED
    }

    public Verdict {
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.JUDGE_FAILED) != (judgeFailure != null)) {
            throw new IllegalArgumentException("judgeFailure is given exactly for JUDGE_FAILED");
        }
    }

    public Verdict(Outcome outcome, String extracted, String reason) {
        this(outcome, extracted, reason, null);
    }

    public boolean correct() {
        return outcome == Outcome.CORRECT;
    }

    /** Whether the judge decided (correct, wrong or unparseable), as opposed to failing itself. */
    public boolean judged() {
        return outcome != Outcome.JUDGE_FAILED;
    }

    static Verdict correct(String extracted) {
        return new Verdict(Outcome.CORRECT, extracted, "matches");
    }

    static Verdict wrong(String extracted, String gold) {
        return new Verdict(Outcome.WRONG, extracted, "got " + extracted + ", expected " + gold);
    }

    static Verdict unparseable(String why) {
        return new Verdict(Outcome.UNPARSEABLE, null, why);
    }

    static Verdict judgeFailed(dev.granular.teacher.internal.Outcome.Failed failure) {
        return new Verdict(Outcome.JUDGE_FAILED, null, failure.message(), failure);
    }
}
