package dev.granular.teacher.internal;

import dev.granular.record.ToolCall;

import java.util.List;
import java.util.Objects;

/**
 * A parsed reply.
 *
 * @param text         the assistant's text
 * @param finishReason why generation stopped ({@code stop}, {@code length}, ... as the server says; Anthropic's
 *                     {@code end_turn} maps to {@code stop}, {@code max_tokens} to {@code length})
 * @param usage        tokens used
 * @param toolCalls    the tool calls the reply makes (arguments as the server sent them), or null when none
 * @param textNull     whether the server sent {@code "content": null} beside its tool calls ({@code text} is then empty)
 */
public record Completion(String text, String finishReason, Usage usage, List<ToolCall> toolCalls, boolean textNull) {
    public Completion {
        Objects.requireNonNull(text, "text");
        finishReason = finishReason == null ? "unknown" : finishReason;
        usage = usage == null ? Usage.ZERO : usage;
        toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
    }

    /** A reply of text only. */
    public Completion(String text, String finishReason, Usage usage) {
        this(text, finishReason, usage, null, false);
    }
}
