package dev.granular.teacher.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Input rows of {@code granular generate}, read through {@link JsonlInput} (files, output
 * directories, several inputs; ids unique across all), one of:
 * <ul>
 *   <li>a canonical granular record;</li>
 *   <li>{@code {"prompt": "..."}}: one user message;</li>
 *   <li>{@code {"messages": [{"role", "content"}, ...], "tools"?: [...]}}.</li>
 * </ul>
 * Conversations may use tools, in the record format's shapes: assistant messages with
 * {@code tool_calls} (each with an {@code id}), {@code tool} messages with {@code tool_call_id}
 * (and {@code name}), and the row's {@code tools} definitions; they are sent to the teacher as
 * its wire expects ({@link OpenAiWire}, {@link AnthropicWire}), and the output record keeps the tools.
 * One rule for both conversation shapes: the messages are the conversation so far, and trailing
 * assistant messages are the old answer to regenerate, so they are dropped; the reply takes their
 * place. Each row may carry an {@code id}; without one a stable id is derived from the content,
 * so reruns and resumes find the same rows.
 */
public final class GenerateInput {
    /** Rows of {@code generate}: blank lines skipped, ids unique. */
    public static final JsonlInput.Format<Row> FORMAT = JsonlInput.Format.of(GenerateInput::parse, Row::id);

    /**
     * One row.
     *
     * @param ordinal  its position among the rows (0-based)
     * @param id       its id
     * @param messages the conversation to continue, with their train flags
     * @param meta     the input record's meta (canonical rows), else empty
     * @param source   {@code file:line}
     * @param tools    the tool definitions offered to the teacher (the row's {@code tools}), or null
     */
    public record Row(long ordinal, String id, List<Message> messages, Map<String, Object> meta, String source,
                      List<Object> tools) {
        public Row(long ordinal, String id, List<Message> messages, Map<String, Object> meta, String source) {
            this(ordinal, id, messages, meta, source, null);
        }

        /** The messages as sent: role, text and tool fields. */
        public List<ChatMessage> chat() {
            return messages.stream().map(ChatMessage::of).toList();
        }
    }

    private GenerateInput() {
    }

    /**
     * Reads and checks every row (the first {@code limit}; 0 = all) before anything is sent: a
     * bad row or a repeated id anywhere stops the run here.
     *
     * @return the number of rows
     */
    public static long check(List<Path> inputs, long limit) {
        return JsonlInput.check(inputs, FORMAT, limit);
    }

    /** Reads rows in order, stopping after {@code limit} rows (0 = all). */
    public static void forEach(List<Path> inputs, long limit, Consumer<Row> consumer) {
        try (Stream<Row> rows = JsonlInput.stream(inputs, FORMAT, limit)) {
            rows.forEach(consumer);
        }
    }

    /** {@code msgs}, checked to go over every wire (see {@link ToolConversation#checkSendable}). */
    private static List<Message> sendable(List<Message> msgs, List<Object> tools, JsonlInput.Line at) {
        try {
            ToolConversation.checkSendable(msgs, tools);
        } catch (IllegalArgumentException e) {
            throw at.error(e.getMessage());
        }
        return msgs;
    }

    static Row parse(String line, JsonlInput.Line at, long ordinal) {
        JsonNode node = JsonlInput.tree(line, at);
        if (node == null || !node.isObject()) {
            throw at.error("expected a JSON object with \"prompt\" or \"messages\"");
        }
        String source = Path.of(at.file()).getFileName() + ":" + at.number();
        if (node.has("meta") && node.has("messages") && node.has("id")) {
            TrainingRecord rec = RecordJson.parse(line, at.file(), at.number());
            return new Row(ordinal, rec.id(), sendable(withoutAnswer(rec.messages(), at), rec.tools(), at), rec.meta(), source,
                    rec.tools());
        }
        List<Message> msgs = new ArrayList<>();
        List<Object> tools = null;
        if (node.has("prompt")) {
            if (!node.get("prompt").isTextual()) {
                throw at.error("\"prompt\" must be a string");
            }
            msgs.add(Message.user(node.get("prompt").asText()));
            try {
                tools = ToolConversation.tools(node);
            } catch (IllegalArgumentException e) {
                throw at.error(e.getMessage());
            }
        } else if (node.has("messages") && node.get("messages").isArray() && !node.get("messages").isEmpty()) {
            JsonNode arr = node.get("messages");
            for (int i = 0; i < arr.size(); i++) {
                try {
                    msgs.add(ToolConversation.message(arr.get(i), "messages[" + i + "]"));
                } catch (IllegalArgumentException e) {
                    throw at.error(e.getMessage());
                }
            }
            try {
                tools = ToolConversation.tools(node);
            } catch (IllegalArgumentException e) {
                throw at.error(e.getMessage());
            }
            msgs = sendable(withoutAnswer(msgs, at), tools, at);
        } else {
            throw at.error("a row needs \"prompt\" (a string) or \"messages\" (a non-empty list)");
        }
        String id = node.path("id").isTextual() || node.path("id").isNumber() ? node.get("id").asText() : derivedId(msgs);
        return new Row(ordinal, id, msgs, Map.of(), source, tools);
    }

    /** The conversation without its trailing assistant messages: the answer the reply replaces. */
    private static List<Message> withoutAnswer(List<Message> messages, JsonlInput.Line at) {
        List<Message> msgs = new ArrayList<>(messages);
        while (!msgs.isEmpty() && msgs.getLast().role() == Role.ASSISTANT) {
            msgs.removeLast();
        }
        if (msgs.isEmpty()) {
            throw at.error("the row has no message before its answer (only assistant messages)");
        }
        return msgs;
    }

    /** {@code row-} and 16 hex digits of the sha256 of the messages. */
    static String derivedId(List<Message> msgs) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Message m : msgs) {
                d.update(m.role().wireName().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(m.content().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                if (m.hasToolCalls() || m.toolCallId() != null) {
                    // Only tool messages add to the hash, so every other row keeps the id it always had.
                    d.update(OpenAiWire.toolCallsJson(m.hasToolCalls() ? m.toolCalls() : List.of(), false).toString()
                            .getBytes(StandardCharsets.UTF_8));
                    d.update(String.valueOf(m.toolCallId()).getBytes(StandardCharsets.UTF_8));
                    d.update((byte) 0);
                }
            }
            return "row-" + HexFormat.of().formatHex(d.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Input meta with the keys that the output's own meta sets removed. */
    static Map<String, Object> inputMeta(Row row) {
        Map<String, Object> m = new LinkedHashMap<>(row.meta());
        m.remove("design");
        m.remove("generation");
        return m;
    }
}
