package dev.granular.teacher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.record.Role;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic Messages: {@code POST BASE/messages}. System messages go to the top-level
 * {@code system} field; {@code max_tokens} is required (1024 when the caller sets none).
 */
public final class AnthropicWire implements WireFormat {
    static final String VERSION = "2023-06-01";
    static final int DEFAULT_MAX_TOKENS = 1024;

    @Override
    public URI endpoint(ModelSpec spec) {
        return URI.create(spec.baseUrl() + "/messages");
    }

    @Override
    public Map<String, String> headers(ModelSpec spec, Optional<Secret> key) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        h.put("anthropic-version", VERSION);
        key.ifPresent(k -> h.put("x-api-key", k.reveal()));
        return h;
    }

    @Override
    public String body(ModelSpec spec, ChatRequest request) {
        ObjectNode root = OpenAiWire.JSON.createObjectNode();
        root.put("model", spec.model());
        GenerationParams p = request.params();
        root.put("max_tokens", p.maxTokens() != null ? p.maxTokens() : DEFAULT_MAX_TOKENS);
        StringBuilder system = new StringBuilder();
        ArrayNode msgs = root.putArray("messages");
        for (ChatMessage m : request.messages()) {
            if (m.role() == Role.SYSTEM) {
                if (!system.isEmpty()) {
                    system.append("\n\n");
                }
                system.append(m.content());
            } else {
                msgs.addObject().put("role", m.role().wireName()).put("content", m.content());
            }
        }
        if (request.jsonSchema() != null) {
            // The Messages API has no schema-constrained mode for plain text: ask for it in the system prompt.
            if (!system.isEmpty()) {
                system.append("\n\n");
            }
            system.append("Reply with one JSON object only, no prose around it, that satisfies this JSON Schema:\n")
                    .append(request.jsonSchema().toString());
        }
        if (!system.isEmpty()) {
            root.put("system", system.toString());
        }
        if (p.temperature() != null) {
            root.put("temperature", p.temperature());
        }
        if (p.topP() != null) {
            root.put("top_p", p.topP());
        }
        if (!p.stop().isEmpty()) {
            ArrayNode stop = root.putArray("stop_sequences");
            p.stop().forEach(stop::add);
        }
        p.extraBody().forEach((k, v) -> root.set(k, OpenAiWire.JSON.valueToTree(v)));
        return root.toString();
    }

    @Override
    public Completion parse(String body) throws MalformedReplyException {
        JsonNode root = OpenAiWire.readObject(body);
        JsonNode content = root.path("content");
        if (!content.isArray()) {
            throw new MalformedReplyException("reply has no content array");
        }
        StringBuilder text = new StringBuilder();
        boolean any = false;
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
                text.append(block.path("text").asText());
                any = true;
            }
        }
        if (!any) {
            throw new MalformedReplyException("reply has no text block");
        }
        String stop = root.path("stop_reason").asText(null);
        String finish = stop == null ? null : switch (stop) {
            case "end_turn", "stop_sequence" -> "stop";
            case "max_tokens" -> "length";
            default -> stop;
        };
        JsonNode usage = root.path("usage");
        return new Completion(text.toString(), finish,
                new Usage(usage.path("input_tokens").asLong(0), usage.path("output_tokens").asLong(0)));
    }

    @Override
    public Optional<String> errorMessage(String body) {
        try {
            JsonNode m = OpenAiWire.JSON.readTree(body);
            m = m == null ? null : m.path("error").path("message");
            return m != null && m.isTextual() ? Optional.of(m.asText()) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
