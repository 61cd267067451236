package dev.granular.selfcorrect.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.judge.Task;
import dev.granular.record.Message;
import dev.granular.teacher.internal.ChatMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompts sent to the student and to the teacher, in one place so that a change to any of
 * them is visible in review (and, since the text is part of each request, misses the cache).
 */
public final class Prompts {
    /** Schema of the teacher's reply for a correct initial answer. */
    static final JsonNode CONFIRM_SCHEMA = schema("""
            {"type": "object", "properties": {"verification": {"type": "string", "minLength": 1}},
             "required": ["verification"]}""");
    /** Schema of the teacher's reply for a wrong initial answer. */
    static final JsonNode CORRECT_SCHEMA = schema("""
            {"type": "object", "properties": {"verification": {"type": "string", "minLength": 1},
             "correction": {"type": "string", "minLength": 1}}, "required": ["verification", "correction"]}""");

    private static final String CONFIRM = """
            We are making training examples in which a model re-reads its own answer and checks it.
            Below are a question and an attempt that reaches the right result.

            Write "verification": one to three sentences in the first person, as the author of the attempt
            taking a second look: re-check the step that matters most and state plainly that the answer holds.
            Do not repeat the whole solution. Do not mention any answer key, reference or outside help.

            Reply with a JSON object only: {"verification": "..."}

            Question:
            %s

            Attempt:
            %s
            """;

    private static final String CORRECT = """
            We are making training examples in which a model re-reads its own answer, notices that it is
            wrong, and fixes it. Below are a question, an attempt that reaches a wrong result, and the right
            final answer, which you know but the author of the attempt does not.

            Write, in the first person, as the author of the attempt taking a second look:
            1. "verification": two to four sentences that say plainly the attempt is wrong and point to the
               exact step or assumption where it went astray.
            2. "correction": a new, complete solution with its reasoning that reaches the right answer and
               ends with a last line of the form "%s", %s.
            The review must read as the author's own checking: never say or hint that a right answer, an
            answer key, a reference or any outside help was provided.

            Reply with a JSON object only: {"verification": "...", "correction": "..."}

            Question:
            %s

            Attempt:
            %s

            Right final answer (for you only): %s
            """;

    private Prompts() {
    }

    /** The question as the student sees it: the labelled choices, then how to lay out the reply. */
    public static String question(Task task) {
        StringBuilder b = new StringBuilder(task.question().strip());
        if (task.multipleChoice()) {
            b.append("\n");
            for (Task.Choice c : task.choices()) {
                b.append("\n(").append(c.label()).append(") ").append(c.text().strip());
            }
        }
        return b.toString();
    }

    /** What the student is told about the reply's layout. */
    public static String instruction(AnswerStyle style) {
        return "Reason through it step by step, then end with a last line of the form \"" + style.line() + "\", "
                + style.gloss() + ".";
    }

    /**
     * The conversation sent to the student, which is also the prompt side of every record made from
     * its answers: the task's messages with the choices and the layout instruction added to the last
     * user turn (the trained model then sees exactly what the student saw).
     */
    public static List<Message> studentConversation(SelfCorrectTask t) {
        List<Message> out = new ArrayList<>(t.conversation().subList(0, t.conversation().size() - 1));
        String last = t.conversation().size() == 1 ? question(t.task()) : withChoices(t);
        out.add(Message.user(last + "\n\n" + instruction(AnswerStyle.of(t.task()))));
        return out;
    }

    private static String withChoices(SelfCorrectTask t) {
        Task copy = new Task(t.conversation().getLast().content(), t.task().answer(), t.task().choices());
        return question(copy);
    }

    /** {@link #studentConversation} as request messages. */
    static List<ChatMessage> toChat(List<Message> conversation) {
        return conversation.stream().map(m -> switch (m.role()) {
            case SYSTEM -> ChatMessage.system(m.content());
            case USER -> ChatMessage.user(m.content());
            case ASSISTANT -> ChatMessage.assistant(m.content());
            // The teacher request carries text turns only; a tool turn cannot be sent as one.
            case TOOL -> throw new IllegalArgumentException("a tool message cannot be part of a self-correction conversation");
        }).toList();
    }

    /** The teacher's request for a confirmation of a correct attempt. */
    static List<ChatMessage> confirm(Task task, String attempt) {
        return List.of(ChatMessage.user(CONFIRM.formatted(question(task), attempt)));
    }

    /** The teacher's request for a verification and a correction of a wrong attempt. */
    static List<ChatMessage> correct(Task task, String attempt) {
        AnswerStyle style = AnswerStyle.of(task);
        return List.of(ChatMessage.user(CORRECT.formatted(style.line(), style.gloss(), question(task), attempt, gold(task))));
    }

    /** The gold answer as the teacher is shown it: for a choice, its label and its text. */
    static String gold(Task task) {
        for (Task.Choice c : task.choices()) {
            if (c.label().equalsIgnoreCase(task.answer()) || c.text().strip().equalsIgnoreCase(task.answer())) {
                return "(" + c.label() + ") " + c.text().strip();
            }
        }
        return task.answer();
    }

    private static JsonNode schema(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
