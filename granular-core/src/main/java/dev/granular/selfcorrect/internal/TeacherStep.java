package dev.granular.selfcorrect.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.judge.Judge;
import dev.granular.judge.Verdict;
import dev.granular.record.RecordJson;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.StructuredOutput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Step 3 for one chosen answer: the teacher's verification (and, for a wrong answer, its
 * correction), checked for tells that it saw the answer, the correction judged, then the record.
 * The journal line is the record itself, or {@code {"dropped": "still_wrong"|"leaked", "detail"}}
 * so that a dropped revision is not paid for again on resume.
 */
public final class TeacherStep {
    /** One row of the step. */
    record Item(SelfCorrectTask task, Candidate candidate) {
    }

    private final LlmClient teacher;
    private final Judge judge;
    private final GenerationParams params;
    private final SelfCheckPhrases phrases;
    private final long seed;
    private final boolean maskGoodInitial;
    private final Examples.Provenance who;

    TeacherStep(LlmClient teacher, Judge judge, GenerationParams params, SelfCheckPhrases phrases, long seed,
                boolean maskGoodInitial, Examples.Provenance who) {
        this.teacher = teacher;
        this.judge = judge;
        this.params = params;
        this.phrases = phrases;
        this.seed = seed;
        this.maskGoodInitial = maskGoodInitial;
        this.who = who;
    }

    StepRunner.RowResult run(Item item) throws InterruptedException {
        Candidate c = item.candidate();
        SelfCorrectTask task = item.task();
        String id = c.key();
        boolean bad = !c.correct();
        ChatRequest req = new ChatRequest(id, bad ? Prompts.correct(task.task(), c.text()) : Prompts.confirm(task.task(), c.text()),
                params, 0, bad ? Prompts.CORRECT_SCHEMA : Prompts.CONFIRM_SCHEMA, null);
        Outcome o = teacher.complete(req);
        return switch (o) {
            case Outcome.Failed f -> StepRunner.failure(id, task.source(), f);
            case Outcome.Ok ok when ok.completion().toolCalls() != null ->
                    // A reply that calls a tool has no answer to judge or revise: the row fails, reported like any.
                    StepRunner.failure(id, task.source(), "tool_call", 0, "the teacher's reply calls a tool ("
                            + ok.completion().toolCalls().getFirst().name() + "); self-correct needs a text answer",
                            ok.attempts());
            case Outcome.Ok ok -> {
                long tokens = ok.completion().usage().promptTokens() + ok.completion().usage().completionTokens();
                Optional<JsonNode> json = StructuredOutput.extract(ok.completion().text());
                String verification = json.map(j -> j.path("verification").asText("")).orElse("");
                String correction = json.map(j -> j.path("correction").asText("")).orElse("");
                if (verification.isBlank() || (bad && correction.isBlank())) {
                    yield StepRunner.failure(id, task.source(), "invalid_output", 0, "the teacher's reply lacks "
                            + (verification.isBlank() ? "\"verification\"" : "\"correction\""), ok.attempts());
                }
                Revision r = revise(task, c, verification, bad ? correction : null);
                if (r instanceof Revision.Unjudged u) {
                    yield StepRunner.judgeFailure(id, task.source(), u.failure());
                }
                yield new StepRunner.Done(journalLine(r), tokens, Math.max(0, ok.attempts() - 1));
            }
        };
    }

    /** Pure: the revision of a teacher reply that has the fields it needs. */
    Revision revise(SelfCorrectTask task, Candidate c, String verification, String correction) {
        Optional<String> tell = Leaks.find(verification).or(() -> correction == null ? Optional.empty() : Leaks.find(correction));
        if (tell.isPresent()) {
            return new Revision.Dropped(Revision.Why.LEAKED, "the teacher's text says \"" + tell.get() + "\"");
        }
        if (correction != null) {
            Verdict v = judge.judge(task.task(), correction);
            if (!v.judged()) {
                return new Revision.Unjudged(v.judgeFailure());
            }
            if (!v.correct()) {
                return new Revision.Dropped(Revision.Why.STILL_WRONG, v.reason());
            }
        }
        var parts = new SelfCorrectionFormat.Parts(c.text(), phrases.pick(seed, c.key()), verification, correction);
        return new Revision.Kept(Examples.record(task, c, parts, maskGoodInitial, who),
                correction == null ? Transition.R_TO_R : Transition.W_TO_R);
    }

    static String journalLine(Revision r) {
        return switch (r) {
            case Revision.Kept k -> RecordJson.toJson(k.record());
            case Revision.Unjudged u -> throw new IllegalStateException("an unjudged revision is a failed row, not a result");
            case Revision.Dropped d -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("dropped", d.why().name().toLowerCase(java.util.Locale.ROOT));
                m.put("detail", d.detail());
                yield dev.granular.report.Json.toCompactString(m);
            }
        };
    }
}
