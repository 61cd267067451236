package dev.granular.teacher;

import java.util.Objects;

/**
 * A parsed reply.
 *
 * @param text         the assistant's text
 * @param finishReason why generation stopped ({@code stop}, {@code length}, ... as the server says; Anthropic's
 *                     {@code end_turn} maps to {@code stop}, {@code max_tokens} to {@code length})
 * @param usage        tokens used
 */
public record Completion(String text, String finishReason, Usage usage) {
    public Completion {
        Objects.requireNonNull(text, "text");
        finishReason = finishReason == null ? "unknown" : finishReason;
        usage = usage == null ? Usage.ZERO : usage;
    }
}
