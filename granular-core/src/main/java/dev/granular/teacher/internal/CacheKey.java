package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The response cache's key: the SHA-256 (lower-case hex) of a canonical JSON object holding
 * everything that can change a model's reply, and nothing else.
 *
 * <p>In the key, because each changes what the server answers:
 * <ul>
 *   <li>{@code v}: {@link #FORMAT}, bumped when this layout changes so old entries are never misread;</li>
 *   <li>{@code provider} and {@code base_url}: the same model name on another server is another model;</li>
 *   <li>{@code model}: the name sent to the server;</li>
 *   <li>{@code messages}: every message's role and content, in order, and its {@code tool_calls}
 *       (arguments as given) and {@code tool_call_id} only where the message has them (a tool
 *       message's {@code name} is not sent, so not in the key);</li>
 *   <li>{@code tools}: the tool definitions, only where the request offers tools (so a plain request
 *       keeps the key it had before requests could carry tools);</li>
 *   <li>{@code params}: {@link GenerationParams#toJson()}, every sampling parameter including
 *       {@code extra_body};</li>
 *   <li>{@code sample}: {@link ChatRequest#sampleIndex()}, so K samples of one prompt are K paid replies,
 *       not one reply read K times;</li>
 *   <li>{@code schema}: the JSON Schema the reply must follow (it changes the prompt or {@code response_format});</li>
 *   <li>{@code template}: the prompt template's hash, so editing a template invalidates its replies even
 *       where the rendered text happens to coincide.</li>
 * </ul>
 *
 * <p>Not in the key, because they change how or how fast a request is sent, never its answer:
 * the API key and every HTTP header (a key must never reach a file, and rotating it must not
 * cost a rerun), the key's variable name, threads, concurrency, rate limits, timeouts, retries,
 * budgets, and {@link ChatRequest#rowId()} (two rows with the same prompt share one reply).
 *
 * <p>Canonical means: object members sorted by name at every depth (so map order in
 * {@code extra_body} or a schema does not matter), nulls kept (an unset parameter differs from
 * one set to a value), no whitespace, UTF-8.
 */
public final class CacheKey {
    /** Version of the key layout; part of every key. */
    public static final String FORMAT = "granular-cache-key/1";

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Writes keys without Jackson's default per-thread buffers (a {@code ThreadLocal} of about 4 KB of char arrays):
     * in batch mode up to 100,000 virtual threads each compute a key and then wait hours for their batch, and each
     * would keep its own. The output is the same as {@code JsonNode.toString()}.
     */
    private static final com.fasterxml.jackson.databind.ObjectWriter CANONICAL = new ObjectMapper(
            com.fasterxml.jackson.core.JsonFactory.builder()
                    .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.newConcurrentDequePool()).build()).writer();

    private CacheKey() {
    }

    /** The key of {@code req} sent to {@code spec}. */
    public static String of(ModelSpec spec, ChatRequest req) {
        return sha256(canonicalJson(spec, req));
    }

    /** The canonical text that {@link #of} hashes (exposed for tests and debugging; it holds no secret). */
    static String canonicalJson(ModelSpec spec, ChatRequest req) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("v", FORMAT);
        root.put("provider", spec.provider().name().toLowerCase(java.util.Locale.ROOT));
        root.put("base_url", spec.baseUrl().toString());
        root.put("model", spec.model());
        ArrayNode messages = root.putArray("messages");
        for (ChatMessage m : req.messages()) {
            ObjectNode o = messages.addObject().put("role", m.role().wireName()).put("content", m.content());
            // Tool fields only when present, so that a plain request keeps the key it always had.
            if (m.toolCalls() != null) {
                o.set("tool_calls", OpenAiWire.toolCallsJson(m.toolCalls(), false));
            }
            if (m.toolCallId() != null) {
                o.put("tool_call_id", m.toolCallId());
            }
            // A tool message's name is not in the key: neither wire sends it.
        }
        if (req.tools() != null) {
            root.set("tools", JSON.valueToTree(req.tools()));
        }
        root.set("params", JSON.valueToTree(req.params().toJson()));
        root.put("sample", req.sampleIndex());
        root.set("schema", req.jsonSchema() == null ? JsonNodeFactory.instance.nullNode() : req.jsonSchema());
        root.put("template", req.templateHash());
        try {
            return CANONICAL.writeValueAsString(sorted(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }

    /** A copy of {@code node} whose objects list their members by name. */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            Collections.sort(names);
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (String n : names) {
                out.set(n, sorted(node.get(n)));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(e -> out.add(sorted(e)));
            return out;
        }
        return node;
    }

    private static String sha256(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
