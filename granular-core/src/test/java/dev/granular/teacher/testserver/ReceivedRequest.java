package dev.granular.teacher.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.record.Role;
import dev.granular.teacher.internal.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One request as {@link FakeLlmServer} received it, handed to the script and kept for assertions.
 *
 * @param seq     1 for the server's first request, counting every request it parsed
 * @param method  the HTTP method
 * @param path    the request target's path, e.g. {@code /v1/chat/completions}
 * @param headers the headers, names lower-cased (the last value of a repeated header wins)
 * @param body    the body as text (UTF-8)
 * @param json    the body parsed, or null when it is not JSON
 */
public record ReceivedRequest(long seq, String method, String path, Map<String, String> headers, String body,
                              JsonNode json) {
    /** Which API a request addressed, from its path. */
    public enum Api { OPENAI, ANTHROPIC, OTHER }

    public ReceivedRequest {
        headers = Map.copyOf(headers);
    }

    /** The API the path belongs to: {@code /chat/completions} or {@code /messages} under any prefix. */
    public Api api() {
        if (path.endsWith("/chat/completions")) {
            return Api.OPENAI;
        }
        if (path.endsWith("/messages")) {
            return Api.ANTHROPIC;
        }
        return Api.OTHER;
    }

    /** A header by case-insensitive name. */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The {@code model} field, or "" when absent. */
    public String model() {
        return json == null ? "" : json.path("model").asText("");
    }

    /** Anthropic's top-level {@code system} string, or null (OpenAI puts system prompts in {@link #messages()}). */
    public String system() {
        JsonNode s = json == null ? null : json.get("system");
        return s == null || !s.isTextual() ? null : s.asText();
    }

    /**
     * The {@code messages} array as chat messages, with OpenAI's {@code tool_calls} and a tool message's
     * {@code tool_call_id}. Unknown roles and non-string contents (Anthropic's content blocks) are kept as
     * their JSON text (under {@link Role#USER} for an unknown role), so a script still sees something;
     * tests that send such bodies read {@link #json()} instead.
     */
    public List<ChatMessage> messages() {
        List<ChatMessage> out = new ArrayList<>();
        if (json == null) {
            return out;
        }
        for (JsonNode m : json.path("messages")) {
            Role role;
            try {
                role = Role.fromWire(m.path("role").asText(""));
            } catch (IllegalArgumentException e) {
                role = Role.USER;
            }
            JsonNode c = m.path("content");
            String text = c.isTextual() ? c.asText() : c.isNull() && m.has("tool_calls") ? "" : c.toString();
            out.add(new ChatMessage(role, text, role == Role.ASSISTANT ? toolCalls(m.path("tool_calls")) : null,
                    role == Role.TOOL && m.path("tool_call_id").isTextual() ? m.get("tool_call_id").asText() : null, null));
        }
        return out;
    }

    /** OpenAI's {@code tool_calls} as sent (arguments the JSON string), or null when there are none. */
    private static List<dev.granular.record.ToolCall> toolCalls(JsonNode calls) {
        if (!calls.isArray() || calls.isEmpty()) {
            return null;
        }
        List<dev.granular.record.ToolCall> out = new ArrayList<>();
        for (JsonNode c : calls) {
            JsonNode args = c.path("function").path("arguments");
            out.add(new dev.granular.record.ToolCall(c.path("id").isTextual() ? c.get("id").asText() : null, "function",
                    c.path("function").path("name").asText("?"), args.isTextual() ? args.asText() : args.toString()));
        }
        return out;
    }

    /** The last user message's content, or "" when there is none. */
    public String lastUserMessage() {
        List<ChatMessage> ms = messages();
        for (int i = ms.size() - 1; i >= 0; i--) {
            if (ms.get(i).role() == Role.USER) {
                return ms.get(i).content();
            }
        }
        return "";
    }

    /** Characters of prompt: every message's content plus Anthropic's system field, for the fake usage. */
    public int promptChars() {
        int n = system() == null ? 0 : system().length();
        for (ChatMessage m : messages()) {
            n += m.content().length();
        }
        return n;
    }

    /**
     * What identifies a prompt across retries: system field and messages, not the model or the
     * sampling parameters. {@link Scripts#failFirst} counts attempts per key.
     */
    public String promptKey() {
        if (json == null) {
            return body;
        }
        return json.path("system").toString() + "\u0000" + json.path("messages").toString();
    }
}
