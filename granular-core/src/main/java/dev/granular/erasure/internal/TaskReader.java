package dev.granular.erasure.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import dev.granular.judge.Task;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.teacher.internal.ToolConversation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads the tasks of {@code granular distill} through {@link JsonlInput}: JSONL or .jsonl.gz files,
 * directories of them, several inputs. Three row shapes:
 * <ul>
 *   <li>native: {@code {"id", "category"?, "question" | "messages", "answer"?, "choices"?, "tools"?}},
 *       where choices is a list (labelled A, B, ...) or an object label → text, and is shown
 *       to the teacher under the question; messages may use tools as the record format does
 *       (assistant {@code tool_calls} with ids, {@code tool} messages with {@code tool_call_id}), and
 *       {@code tools} lists the definitions offered to the teacher (see {@link ToolConversation});</li>
 *   <li>OpenOrca: {@code {"id", "system_prompt", "question", "response"}}; the category is the
 *       id's prefix before the first dot ({@code flan.123} → {@code flan}); the old system prompt
 *       and response are dropped, since the teacher answers afresh;</li>
 *   <li>ShareGPT: {@code {"conversations": [{"from", "value"}]}}; a trailing {@code gpt} turn
 *       is the old answer and is dropped, {@code system} turns are dropped.</li>
 * </ul>
 * A malformed row stops the read with a {@link BadInputException} naming file and line, so a
 * user fixes the data before paying for any call. Ids must be unique (they become record ids).
 */
public final class TaskReader {
    private static final String LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private TaskReader() {
    }

    /** Tasks of {@code distill}: blank lines skipped, ids unique across all inputs. */
    static final JsonlInput.Format<DistillTask> FORMAT = JsonlInput.Format.of(TaskReader::parse, DistillTask::id);

    /**
     * All tasks of {@code inputs} (files, or directories of them; see {@link JsonlInput}), the
     * first {@code limit} only when {@code limit > 0}.
     */
    public static List<DistillTask> read(List<Path> inputs, long limit) {
        return JsonlInput.readAll(inputs, FORMAT, limit);
    }

