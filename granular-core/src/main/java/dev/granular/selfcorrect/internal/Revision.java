package dev.granular.selfcorrect.internal;

import dev.granular.record.TrainingRecord;

/**
 * What the teacher step made of one chosen answer. Sealed: a switch over it has no default, so
 * a new way of ending must be handled wherever revisions are counted.
 */
public sealed interface Revision permits Revision.Kept, Revision.Dropped, Revision.Unjudged {
    /** An example to write: an R→R confirmation or a W→R correction. */
    record Kept(TrainingRecord record, Transition transition) implements Revision {
    }

    /**
     * No example: the teacher's correction was judged wrong or unparseable (W→W), or its text gave
     * away that it had been shown the answer.
     *
     * @param why    {@link Why#STILL_WRONG} or {@link Why#LEAKED}
     * @param detail the judge's reason or the tell that was found
     */
    record Dropped(Why why, String detail) implements Revision {
    }

    /**
     * Nothing decided: the judge of the correction failed itself ({@link
     * dev.granular.judge.Verdict.Outcome#JUDGE_FAILED}). Never journalled as a result: the row
     * fails (or stops for the budget) and a rerun asks again.
     *
     * @param failure the judge model's failed call
     */
    record Unjudged(dev.granular.teacher.internal.Outcome.Failed failure) implements Revision {
    }

    /** Why a revision was dropped. */
    enum Why { STILL_WRONG, LEAKED }
}
