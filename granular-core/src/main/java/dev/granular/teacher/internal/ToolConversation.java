package dev.granular.teacher.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.ToolCall;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reading the tool parts of an input row that a teacher will continue ({@code generate}, {@code distill}):
 * messages with {@code tool_calls}, {@code tool} messages with {@code tool_call_id}/{@code name}, and a
 * row's {@code tools} list, all in the record format's (OpenAI's) shapes; and the checks that let such a
 * conversation go over every wire. Errors are {@link IllegalArgumentException}s starting with the field's
 * path, which the readers report at the row's {@code file:line}, before anything is sent.
 */
public final class ToolConversation {
    private ToolConversation() {
    }

    /**
     * One message of a {@code "messages"} list: {@code role}, {@code content} (a string, or null beside
     * {@code tool_calls}), and optionally {@code tool_calls}, {@code tool_call_id}, {@code name}; other
     * fields are ignored, as they always were in these rows. Not trained.
     */
    public static Message message(JsonNode m, String path) {
        JsonNode content = m.path("content");
        boolean contentNull = content.isNull() && m.has("tool_calls");
        if (!m.path("role").isTextual() || !(content.isTextual() || contentNull)) {
            throw new IllegalArgumentException(path + " needs string \"role\" and \"content\"");
        }
        Role role;
        try {
            role = Role.fromWire(m.get("role").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ".role '" + m.get("role").asText()
                    + "' is not system, user, assistant or tool");
        }
        List<ToolCall> calls = null;
        JsonNode callsNode = m.get("tool_calls");
        if (callsNode != null && !callsNode.isNull()) {
            if (!callsNode.isArray()) {
                throw new IllegalArgumentException(path + ".tool_calls must be an array");
            }
            calls = new ArrayList<>();
            for (int j = 0; j < callsNode.size(); j++) {
                calls.add(RecordJson.toolCall(callsNode.get(j), path + ".tool_calls[" + j + "]"));
            }
        }
        String callId = optionalText(m, "tool_call_id", path);
        String name = optionalText(m, "name", path);
        if (role != Role.TOOL) {
            name = null; // a speaker's name on a user message (OpenAI's "name") is not sent, as before
        }
        try {
            return new Message(role, contentNull ? "" : content.asText(), false, null, null, calls, callId, name, null,
                    contentNull);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + "." + e.getMessage());
        }
    }

    /**
     * A row's {@code tools}: absent or null is none; else a list of OpenAI-shaped definitions,
     * {@code {"type": "function", "function": {"name", "description"?, "parameters"?}}}.
     */
    public static List<Object> tools(JsonNode row) {
        JsonNode t = row.get("tools");
        if (t == null || t.isNull()) {
            return null;
        }
        if (!t.isArray()) {
            throw new IllegalArgumentException("tools must be an array of {\"type\": \"function\", \"function\": {...}}");
        }
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(RecordJson.plain(t.get(i)));
        }
        checkTools(out);
        return out;
    }

    /** Each definition has {@code function.name}: the one field both wires need. */
    static void checkTools(List<Object> tools) {
        if (tools == null) {
            return;
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode d = OpenAiWire.JSON.valueToTree(tools.get(i));
            if (!d.path("function").path("name").isTextual() || d.path("function").path("name").asText().isEmpty()) {
                throw new IllegalArgumentException("tools[" + i + "] must be {\"type\": \"function\", \"function\": "
                        + "{\"name\", \"description\", \"parameters\"}} (function.name missing)");
            }
            JsonNode params = d.path("function").path("parameters");
            if (!params.isMissingNode() && !params.isNull() && !params.isObject()) {
                throw new IllegalArgumentException("tools[" + i + "].function.parameters must be a JSON Schema object");
            }
        }
    }

    /**
     * Refuses what some wire cannot carry: a tool call without an id, or with string arguments that
     * are not a JSON object (Anthropic's {@code tool_use} input is an object); a tool message without a
     * {@code tool_call_id}, or answering no earlier call. Both providers link results to calls by id.
     *
     * @param tools the row's tool definitions, or null
     */
    public static void checkSendable(List<Message> msgs, List<Object> tools) {
        checkTools(tools);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            String at = "messages[" + i + "]";
            if (m.hasToolCalls()) {
                for (int j = 0; j < m.toolCalls().size(); j++) {
                    ToolCall c = m.toolCalls().get(j);
                    String cat = at + ".tool_calls[" + j + "]";
                    if (c.id() == null || c.id().isEmpty()) {
                        throw new IllegalArgumentException(cat + ".id is missing: a tool call sent to a teacher needs an id"
                                + " (its tool message answers it by tool_call_id)");
                    }
                    if (c.arguments() instanceof String text && !isJsonObject(text)) {
                        throw new IllegalArgumentException(cat + ".function.arguments is a string that is not a JSON object");
                    }
                    ids.add(c.id());
                }
            }
            if (m.role() == Role.TOOL) {
                if (m.toolCallId() == null) {
                    throw new IllegalArgumentException(at + ".tool_call_id is missing: a tool message sent to a teacher"
                            + " must name the call it answers");
                }
                if (!ids.contains(m.toolCallId())) {
                    throw new IllegalArgumentException(at + ".tool_call_id '" + m.toolCallId()
                            + "' answers no earlier tool call");
                }
            }
        }
    }

    /** Whether {@code msgs} or {@code tools} make this a tool conversation. */
    public static boolean isToolConversation(List<Message> msgs, List<Object> tools) {
        return (tools != null && !tools.isEmpty())
                || msgs.stream().anyMatch(m -> m.role() == Role.TOOL || m.hasToolCalls());
    }

    private static boolean isJsonObject(String text) {
        try {
            JsonNode n = OpenAiWire.JSON.readTree(text);
            return n != null && n.isObject();
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private static String optionalText(JsonNode m, String field, String path) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(path + "." + field + " must be a string");
        }
        return v.asText();
    }
}
