package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.record.ToolCall;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * OpenAI Chat Completions: {@code POST BASE/chat/completions}, spoken by OpenAI and by
 * vLLM, llama.cpp's server, Ollama ({@code /v1}) and most local servers.
 */
public final class OpenAiWire implements WireFormat {
    static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public URI endpoint(ModelSpec spec) {
        return URI.create(spec.baseUrl() + "/chat/completions");
    }

    @Override
    public Map<String, String> headers(ModelSpec spec, Optional<Secret> key) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        key.ifPresent(k -> h.put("Authorization", "Bearer " + k.reveal()));
        return h;
    }

    @Override
    public String body(ModelSpec spec, ChatRequest request) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", spec.model());
        ArrayNode msgs = root.putArray("messages");
        for (ChatMessage m : request.messages()) {
            ObjectNode o = msgs.addObject().put("role", m.role().wireName());
            if (m.toolCalls() != null && m.content().isEmpty()) {
                o.putNull("content"); // what OpenAI itself sends beside tool calls
            } else {
                o.put("content", m.content());
            }
            if (m.toolCalls() != null) {
                o.set("tool_calls", toolCallsJson(m.toolCalls(), true));
            }
            if (m.toolCallId() != null) {
                o.put("tool_call_id", m.toolCallId());
            }
            // A tool message's name is not part of OpenAI's tool message (only the id links it to its call).
        }
        if (request.tools() != null) {
            root.set("tools", JSON.valueToTree(request.tools()));
        }
        GenerationParams p = request.params();
        if (p.temperature() != null) {
            root.put("temperature", p.temperature());
        }
        if (p.topP() != null) {
            root.put("top_p", p.topP());
        }
        if (p.maxTokens() != null) {
            root.put("max_tokens", p.maxTokens());
        }
        if (p.seed() != null) {
            root.put("seed", p.seed() + request.sampleIndex());
        }
        if (!p.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop");
            p.stop().forEach(stop::add);
        }
        if (request.jsonSchema() != null) {
            ObjectNode rf = root.putObject("response_format");
            rf.put("type", "json_schema");
            ObjectNode js = rf.putObject("json_schema");
            js.put("name", "reply");
            js.set("schema", request.jsonSchema());
        }
        p.extraBody().forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        return root.toString();
    }

    /**
     * Tool calls in OpenAI's shape. With {@code argumentsAsString} an object's arguments are serialised to a
     * JSON string, as the Chat Completions API requires; without it they stay as given (the cache key's view,
     * where an object and its serialisation are different inputs to a template-rendering server).
     */
    static ArrayNode toolCallsJson(List<ToolCall> calls, boolean argumentsAsString) {
        ArrayNode out = JSON.createArrayNode();
        for (ToolCall c : calls) {
            ObjectNode o = out.addObject();
            if (c.id() != null) {
                o.put("id", c.id());
            }
            o.put("type", "function");
            ObjectNode f = o.putObject("function");
            f.put("name", c.name());
            if (c.arguments() instanceof String text) {
                f.put("arguments", text);
            } else if (argumentsAsString) {
                f.put("arguments", JSON.valueToTree(c.arguments()).toString());
            } else {
                f.set("arguments", JSON.valueToTree(c.arguments()));
            }
        }
        return out;
    }

    @Override
    public Completion parse(String body) throws MalformedReplyException {
        JsonNode root = readObject(body);
        JsonNode choice = root.path("choices").path(0);
        JsonNode content = choice.path("message").path("content");
        List<ToolCall> toolCalls = toolCalls(choice.path("message").path("tool_calls"));
        boolean textNull = toolCalls != null && (content.isNull() || content.isMissingNode());
        if (!content.isTextual() && !textNull) {
            throw new MalformedReplyException("reply has no choices[0].message.content string");
        }
        JsonNode usage = root.path("usage");
        String finish = choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null;
        return new Completion(textNull ? "" : content.asText(), finish,
                new Usage(usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0)), toolCalls, textNull);
    }

    /** message.tool_calls as records' tool calls (arguments kept as sent: OpenAI sends a string), or null when none. */
    private static List<ToolCall> toolCalls(JsonNode calls) throws MalformedReplyException {
        if (calls.isMissingNode() || calls.isNull() || (calls.isArray() && calls.isEmpty())) {
            return null;
        }
        if (!calls.isArray()) {
            throw new MalformedReplyException("reply's choices[0].message.tool_calls is not an array");
        }
        List<ToolCall> out = new java.util.ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode c = calls.get(i);
            JsonNode f = c.path("function");
            JsonNode args = f.path("arguments");
            if (!f.path("name").isTextual() || !(args.isTextual() || args.isObject())) {
                throw new MalformedReplyException("reply's choices[0].message.tool_calls[" + i
                        + "] has no function.name string and function.arguments string or object");
            }
            try {
                out.add(new ToolCall(c.path("id").isTextual() ? c.path("id").asText() : null,
                        c.path("type").isTextual() ? c.path("type").asText() : null, f.path("name").asText(),
                        JSON.convertValue(args, Object.class)));
            } catch (IllegalArgumentException e) {
                throw new MalformedReplyException("reply's choices[0].message.tool_calls[" + i + "]." + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public Optional<String> errorMessage(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode m = root == null ? null : root.path("error").path("message");
            if (m != null && m.isTextual()) {
                return Optional.of(m.asText());
            }
            if (root != null && root.path("error").isTextual()) {
                return Optional.of(root.path("error").asText());
            }
            return Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    static JsonNode readObject(String body) throws MalformedReplyException {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || !root.isObject()) {
                throw new MalformedReplyException("reply is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new MalformedReplyException("reply is not valid JSON: " + e.getOriginalMessage());
        }
    }
}
