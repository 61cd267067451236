package dev.granular.selfcorrect.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import dev.granular.judge.Task;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads tasks (JSONL or .jsonl.gz, one question a line; files, directories of them, several inputs: see
 * {@link JsonlInput}) in any of the shapes public QA data comes in,
 * so users can point the command at a download without converting it first:
 * <ul>
 *   <li>granular's own: {@code {"id", "question" | "messages", "answer", "choices"?}} where
 *       {@code choices} is a list of strings (labelled A, B, ...), {@code {"label": [...], "text": [...]}}
 *       (Hugging Face datasets) or a map label → text;</li>
 *   <li>OpenBookQA: {@code {"id", "question_stem", "choices": {"text", "label"}, "answerKey"}};</li>
 *   <li>CommonsenseQA: {@code {"id", "question": {"stem", "choices": [{"label", "text"}]}, "answerKey"}};</li>
 *   <li>GSM8K: {@code {"question", "answer"}} where the answer is a worked solution ending in
 *       {@code "#### N"}: the gold answer is N and the solution is kept as {@link SelfCorrectTask#reference()}.</li>
 * </ul>
 * A row that fits none of them stops the run with its file and line (exit 2), before anything is sent.
 */
public final class TaskReader {

    private TaskReader() {
    }

    /** Tasks of {@code self-correct}: blank lines skipped, ids unique across all inputs. */
    static final JsonlInput.Format<SelfCorrectTask> FORMAT = JsonlInput.Format.of(TaskReader::parse, SelfCorrectTask::id);

    /**
     * All tasks of {@code inputs} (files, or directories of them; see {@link JsonlInput}), in order.
     *
     * @param limit keep only the first tasks (0 = all)
     * @throws BadInputException naming file and line for a malformed row or a repeated id (and the
     *                           line of its first occurrence)
     */
    public static List<SelfCorrectTask> read(List<Path> inputs, long limit) {
        List<SelfCorrectTask> out = JsonlInput.readAll(inputs, FORMAT, limit);
        if (out.isEmpty()) {
            throw new BadInputException("no tasks in " + JsonlInput.names(inputs));
        }
        return out;
    }

    /** One row; {@code ordinal} is its position among the tasks. */
    static SelfCorrectTask parse(String line, JsonlInput.Line at, long ordinal) {
        JsonNode row = JsonlInput.tree(line, at);
        if (row == null || !row.isObject()) {
            throw at.error("expected a JSON object");
        }
        return fromRow(row, ordinal, at.toString());
    }

    private static SelfCorrectTask fromRow(JsonNode row, long ordinal, String source) {
        refuseTools(row);
        String id = row.hasNonNull("id") && row.get("id").isValueNode() && !row.get("id").asText().isBlank()
                ? row.get("id").asText() : "row-" + (ordinal + 1);
        List<Message> conversation;
        String question;
        List<Task.Choice> choices = choices(row.get("choices"));
        JsonNode q = row.get("question");
        if (q != null && q.isObject()) {
            question = text(q, "stem", "question.stem");
            if (choices.isEmpty()) {
                choices = choices(q.get("choices"));
            }
            conversation = List.of(Message.user(question));
        } else if (q != null && q.isTextual()) {
            question = q.asText();
            conversation = List.of(Message.user(question));
        } else if (row.hasNonNull("question_stem")) {
            question = text(row, "question_stem", "question_stem");
            conversation = List.of(Message.user(question));
        } else if (row.get("messages") instanceof JsonNode ms && ms.isArray()) {
            conversation = messages(ms);
            question = conversation.getLast().content();
        } else {
            throw new IllegalArgumentException("no question: expected \"question\" (text or {\"stem\", \"choices\"}), "
                    + "\"question_stem\" or \"messages\"");
        }
        if (question.isBlank()) {
            throw new IllegalArgumentException("the question is empty");
        }
        JsonNode a = row.hasNonNull("answer") ? row.get("answer") : row.get("answerKey");
        if (a == null || !a.isValueNode() || a.asText().isBlank()) {
            throw new IllegalArgumentException("no answer: expected \"answer\" or \"answerKey\" (text or number)");
        }
        String answer = a.asText().strip();
        String reference = null;
        int hashes = answer.lastIndexOf("####");
        if (hashes >= 0) {
            reference = answer;
            answer = answer.substring(hashes + 4).strip();
            if (answer.isEmpty()) {
                throw new IllegalArgumentException("the answer has nothing after \"####\"");
            }
        }
        if (!choices.isEmpty() && choices.stream().noneMatch(c -> c.label().equalsIgnoreCase(a.asText().strip())
                || c.text().strip().equalsIgnoreCase(a.asText().strip()))) {
            throw new IllegalArgumentException("the answer \"" + answer + "\" is neither a choice label nor a choice's text");
        }
        return new SelfCorrectTask(ordinal, id, conversation, new Task(question, answer, choices), reference, source);
    }

    private static String text(JsonNode node, String field, String name) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("\"" + name + "\" must be a string");
        }
        return v.asText();
    }

    /** Any of the choice shapes; empty when absent. */
    static List<Task.Choice> choices(JsonNode c) {
        List<Task.Choice> out = new ArrayList<>();
        if (c == null || c.isNull()) {
            return out;
        }
        if (c.isArray()) {
            for (int i = 0; i < c.size(); i++) {
                JsonNode e = c.get(i);
                if (e.isTextual()) {
                    out.add(new Task.Choice(label(i), e.asText()));
                } else if (e.isObject() && e.path("label").isValueNode() && e.path("text").isValueNode()) {
                    out.add(new Task.Choice(e.get("label").asText(), e.get("text").asText()));
                } else {
                    throw new IllegalArgumentException("choices[" + i + "]: expected a string or {\"label\", \"text\"}");
                }
            }
        } else if (c.isObject() && c.path("label").isArray() && c.path("text").isArray()) {
            JsonNode labels = c.get("label");
            JsonNode texts = c.get("text");
            if (labels.size() != texts.size()) {
                throw new IllegalArgumentException("choices: " + labels.size() + " labels but " + texts.size() + " texts");
            }
            for (int i = 0; i < labels.size(); i++) {
                out.add(new Task.Choice(labels.get(i).asText(), texts.get(i).asText()));
            }
        } else if (c.isObject()) {
            for (Map.Entry<String, JsonNode> e : c.properties()) {
                if (!e.getValue().isValueNode()) {
                    throw new IllegalArgumentException("choices." + e.getKey() + ": expected a string");
                }
                out.add(new Task.Choice(e.getKey(), e.getValue().asText()));
            }
        } else {
            throw new IllegalArgumentException("choices: expected a list, {\"label\": [...], \"text\": [...]} or a map");
        }
        Set<String> seen = new HashSet<>();
        for (Task.Choice ch : out) {
            if (ch.label().isBlank() || !seen.add(ch.label().toUpperCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException("choices: labels must be non-empty and distinct, found \"" + ch.label() + "\"");
            }
        }
        return out;
    }

    private static String label(int i) {
        return i < 26 ? String.valueOf((char) ('A' + i)) : "A" + (i - 25);
    }

    /**
     * Self-correction trains a text answer, its verification and its correction: a task that offers tools
     * or carries tool calls or tool messages has no such answer, so it is refused before anything is sent
     * (rather than sent with its tool parts silently dropped).
     */
    private static void refuseTools(JsonNode row) {
        if (row.hasNonNull("tools")) {
            throw new IllegalArgumentException("\"tools\": self-correct does not take tool tasks (it trains text"
                    + " answers, their verification and correction); use generate or distill for tool conversations");
        }
        if (row.get("messages") instanceof JsonNode ms && ms.isArray()) {
            for (int i = 0; i < ms.size(); i++) {
                JsonNode m = ms.get(i);
                String what = "tool".equals(m.path("role").asText()) ? "is a tool message"
                        : m.hasNonNull("tool_calls") ? "has tool_calls"
                        : m.hasNonNull("tool_call_id") ? "has tool_call_id" : null;
                if (what != null) {
                    throw new IllegalArgumentException("messages[" + i + "] " + what + ": self-correct does not take tool"
                            + " tasks (it trains text answers, their verification and correction); use generate or"
                            + " distill for tool conversations");
                }
            }
        }
    }

    private static List<Message> messages(JsonNode ms) {
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException("messages[" + i + "]: expected {\"role\", \"content\"} strings");
            }
            Role role = Role.fromWire(m.get("role").asText());
            if (role == Role.ASSISTANT && i == ms.size() - 1) {
                throw new IllegalArgumentException("messages: the last message must be the user's question");
            }
            out.add(Message.of(role, m.get("content").asText(), false));
        }
        if (out.isEmpty() || out.getLast().role() != Role.USER) {
            throw new IllegalArgumentException("messages: must end with a user message");
        }
        return out;
    }
}
