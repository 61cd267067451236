package dev.granular.record;

import java.util.Map;

/**
 * One tool call an assistant message makes, in OpenAI's shape:
 * {@code {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}}.
 *
 * <p>{@code arguments} is kept exactly as given: a JSON string (OpenAI's wire form, the
 * arguments serialised) or a JSON object (what chat templates and most datasets use). The two
 * render differently through templates that {@code tojson} the arguments, so converting one to
 * the other would change the trained text.
 *
 * @param id        the call's id, or null when the record gives none
 * @param type      {@code "function"}, or null when the record omits it
 * @param name      the function's name, never empty
 * @param arguments a {@link String} or a {@code Map<String, Object>} of plain JSON values
 */
public record ToolCall(String id, String type, String name, Object arguments) {

    public ToolCall {
        if (type != null && !type.equals("function")) {
            throw new IllegalArgumentException("type: must be \"function\", found \"" + type + "\"");
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("function.name: must be a non-empty string");
        }
        if (!(arguments instanceof String) && !(arguments instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("function.arguments: must be a JSON object or a string");
        }
        arguments = JsonValues.copy(arguments, "function.arguments");
    }

    /** Whether the arguments were given as a JSON object (else a string). */
    public boolean argumentsAsObject() {
        return arguments instanceof Map<?, ?>;
    }
}
