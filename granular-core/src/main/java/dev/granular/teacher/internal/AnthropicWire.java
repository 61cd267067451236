package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.record.Role;
import dev.granular.record.ToolCall;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic Messages: {@code POST BASE/messages}. System messages go to the top-level
 * {@code system} field; {@code max_tokens} is required (1024 when the caller sets none).
 *
 * <p>Tool conversations: tool definitions go as {@code {name, description, input_schema}}; an
 * assistant's tool calls as {@code tool_use} blocks (arguments as the {@code input} object); tool
 * messages as {@code tool_result} blocks, one user turn per run of consecutive tool messages
 * (Anthropic requires user and assistant turns to alternate). A reply's {@code tool_use} blocks
 * become the completion's tool calls, {@code stop_reason: tool_use} its finish reason {@code tool_calls}.
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
        // The content of the user turn that holds the latest run of tool results, while that run lasts:
        // Anthropic wants user and assistant turns to alternate, so consecutive tool messages (and a user
        // message right after them) share one user turn.
        ArrayNode resultsTurn = null;
        for (ChatMessage m : request.messages()) {
            if (m.role() == Role.SYSTEM) {
                if (!system.isEmpty()) {
                    system.append("\n\n");
                }
                system.append(m.content());
            } else if (m.role() == Role.TOOL) {
                if (resultsTurn == null) {
                    resultsTurn = msgs.addObject().put("role", "user").putArray("content");
                }
                ObjectNode result = resultsTurn.addObject().put("type", "tool_result").put("tool_use_id", m.toolCallId());
                if (!m.content().isEmpty()) {
                    result.put("content", m.content());
                }
            } else if (m.role() == Role.USER && resultsTurn != null) {
                if (!m.content().isEmpty()) {
                    resultsTurn.addObject().put("type", "text").put("text", m.content());
                }
                resultsTurn = null;
            } else if (m.toolCalls() != null) {
                resultsTurn = null;
                ArrayNode blocks = msgs.addObject().put("role", "assistant").putArray("content");
                if (!m.content().isEmpty()) {
                    blocks.addObject().put("type", "text").put("text", m.content());
                }
                for (ToolCall c : m.toolCalls()) {
                    blocks.addObject().put("type", "tool_use").put("id", c.id()).put("name", c.name())
                            .set("input", input(c));
                }
            } else {
                resultsTurn = null;
                msgs.addObject().put("role", m.role().wireName()).put("content", m.content());
            }
        }
        if (request.tools() != null) {
            ArrayNode tools = root.putArray("tools");
            request.tools().forEach(t -> tools.add(tool(t)));
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

    /** A tool call's arguments as the {@code input} object Anthropic requires (a string is parsed as JSON). */
    private static JsonNode input(ToolCall c) {
        if (!(c.arguments() instanceof String text)) {
            return OpenAiWire.JSON.valueToTree(c.arguments());
        }
        try {
            JsonNode parsed = OpenAiWire.JSON.readTree(text);
            if (parsed != null && parsed.isObject()) {
                return parsed;
            }
        } catch (JsonProcessingException e) {
            // refused below
        }
        throw new IllegalArgumentException("tool call " + c.name() + ": arguments are not a JSON object, and Anthropic's"
                + " tool_use input must be one");
    }

    /**
     * An OpenAI-shaped tool definition ({@code {"type": "function", "function": {name, description, parameters}}})
     * as Anthropic's {@code {name, description, input_schema}}; one already in Anthropic's shape is sent as is.
     */
    private static JsonNode tool(Object definition) {
        JsonNode t = OpenAiWire.JSON.valueToTree(definition);
        JsonNode f = t.path("function");
        if (f.isObject() && f.path("name").isTextual()) {
            ObjectNode out = OpenAiWire.JSON.createObjectNode().put("name", f.get("name").asText());
            if (f.path("description").isTextual()) {
                out.put("description", f.get("description").asText());
            }
            // input_schema is required; a function without parameters takes an empty object.
            out.set("input_schema", f.path("parameters").isObject() ? f.get("parameters")
                    : OpenAiWire.JSON.createObjectNode().put("type", "object"));
            return out;
        }
        if (t.path("name").isTextual() && t.path("input_schema").isObject()) {
            return t;
        }
        throw new IllegalArgumentException("a tool definition must be {\"type\": \"function\", \"function\": {\"name\", ...}}"
                + " or Anthropic's {\"name\", \"input_schema\"}");
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
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            JsonNode block = content.get(i);
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
                text.append(block.path("text").asText());
                any = true;
            } else if ("tool_use".equals(block.path("type").asText())) {
                // As the OpenAI wire keeps message.tool_calls: the call, its input object as the arguments.
                if (!block.path("name").isTextual() || !block.path("input").isObject()) {
                    throw new MalformedReplyException("reply's content[" + i + "] (tool_use) has no name string and input object");
                }
                try {
                    calls.add(new ToolCall(block.path("id").isTextual() ? block.get("id").asText() : null, "function",
                            block.get("name").asText(), OpenAiWire.JSON.convertValue(block.get("input"), Object.class)));
                } catch (IllegalArgumentException e) {
                    throw new MalformedReplyException("reply's content[" + i + "] (tool_use): " + e.getMessage());
                }
            }
        }
        if (!any && calls.isEmpty()) {
            throw new MalformedReplyException("reply has no text block");
        }
        String stop = root.path("stop_reason").asText(null);
        String finish = stop == null ? null : switch (stop) {
            case "end_turn", "stop_sequence" -> "stop";
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            default -> stop;
        };
        JsonNode usage = root.path("usage");
        return new Completion(text.toString(), finish,
                new Usage(usage.path("input_tokens").asLong(0), usage.path("output_tokens").asLong(0)),
                calls.isEmpty() ? null : calls, !calls.isEmpty() && !any);
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
