package dev.granular.record.internal;

import dev.granular.record.ToolCall;

import dev.granular.record.Message;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI-shaped fields of a message that rows carry as they are: content (a string, null, or
 * text parts), tool_calls, tool_call_id and name. One place, so that every row format and the
 * chat template see them the same way the record has them.
 */
public final class ChatShape {
    private static final JsonMapper MAPPER = new JsonMapper();

    private ChatShape() {
    }

    /** {@code o} with role and content, then the tool fields that {@code m} has. */
    public static Map<String, Object> chat(Message m, boolean argumentsAsString) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("role", m.role().wireName());
        o.put("content", content(m));
        if (m.toolCalls() != null) {
            o.put("tool_calls", toolCalls(m.toolCalls(), argumentsAsString));
        }
        if (m.toolCallId() != null) {
            o.put("tool_call_id", m.toolCallId());
        }
        if (m.name() != null) {
            o.put("name", m.name());
        }
        return o;
    }

    /** The content as the record gave it: null, a list of text parts, or the string. */
    public static Object content(Message m) {
        if (m.contentNull()) {
            return null;
        }
        if (m.contentParts() != null) {
            List<Map<String, Object>> parts = new ArrayList<>();
            for (String text : m.contentParts()) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("type", "text");
                p.put("text", text);
                parts.add(p);
            }
            return parts;
        }
        return m.content();
    }

    /**
     * OpenAI-shaped tool calls. With {@code argumentsAsString}, object arguments are serialised
     * to compact JSON text, the only form OpenAI's API accepts; string arguments stay as they are.
     */
    public static List<Map<String, Object>> toolCalls(List<ToolCall> calls, boolean argumentsAsString) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolCall c : calls) {
            Map<String, Object> call = new LinkedHashMap<>();
            if (c.id() != null) {
                call.put("id", c.id());
            }
            if (c.type() != null) {
                call.put("type", c.type());
            }
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", c.name());
            function.put("arguments", argumentsAsString && c.argumentsAsObject() ? json(c.arguments()) : c.arguments());
            call.put("function", function);
            out.add(call);
        }
        return out;
    }

    public static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // plain JSON values always serialise
        }
    }
}
