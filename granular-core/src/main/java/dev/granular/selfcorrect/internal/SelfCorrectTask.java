package dev.granular.selfcorrect.internal;

import dev.granular.judge.Task;
import dev.granular.record.Message;
import dev.granular.record.Role;
import java.util.List;
import java.util.Objects;

/**
 * One question with its ground truth, as read from the tasks file.
 *
 * @param ordinal      0-based position among the tasks read (the journals' row numbers derive from it)
 * @param id           unique id from the row, or {@code row-N} (1-based line order) when it has none
 * @param conversation the question as messages: a single user message, or the row's {@code messages}
 *                     (system and user turns, ending with a user turn)
 * @param task         question text, gold answer and choices, for the judges
 * @param reference    a worked reference solution when the data has one (GSM8K), else null; kept for meta only
 * @param source       {@code file:line}, for error messages and meta
 */
public record SelfCorrectTask(long ordinal, String id, List<Message> conversation, Task task, String reference, String source) {
    public SelfCorrectTask {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(task, "task");
        conversation = List.copyOf(conversation);
        if (conversation.isEmpty() || conversation.getLast().role() != Role.USER) {
            throw new IllegalArgumentException("conversation: must end with a user message");
        }
    }
}
