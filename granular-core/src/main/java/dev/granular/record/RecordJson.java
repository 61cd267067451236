package dev.granular.record;

import dev.granular.record.internal.JsonlInput;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.granular.io.BadInputException;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that knows the JSON shape of a {@link TrainingRecord}.
 *
 * <p>Writing is deterministic (fixed field order, meta in insertion order, no whitespace) so
 * that rerunning a command produces identical bytes. Reading is strict: unknown fields,
 * duplicate keys, wrong types and broken train_detail are errors naming the field, because a
 * silently ignored typo ({@code "trian": true}) trains the wrong tokens without any warning.
 */
public final class RecordJson {
    static final List<String> RECORD_FIELDS = List.of("id", "messages", "tools", "meta");
    static final List<String> MESSAGE_FIELDS = List.of("role", "content", "reasoning_content", "tool_calls",
            "tool_call_id", "name", "train", "train_detail");
    static final List<String> PART_FIELDS = List.of("type", "text");
    static final List<String> TOOL_CALL_FIELDS = List.of("id", "type", "function");
    static final List<String> FUNCTION_FIELDS = List.of("name", "arguments");
    static final List<String> SPAN_FIELDS = List.of("begin_offset", "end_offset", "train");

    /** Thread-safe once configured; shared by all readers and writers. */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(JsonlInput.LIMITS);
    }

    private RecordJson() {
    }

    /** The record as one JSON line, without the trailing newline. */
    public static String toJson(TrainingRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", record.id());
            g.writeArrayFieldStart("messages");
            for (Message m : record.messages()) {
                writeMessage(g, m);
            }
            g.writeEndArray();
            if (record.tools() != null) {
                g.writeFieldName("tools");
                writeValue(g, record.tools());
            }
            g.writeFieldName("meta");
            writeValue(g, record.meta());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /**
     * Parses one line strictly.
     *
     * @param line   the line's text, without its newline
     * @param file   the file it came from, for the error message
     * @param lineNo its 1-based line number, for the error message
     * @throws BadInputException {@code file:lineNo: what is wrong}
     */
    public static TrainingRecord parse(String line, String file, long lineNo) {
        JsonNode root;
        try {
            root = MAPPER.readTree(line);
        } catch (JacksonException e) {
            throw new BadInputException(file, lineNo, JsonlInput.describe(e));
        }
        if (root == null || root.isMissingNode()) {
            throw new BadInputException(file, lineNo, "blank line (expected a JSON object)");
        }
        if (!root.isObject()) {
            throw new BadInputException(file, lineNo, "expected a JSON object, found " + type(root));
        }
        try {
            return toRecord(root);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file, lineNo, e.getMessage());
        }
    }

    private static TrainingRecord toRecord(JsonNode node) {
        checkFields(node, RECORD_FIELDS, "");
        String id = string(require(node, "id", ""), "id");
        JsonNode messagesNode = require(node, "messages", "");
        if (!messagesNode.isArray()) {
            throw mistyped("messages", "an array", messagesNode);
        }
        List<Message> messages = new ArrayList<>(messagesNode.size());
        for (int i = 0; i < messagesNode.size(); i++) {
            messages.add(toMessage(messagesNode.get(i), "messages[" + i + "]"));
        }
        List<Object> tools = null;
        JsonNode toolsNode = node.get("tools");
        if (toolsNode != null) {
            if (!toolsNode.isArray()) {
                throw mistyped("tools", "an array", toolsNode);
            }
            tools = new ArrayList<>(toolsNode.size());
            for (JsonNode tool : toolsNode) {
                tools.add(toJava(tool));
            }
        }
        JsonNode metaNode = require(node, "meta", "");
        if (!metaNode.isObject()) {
            throw mistyped("meta", "an object", metaNode);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) toJava(metaNode);
        return new TrainingRecord(id, messages, tools, meta);
    }

    private static Message toMessage(JsonNode node, String path) {
        if (!node.isObject()) {
            throw mistyped(path, "an object", node);
        }
        String at = path + ": ";
        checkFields(node, MESSAGE_FIELDS, at);
        String roleName = string(require(node, "role", at), path + ".role");
        Role role;
        try {
            role = Role.fromWire(roleName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ".role: " + e.getMessage());
        }
        JsonNode contentNode = require(node, "content", at);
        boolean contentNull = contentNode.isNull();
        List<String> parts = contentNode.isArray() ? toParts(contentNode, path + ".content") : null;
        String content = contentNull ? "" : parts != null ? String.join("", parts)
                : string(contentNode, path + ".content");
        JsonNode reasoningNode = node.get("reasoning_content");
        String reasoning = reasoningNode == null ? null : string(reasoningNode, path + ".reasoning_content");
        List<ToolCall> toolCalls = null;
        JsonNode callsNode = node.get("tool_calls");
        if (callsNode != null) {
            if (!callsNode.isArray()) {
                throw mistyped(path + ".tool_calls", "an array", callsNode);
            }
            toolCalls = new ArrayList<>(callsNode.size());
            for (int j = 0; j < callsNode.size(); j++) {
                toolCalls.add(toToolCall(callsNode.get(j), path + ".tool_calls[" + j + "]"));
            }
        }
        JsonNode callIdNode = node.get("tool_call_id");
        String toolCallId = callIdNode == null ? null : string(callIdNode, path + ".tool_call_id");
        JsonNode nameNode = node.get("name");
        String name = nameNode == null ? null : string(nameNode, path + ".name");
        boolean train = bool(require(node, "train", at), path + ".train");
        List<TrainSpan> detail = null;
        JsonNode detailNode = node.get("train_detail");
        if (detailNode != null) {
            if (!detailNode.isArray()) {
                throw mistyped(path + ".train_detail", "an array", detailNode);
            }
            detail = new ArrayList<>(detailNode.size());
            for (int j = 0; j < detailNode.size(); j++) {
                detail.add(toSpan(detailNode.get(j), path + ".train_detail[" + j + "]"));
            }
        }
        try {
            return new Message(role, content, train, detail, reasoning, toolCalls, toolCallId, name, parts, contentNull);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + "." + e.getMessage());
        }
    }

    /** Text parts ({@code [{"type":"text","text":...}]}); any other part is refused, since only text is trained. */
    private static List<String> toParts(JsonNode node, String path) {
        List<String> parts = new ArrayList<>(node.size());
        for (int j = 0; j < node.size(); j++) {
            JsonNode part = node.get(j);
            String at = path + "[" + j + "]";
            if (!part.isObject()) {
                throw mistyped(at, "an object", part);
            }
            checkFields(part, PART_FIELDS, at + ": ");
            String type = string(require(part, "type", at + ": "), at + ".type");
            if (!type.equals("text")) {
                throw new IllegalArgumentException(at + ".type: only \"text\" parts are supported, found \"" + type
                        + "\" (granular trains and renders text only)");
            }
            parts.add(string(require(part, "text", at + ": "), at + ".text"));
        }
        return parts;
    }

    /**
     * One tool call in the record format's shape ({@code {"id"?, "type"?, "function": {"name", "arguments"}}}),
     * for readers of other row shapes that carry tool calls.
     *
     * @throws IllegalArgumentException starting with {@code path}
     */
    public static ToolCall toolCall(JsonNode node, String path) {
        return toToolCall(node, path);
    }

    /** A free-form JSON value as plain Java (maps, lists, strings, numbers, booleans, null), as records hold it. */
    public static Object plain(JsonNode node) {
        return toJava(node);
    }

    private static ToolCall toToolCall(JsonNode node, String path) {
        if (!node.isObject()) {
            throw mistyped(path, "an object", node);
        }
        String at = path + ": ";
        checkFields(node, TOOL_CALL_FIELDS, at);
        JsonNode idNode = node.get("id");
        String id = idNode == null ? null : string(idNode, path + ".id");
        JsonNode typeNode = node.get("type");
        String type = typeNode == null ? null : string(typeNode, path + ".type");
        JsonNode function = require(node, "function", at);
        if (!function.isObject()) {
            throw mistyped(path + ".function", "an object", function);
        }
        checkFields(function, FUNCTION_FIELDS, path + ".function: ");
        String name = string(require(function, "name", path + ".function: "), path + ".function.name");
        JsonNode argumentsNode = require(function, "arguments", path + ".function: ");
        if (!argumentsNode.isObject() && !argumentsNode.isTextual()) {
            throw mistyped(path + ".function.arguments", "an object or a string", argumentsNode);
        }
        try {
            return new ToolCall(id, type, name, toJava(argumentsNode));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + "." + e.getMessage());
        }
    }

    private static TrainSpan toSpan(JsonNode node, String path) {
        if (!node.isObject()) {
            throw mistyped(path, "an object", node);
        }
        String at = path + ": ";
        checkFields(node, SPAN_FIELDS, at);
        int begin = integer(require(node, "begin_offset", at), path + ".begin_offset");
        int end = integer(require(node, "end_offset", at), path + ".end_offset");
        boolean train = bool(require(node, "train", at), path + ".train");
        try {
            return new TrainSpan(begin, end, train);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + e.getMessage());
        }
    }

    private static void checkFields(JsonNode node, List<String> allowed, String at) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException(at + "unknown field \"" + name + "\" (allowed: "
                        + String.join(", ", allowed) + ")");
            }
        }
    }

    private static JsonNode require(JsonNode node, String field, String at) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new IllegalArgumentException(at + "missing field \"" + field + "\"");
        }
        return value;
    }

    private static String string(JsonNode node, String path) {
        if (!node.isTextual()) {
            throw mistyped(path, "a string", node);
        }
        return node.textValue();
    }

    private static boolean bool(JsonNode node, String path) {
        if (!node.isBoolean()) {
            throw mistyped(path, "a boolean", node);
        }
        return node.booleanValue();
    }

    private static int integer(JsonNode node, String path) {
        if (!node.isIntegralNumber()) {
            throw mistyped(path, "an integer", node);
        }
        if (!node.canConvertToInt()) {
            throw new IllegalArgumentException(path + ": " + node.asText() + " is out of range");
        }
        return node.intValue();
    }

    private static IllegalArgumentException mistyped(String path, String expected, JsonNode found) {
        String detail = found.isNumber() ? " " + found.asText() : "";
        return new IllegalArgumentException(path + " must be " + expected + ", found " + type(found) + detail);
    }

    private static String type(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Plain Java for a free-form JSON value, so that writing it back gives the same JSON. */
    private static Object toJava(JsonNode node) {
        return switch (node.getNodeType()) {
            case OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                node.fields().forEachRemaining(e -> map.put(e.getKey(), toJava(e.getValue())));
                yield map;
            }
            case ARRAY -> {
                List<Object> list = new ArrayList<>(node.size());
                node.forEach(v -> list.add(toJava(v)));
                yield list;
            }
            case STRING -> node.textValue();
            case NUMBER -> node.numberValue();
            case BOOLEAN -> node.booleanValue();
            case NULL -> null;
            default -> throw new IllegalArgumentException("unsupported JSON node " + node.getNodeType());
        };
    }

    private static void writeMessage(JsonGenerator g, Message m) throws IOException {
        g.writeStartObject();
        g.writeStringField("role", m.role().wireName());
        if (m.contentNull()) {
            g.writeNullField("content");
        } else if (m.contentParts() != null) {
            g.writeArrayFieldStart("content");
            for (String part : m.contentParts()) {
                g.writeStartObject();
                g.writeStringField("type", "text");
                g.writeStringField("text", part);
                g.writeEndObject();
            }
            g.writeEndArray();
        } else {
            g.writeStringField("content", m.content());
        }
        if (m.reasoningContent() != null) {
            g.writeStringField("reasoning_content", m.reasoningContent());
        }
        if (m.toolCalls() != null) {
            g.writeArrayFieldStart("tool_calls");
            for (ToolCall call : m.toolCalls()) {
                g.writeStartObject();
                if (call.id() != null) {
                    g.writeStringField("id", call.id());
                }
                if (call.type() != null) {
                    g.writeStringField("type", call.type());
                }
                g.writeObjectFieldStart("function");
                g.writeStringField("name", call.name());
                g.writeFieldName("arguments");
                writeValue(g, call.arguments());
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        if (m.toolCallId() != null) {
            g.writeStringField("tool_call_id", m.toolCallId());
        }
        if (m.name() != null) {
            g.writeStringField("name", m.name());
        }
        g.writeBooleanField("train", m.train());
        if (m.trainDetail() != null) {
            g.writeArrayFieldStart("train_detail");
            for (TrainSpan s : m.trainDetail()) {
                g.writeStartObject();
                g.writeNumberField("begin_offset", s.beginOffset());
                g.writeNumberField("end_offset", s.endOffset());
                g.writeBooleanField("train", s.train());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    /** Writes a value already checked by {@link JsonValues#copy}. */
    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Double d -> g.writeNumber(d);
            case Float f -> g.writeNumber(f);
            case BigInteger b -> g.writeNumber(b);
            case BigDecimal b -> g.writeNumber(b);
            case Number n -> g.writeNumber(n.longValue());
            case Map<?, ?> map -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    g.writeFieldName((String) e.getKey());
                    writeValue(g, e.getValue());
                }
                g.writeEndObject();
            }
            case List<?> list -> {
                g.writeStartArray();
                for (Object v : list) {
                    writeValue(g, v);
                }
                g.writeEndArray();
            }
            default -> throw new IllegalStateException("not a JSON value: " + value.getClass().getName());
        }
    }
}
