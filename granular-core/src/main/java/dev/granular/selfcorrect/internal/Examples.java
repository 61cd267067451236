package dev.granular.selfcorrect.internal;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the training record of one kept example. Pure. */
public final class Examples {
    /** Who made an example, for {@code meta}. */
    record Provenance(String student, String teacher, String judge) {
    }

    private Examples() {
    }

    /**
     * The record: the conversation the student saw, then one assistant message laid out by
     * {@link SelfCorrectionFormat}. A bad case always masks its initial answer; a good case masks it
     * only with {@code maskGoodInitial}.
     */
    static TrainingRecord record(SelfCorrectTask task, Candidate c, SelfCorrectionFormat.Parts parts, boolean maskGoodInitial,
                                 Provenance who) {
        boolean bad = !c.correct();
        List<Message> messages = new ArrayList<>(Prompts.studentConversation(task));
        messages.add(SelfCorrectionFormat.assistant(parts, bad || maskGoodInitial));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "self-correction");
        meta.put("case", bad ? "bad" : "good");
        meta.put("initial_correct", !bad);
        meta.put("transition", (bad ? Transition.W_TO_R : Transition.R_TO_R).label());
        meta.put("student", who.student());
        meta.put("teacher", who.teacher());
        meta.put("sample_index", c.sample());
        meta.put("task_id", task.id());
        meta.put("judge", who.judge());
        meta.put("source", task.source());
        return new TrainingRecord(task.id() + "#" + c.sample(), messages, null, meta);
    }
}
