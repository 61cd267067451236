package dev.granular.teacher.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Optional;

/**
 * Checks a reply against a JSON Schema: the reply's JSON (bare, or inside a ```json fence,
 * or the outermost {...} of the text, since models wrap JSON in prose) must validate.
 */
public final class StructuredOutput {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode schemaNode;
    private final Schema schema;

    public StructuredOutput(JsonNode schemaNode) {
        this.schemaNode = schemaNode;
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        this.schema = registry.getSchema(schemaNode.toString(), InputFormat.JSON);
    }

    public JsonNode schema() {
        return schemaNode;
    }

    /** The problems with {@code text}, or empty when it holds JSON that satisfies the schema. */
    public List<String> problems(String text) {
        Optional<JsonNode> json = extract(text);
        if (json.isEmpty()) {
            return List.of("the reply is not JSON");
        }
        return schema.validate(json.get()).stream().map(Object::toString).toList();
    }

    /** The JSON value in a reply: the whole text, a fenced block, or the outermost object. */
    public static Optional<JsonNode> extract(String text) {
        String t = text.strip();
        for (String candidate : candidates(t)) {
            try {
                JsonNode n = JSON.readTree(candidate);
                if (n != null && !n.isMissingNode()) {
                    return Optional.of(n);
                }
            } catch (JsonProcessingException e) {
                // try the next reading
            }
        }
        return Optional.empty();
    }

    private static List<String> candidates(String t) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        out.add(t);
        int fence = t.indexOf("```");
        if (fence >= 0) {
            int start = t.indexOf('\n', fence);
            int end = t.indexOf("```", start + 1);
            if (start > 0 && end > start) {
                out.add(t.substring(start + 1, end));
            }
        }
        int b = t.indexOf('{');
        int e = t.lastIndexOf('}');
        if (b >= 0 && e > b) {
            out.add(t.substring(b, e + 1));
        }
        return out;
    }
}
