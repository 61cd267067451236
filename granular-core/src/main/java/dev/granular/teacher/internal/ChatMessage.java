package dev.granular.teacher.internal;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.ToolCall;
import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation sent to a model.
 *
 * @param role       who speaks
 * @param content    the text (empty for an assistant message that only calls tools)
 * @param toolCalls  the tool calls an assistant message made, or null when none (non-empty when present)
 * @param toolCallId for a {@code tool} message, the id of the call it answers, or null
 * @param name       for a {@code tool} message, the tool's name, or null
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId, String name) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (toolCalls != null) {
            if (role != Role.ASSISTANT || toolCalls.isEmpty()) {
                throw new IllegalArgumentException("only an assistant message carries tool calls, and then at least one");
            }
            toolCalls = List.copyOf(toolCalls);
        }
        if (role != Role.TOOL && (toolCallId != null || name != null)) {
            throw new IllegalArgumentException("only a tool message has tool_call_id and name");
        }
    }

    /** A message of role and text only. */
    public ChatMessage(Role role, String content) {
        this(role, content, null, null, null);
    }

    /** The message as sent: role, text, and the record's tool fields (its train flags stay behind). */
    public static ChatMessage of(Message m) {
        return new ChatMessage(m.role(), m.content(), m.toolCalls(), m.toolCallId(), m.name());
    }

    public static ChatMessage system(String text) {
        return new ChatMessage(Role.SYSTEM, text);
    }

    public static ChatMessage user(String text) {
        return new ChatMessage(Role.USER, text);
    }

    public static ChatMessage assistant(String text) {
        return new ChatMessage(Role.ASSISTANT, text);
    }

    /** Whether this message carries a tool field (calls, or a tool message's id or name). */
    public boolean hasToolFields() {
        return toolCalls != null || toolCallId != null || name != null;
    }
}
