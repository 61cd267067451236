package dev.granular.template;

import dev.granular.record.Message;

import dev.granular.record.internal.ChatShape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One message as a chat template sees it: {@code message.role}, {@code message.content} and, when
 * non-null, {@code message.reasoning_content} (absent from the message otherwise, so
 * {@code message.reasoning_content is defined} is false).
 *
 * @param role             e.g. "system", "user", "assistant", "tool"
 * @param content          the text, never null
 * @param reasoningContent the reasoning ("thinking") of an assistant turn, or null
 * @param fields           further keys of the message dict, in order, as transformers passes them:
 *                         {@code content} when it is null or a list of text parts (replacing the
 *                         text), {@code tool_calls} (arguments as the record gives them, an object
 *                         or a string), {@code tool_call_id}, {@code name}; empty for a plain message
 */
public record TemplateMessage(String role, String content, String reasoningContent, Map<String, Object> fields) {

    public TemplateMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        fields = fields == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public TemplateMessage(String role, String content, String reasoningContent) {
        this(role, content, reasoningContent, Map.of());
    }

    public static TemplateMessage of(String role, String content) {
        return new TemplateMessage(role, content, null);
    }

    /** The message of a granular record, with its role in the record format's lower case. */
    public static TemplateMessage from(Message m) {
        return from(m, m.content());
    }

    /**
     * The message of a granular record with its text replaced by {@code content} (the labeller's
     * marker); the tool fields stay, and text parts or null content give way to the replacement.
     */
    public static TemplateMessage from(Message m, String content) {
        Map<String, Object> shape = ChatShape.chat(m, false);
        Map<String, Object> fields = new LinkedHashMap<>();
        if (content.equals(m.content()) && (m.contentNull() || m.contentParts() != null)) {
            fields.put("content", shape.get("content"));
        }
        shape.forEach((k, v) -> {
            if (!k.equals("role") && !k.equals("content")) {
                fields.put(k, v);
            }
        });
        return new TemplateMessage(m.role().wireName(), content, m.reasoningContent(), fields);
    }
}
