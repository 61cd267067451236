package dev.granular.selfcorrect;

import dev.granular.selfcorrect.internal.Transition;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run found and made, for the report and the dataset card.
 *
 * @param questions      tasks read
 * @param answers        student answers collected (journaled)
 * @param correct        answers judged correct
 * @param wrong          answers judged wrong (a final answer was found and differs)
 * @param unparseable    answers with no final answer the judge could find (wrong, counted apart)
 * @param empty          blank answers, never used
 * @param goodCandidates correct answers left after the per-question caps
 * @param badCandidates  wrong answers left after the per-question caps
 * @param chosenGood     good cases chosen by the balance
 * @param chosenBad      bad cases chosen by the balance
 * @param rightToRight   good cases written (R→R)
 * @param wrongToRight   bad cases written (W→R)
 * @param wrongToWrong   corrections judged still wrong, dropped (W→W)
 * @param leaked         teacher texts that gave away the answer, dropped
 * @param failed         rows that failed after their retries, in either step
 * @param notSent        rows not sent because of the budget
 * @param targetRatio    the requested share of bad cases
 */
public record SelfCorrectCounts(long questions, long answers, long correct, long wrong, long unparseable, long empty,
                                long goodCandidates, long badCandidates, long chosenGood, long chosenBad,
                                long rightToRight, long wrongToRight, long wrongToWrong, long leaked, long failed, long notSent,
                                double targetRatio) {

    /** Records written. */
    public long records() {
        return rightToRight + wrongToRight;
    }

    /** Correct answers among the judged ones (unparseable counts as wrong); 0 when none. */
    public double studentAccuracy() {
        long judged = correct + wrong + unparseable;
        return judged == 0 ? 0 : (double) correct / judged;
    }

    /** Corrections judged right among the wrong answers the teacher revised (W→R over W→R + W→W + leaked); 0 when none. */
    public double correctionSuccess() {
        long revised = wrongToRight + wrongToWrong + leaked;
        return revised == 0 ? 0 : (double) wrongToRight / revised;
    }

    /** The share of bad cases among the records written; 0 when none. */
    public double achievedRatio() {
        return records() == 0 ? 0 : (double) wrongToRight / records();
    }

    /** For report/summary.json. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", records());
        m.put("questions", questions);
        m.put("student", Map.of("answers", answers, "correct", correct, "wrong", wrong, "unparseable", unparseable,
                "empty", empty, "accuracy", studentAccuracy()));
        m.put("candidates", Map.of("good", goodCandidates, "bad", badCandidates));
        m.put("chosen", Map.of("good", chosenGood, "bad", chosenBad));
        Map<String, Object> cases = new LinkedHashMap<>();
        cases.put("good", rightToRight);
        cases.put("bad", wrongToRight);
        m.put("cases", cases);
        Map<String, Object> transitions = new LinkedHashMap<>();
        transitions.put(Transition.R_TO_R.label(), rightToRight);
        transitions.put(Transition.W_TO_R.label(), wrongToRight);
        transitions.put(Transition.W_TO_W.label() + " (dropped)", wrongToWrong);
        m.put("transitions", transitions);
        m.put("leaked_dropped", leaked);
        m.put("teacher_correction_success", correctionSuccess());
        m.put("bad_ratio", Map.of("target", targetRatio, "achieved", achievedRatio()));
        m.put("failed", failed);
        m.put("not_sent", notSent);
        return m;
    }
}
