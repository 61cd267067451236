package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * One request: a conversation, its parameters, which sample it is, and what the reply
 * must look like.
 *
 * @param rowId        the input row this request serves, for messages and failure files
 * @param messages     the conversation so far
 * @param params       sampling parameters
 * @param sampleIndex  0 for the first sample of a row; part of the cache key, so K samples are K replies
 * @param jsonSchema   a JSON Schema the reply must satisfy, or null for free text
 * @param templateHash a hash of the prompt template's text (part of the cache key), or null
 * @param tools        the tool definitions offered to the model, in OpenAI's shape
 *                     ({@code {"type": "function", "function": {"name", "description", "parameters"}}}),
 *                     or null when none (an empty list counts as none: providers refuse {@code "tools": []})
 */
public record ChatRequest(String rowId, List<ChatMessage> messages, GenerationParams params, int sampleIndex,
                          JsonNode jsonSchema, String templateHash, List<Object> tools) {
    public ChatRequest {
        tools = tools == null || tools.isEmpty() ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(tools));
        Objects.requireNonNull(rowId, "rowId");
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one message");
        }
        params = params == null ? GenerationParams.DEFAULT : params;
        if (sampleIndex < 0) {
            throw new IllegalArgumentException("sampleIndex must be >= 0");
        }
    }

    /** A request that offers no tools. */
    public ChatRequest(String rowId, List<ChatMessage> messages, GenerationParams params, int sampleIndex,
                       JsonNode jsonSchema, String templateHash) {
        this(rowId, messages, params, sampleIndex, jsonSchema, templateHash, null);
    }

    public static ChatRequest of(String rowId, List<ChatMessage> messages, GenerationParams params) {
        return new ChatRequest(rowId, messages, params, 0, null, null);
    }

    /** Rough prompt size in tokens (4 characters a token) for rate limits and cost estimates before sending. */
    public int estimatedPromptTokens() {
        long chars = 0;
        for (ChatMessage m : messages) {
            chars += m.content().length() + 8;
            if (m.toolCalls() != null) {
                chars += OpenAiWire.toolCallsJson(m.toolCalls(), true).toString().length();
            }
        }
        if (tools != null) {
            chars += OpenAiWire.JSON.valueToTree(tools).toString().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, chars / 4 + 1);
    }
}
