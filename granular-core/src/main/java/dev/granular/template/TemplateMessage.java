package dev.granular.template;

import dev.granular.record.Message;

import java.util.Objects;

/**
 * One message as a chat template sees it: {@code message.role}, {@code message.content} and, when
 * non-null, {@code message.reasoning_content} (absent from the message otherwise, so
 * {@code message.reasoning_content is defined} is false).
 *
 * @param role             e.g. "system", "user", "assistant", "tool"
 * @param content          the text, never null
 * @param reasoningContent the reasoning ("thinking") of an assistant turn, or null
 */
public record TemplateMessage(String role, String content, String reasoningContent) {

    public TemplateMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static TemplateMessage of(String role, String content) {
        return new TemplateMessage(role, content, null);
    }

    /** The message of a granular record, with its role in the record format's lower case. */
    public static TemplateMessage from(Message m) {
        return new TemplateMessage(m.role().wireName(), m.content(), m.reasoningContent());
    }
}