    static DistillTask parse(String line, JsonlInput.Line at, long ordinal) {
        Path file = Path.of(at.file());
        long lineNo = at.number();
        JsonNode n = JsonlInput.tree(line, at);
        if (n == null || !n.isObject()) {
            throw new BadInputException(file, lineNo, "expected a JSON object");
        }
        String source = file.getFileName() + ":" + lineNo;
        String id = n.path("id").isTextual() || n.path("id").isNumber() ? n.get("id").asText() : "task-" + ordinal;
        if (n.has("conversations")) {
            return shareGpt(n, file, lineNo, ordinal, id, source);
        }
        String category = text(n, "category", file, lineNo);
        if (n.has("system_prompt") && n.has("response") && category == null) {
            int dot = id.indexOf('.');
            category = dot > 0 ? id.substring(0, dot) : null;
        }
        category = category == null || category.isBlank() ? "default" : category.strip();
        String answer = answer(n, file, lineNo);
        List<Task.Choice> choices = choices(n.get("choices"), file, lineNo);
        List<Message> prompt = new ArrayList<>();
        List<Object> tools = null;
        if (n.has("question")) {
            String q = text(n, "question", file, lineNo);
            if (q == null || q.isBlank()) {
                throw new BadInputException(file, lineNo, "\"question\" must be a non-empty string");
            }
            prompt.add(Message.user(withChoices(q, choices)));
        } else if (n.path("messages").isArray() && !n.get("messages").isEmpty()) {
            JsonNode arr = n.get("messages");
            for (int i = 0; i < arr.size(); i++) {
                Message m;
                try {
                    m = ToolConversation.message(arr.get(i), "messages[" + i + "]");
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(file, lineNo, e.getMessage());
                }
                if (m.role() != Role.SYSTEM) {
                    prompt.add(m);
                }
            }

            while (!prompt.isEmpty() && prompt.get(prompt.size() - 1).role() == Role.ASSISTANT) {
                prompt.remove(prompt.size() - 1);
            }
            if (!choices.isEmpty() && !prompt.isEmpty()) {
                Message last = prompt.remove(prompt.size() - 1);
                prompt.add(new Message(last.role(), withChoices(last.content(), choices), false, null, null, null,
                        last.toolCallId(), last.name(), null, false));
            }
        } else {
            throw new BadInputException(file, lineNo, "a task needs \"question\" (a string), \"messages\" (a non-empty list) "
                    + "or \"conversations\" (ShareGPT)");
        }
        if (prompt.isEmpty()) {
            throw new BadInputException(file, lineNo, "the task has no user message");
        }
        try {
            tools = ToolConversation.tools(n);
            ToolConversation.checkSendable(prompt, tools);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, lineNo, e.getMessage());
        }
        return new DistillTask(ordinal, id, category, prompt, answer, choices, source, tools);
    }

    private static DistillTask shareGpt(JsonNode n, Path file, long lineNo, long ordinal, String id, String source) {
        JsonNode conv = n.get("conversations");
        if (!conv.isArray() || conv.isEmpty()) {
            throw new BadInputException(file, lineNo, "\"conversations\" must be a non-empty list");
        }
        List<Message> prompt = new ArrayList<>();
        for (int i = 0; i < conv.size(); i++) {
            JsonNode t = conv.get(i);
            if (!t.path("from").isTextual() || !t.path("value").isTextual()) {
                throw new BadInputException(file, lineNo, "conversations[" + i + "] needs string \"from\" and \"value\"");
            }
            Role role = shareGptRole(t.get("from").asText(), file, lineNo, i);
            if (role != Role.SYSTEM) {
                prompt.add(Message.of(role, t.get("value").asText(), false));
            }
        }
        while (!prompt.isEmpty() && prompt.get(prompt.size() - 1).role() == Role.ASSISTANT) {
            prompt.remove(prompt.size() - 1);
        }
        if (prompt.isEmpty()) {
            throw new BadInputException(file, lineNo, "the conversation has no human turn");
        }
        String category = text(n, "category", file, lineNo);
        return new DistillTask(ordinal, id, category == null || category.isBlank() ? "default" : category.strip(), prompt,
                answer(n, file, lineNo), choices(n.get("choices"), file, lineNo), source);
    }

    /** ShareGPT speaker names: system, human/user, gpt/assistant. */
    static Role shareGptRole(String from, Path file, long lineNo, int i) {
        return switch (from) {
            case "system" -> Role.SYSTEM;
            case "human", "user" -> Role.USER;
            case "gpt", "assistant" -> Role.ASSISTANT;
            default -> throw new BadInputException(file, lineNo, "conversations[" + i + "].from '" + from
                    + "' is not system, human or gpt");
        };
    }

    static Role role(String name, Path file, long lineNo, String where) {
        try {
            return Role.fromWire(name);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, lineNo, where + " '" + name + "' is not system, user or assistant");
        }
    }

    private static String text(JsonNode n, String field, Path file, long lineNo) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new BadInputException(file, lineNo, "\"" + field + "\" must be a string");
        }
        return v.asText();
    }

    /** A string or a number; null when absent. */
    private static String answer(JsonNode n, Path file, long lineNo) {
        JsonNode v = n.get("answer");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() && !v.isNumber()) {
            throw new BadInputException(file, lineNo, "\"answer\" must be a string or a number");
        }
        return v.asText();
    }

    private static List<Task.Choice> choices(JsonNode v, Path file, long lineNo) {
        List<Task.Choice> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            if (v.size() > LABELS.length()) {
                throw new BadInputException(file, lineNo, "\"choices\" has more than " + LABELS.length() + " entries");
            }
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    throw new BadInputException(file, lineNo, "choices[" + i + "] must be a string");
                }
                out.add(new Task.Choice(String.valueOf(LABELS.charAt(i)), v.get(i).asText()));
            }
            return out;
        }
        if (v.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new BadInputException(file, lineNo, "choices." + e.getKey() + " must be a string");
                }
                out.add(new Task.Choice(e.getKey(), e.getValue().asText()));
            }
            return out;
        }
        throw new BadInputException(file, lineNo, "\"choices\" must be a list of strings or an object label → text");
    }

    /** The question followed by one {@code (A) text} line per choice. */
    static String withChoices(String question, List<Task.Choice> choices) {
        if (choices.isEmpty()) {
            return question;
        }
        StringBuilder b = new StringBuilder(question.stripTrailing()).append("\n");
        for (Task.Choice c : choices) {
            b.append("\n(").append(c.label()).append(") ").append(c.text());
        }
        return b.toString();
    }
}
