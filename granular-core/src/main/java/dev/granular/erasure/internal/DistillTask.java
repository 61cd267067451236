package dev.granular.erasure.internal;

import dev.granular.judge.Task;
import dev.granular.record.Message;
import java.util.List;
import java.util.Objects;

/**
 * One task to distill: the conversation the teacher answers (without any system message: the
 * strategy supplies that), and what a judge needs when a gold answer is known.
 *
 * @param ordinal  position among the input rows (0-based): the journal index
 * @param id       the task id
 * @param category the category strategies are chosen per ("default" when the row has none)
 * @param prompt   user (and earlier assistant and tool) messages, none trained
 * @param answer   the gold answer, or null
 * @param choices  labelled choices, empty when not multiple choice
 * @param source   {@code file:line}
 * @param tools    the tool definitions offered to the teacher (the row's {@code tools}), or null
 */
public record DistillTask(long ordinal, String id, String category, List<Message> prompt, String answer,
                          List<Task.Choice> choices, String source, List<Object> tools) {
    /** A task that offers no tools. */
    public DistillTask(long ordinal, String id, String category, List<Message> prompt, String answer,
                       List<Task.Choice> choices, String source) {
        this(ordinal, id, category, prompt, answer, choices, source, null);
    }

    public DistillTask {
        tools = tools == null || tools.isEmpty() ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(tools));
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(category, "category");
        prompt = List.copyOf(prompt);
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (prompt.isEmpty()) {
            throw new IllegalArgumentException("task " + id + " has no prompt");
        }
    }

    public boolean answered() {
        return answer != null && !answer.isBlank();
    }

    /** The question as a judge sees it: the last user message. */
    public String question() {
        for (int i = prompt.size() - 1; i >= 0; i--) {
            if (prompt.get(i).role() == dev.granular.record.Role.USER) {
                return prompt.get(i).content();
            }
        }
        return prompt.get(prompt.size() - 1).content();
    }

    /** The judge's view, or null when there is no gold answer. */
    public Task judgeTask() {
        return answered() ? new Task(question(), answer, choices) : null;
    }
}
