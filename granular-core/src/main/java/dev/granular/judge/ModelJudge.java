package dev.granular.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.internal.ChatMessage;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.StructuredOutput;
import java.util.List;

/**
 * An LLM decides whether the reply's final answer means the same as the gold answer
 * (through the teacher layer: cached, resumable, cost-tracked). It replies in JSON
 * {@code {"correct": true|false, "extracted": "..."}}. A failed judge call, or a reply without a
 * verdict, is {@link Verdict.Outcome#JUDGE_FAILED}: the judge's failure, never the reply's.
 */
public final class ModelJudge implements Judge {
    static final String PROMPT = """
            Decide whether a reply to a question reaches the same final answer as the reference answer.
            Ignore wording, formatting and the reasoning; only the final answer matters. If the reply gives no
            final answer, or several conflicting ones, it is not correct.
            Reply with a JSON object only: {"correct": true or false, "extracted": "the reply's final answer"}

            Question:
            %s

            Reference answer:
            %s

            Reply:
            %s
            """;
    private static final JsonNode SCHEMA;

    static {
        try {
            SCHEMA = new ObjectMapper().readTree("""
                    {"type": "object", "properties": {"correct": {"type": "boolean"}, "extracted": {"type": "string"}},
                     "required": ["correct"]}""");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LlmClient client;

    public ModelJudge(LlmClient client) {
        this.client = client;
    }

    /** The request judging {@code reply} to {@code task}: the one place it is built (run and dry run). */
    public static ChatRequest request(Task task, String reply) {
        String choices = task.choices().isEmpty() ? "" : "\n" + String.join("\n",
                task.choices().stream().map(c -> "(" + c.label() + ") " + c.text()).toList());
        return new ChatRequest("judge", List.of(ChatMessage.user(PROMPT.formatted(task.question() + choices,
                task.answer(), reply))), GenerationParams.DEFAULT.withTemperature(0.0), 0, SCHEMA, null);
    }

    @Override
    public Verdict judge(Task task, String reply) {
        ChatRequest req = request(task, reply);
        Outcome o;
        try {
            o = client.complete(req);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while judging", e);
        }
        return switch (o) {
            case Outcome.Failed f -> Verdict.judgeFailed(new Outcome.Failed(f.kind(), "judge model failed: " + f.message(),
                    f.status(), f.attempts()));
            case Outcome.Ok ok -> {
                JsonNode j = StructuredOutput.extract(ok.completion().text()).orElse(null);
                if (j == null || !j.path("correct").isBoolean()) {
                    // The judge's failure, not the reply's: an unparseable verdict would count the reply as wrong.
                    yield Verdict.judgeFailed(new Outcome.Failed(Outcome.FailureKind.INVALID_OUTPUT,
                            "judge model gave no verdict", 0, ok.attempts()));
                }
                String extracted = j.path("extracted").asText(null);
                yield j.get("correct").asBoolean() ? Verdict.correct(extracted) : Verdict.wrong(extracted, task.answer());
            }
        };
    }

    @Override
    public String spec() {
        return "model:" + client.spec();
    }
}
