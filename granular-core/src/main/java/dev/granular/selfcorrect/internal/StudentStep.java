package dev.granular.selfcorrect.internal;

import dev.granular.judge.Judge;
import dev.granular.judge.Verdict;
import dev.granular.teacher.internal.ChatMessage;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import java.util.List;

/**
 * Step 1 and 2 for one (task, sample): the student's answer, then its verdict. Sample k is sent
 * with {@code sampleIndex = k}, so the K samples of a question are K distinct cache entries.
 */
public final class StudentStep {
    /** One row of the step: a task and which of its samples. */
    record Item(SelfCorrectTask task, int sample, long index) {
    }

    private final LlmClient student;
    private final Judge judge;
    private final GenerationParams params;

    StudentStep(LlmClient student, Judge judge, GenerationParams params) {
        this.student = student;
        this.judge = judge;
        this.params = params;
    }

    /** The student's request for {@code item}: the one place it is built (run and dry run). */
    static ChatRequest request(Item item, GenerationParams params) {
        String id = item.task().id() + "#" + item.sample();
        List<ChatMessage> chat = Prompts.toChat(Prompts.studentConversation(item.task()));
        return new ChatRequest(id, chat, params, item.sample(), null, null);
    }

    StepRunner.RowResult run(Item item) throws InterruptedException {
        ChatRequest req = request(item, params);
        String id = req.rowId();
        Outcome o = student.complete(req);
        return switch (o) {
            case Outcome.Failed f -> StepRunner.failure(id, item.task().source(), f);
            case Outcome.Ok ok when ok.completion().toolCalls() != null ->
                    // A reply that calls a tool has no answer to judge or revise: the row fails, reported like any.
                    StepRunner.failure(id, item.task().source(), "tool_call", 0, "the student's reply calls a tool ("
                            + ok.completion().toolCalls().getFirst().name() + "); self-correct needs a text answer",
                            ok.attempts());
            case Outcome.Ok ok -> {
                String text = ok.completion().text();
                Verdict v = judge.judge(item.task().task(), text);
                if (!v.judged()) {
                    // Not the student's unparseable answer: the row fails and a rerun asks the judge again.
                    yield StepRunner.judgeFailure(id, item.task().source(), v.judgeFailure());
                }
                yield new StepRunner.Done(StudentAnswer.of(text, v).toJson(),
                        ok.completion().usage().promptTokens() + ok.completion().usage().completionTokens(),
                        Math.max(0, ok.attempts() - 1));
            }
        };
    }
}
