package dev.granular.in2.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * General instruction rows for the {@code general} share, read from {@code --general}:
 * canonical granular records, or rows {@code {"messages": [{"role", "content"}, ...]}}
 * where assistant messages are trained unless a message says {@code "train"}.
 */
public final class GeneralRows {
    /** One row: its messages and where it came from ({@code file:line}). */
    public record Row(List<Message> messages, String source) {
    }

    private GeneralRows() {
    }

    public static List<Row> read(List<Path> inputs) {
        List<Row> rows = JsonlInput.readAll(inputs, JsonlInput.Format.of(GeneralRows::parse, row -> null), 0);
        if (rows.isEmpty()) {
            throw new InvalidConfigException("${general} " + JsonlInput.names(inputs) + " has no rows");
        }
        return rows;
    }

    private static Row parse(String line, JsonlInput.Line at, long ordinal) {
        Path file = Path.of(at.file());
        long n = at.number();
        String source = file.getFileName() + ":" + n;
        JsonNode node = JsonlInput.tree(line, at);
        if (node == null || !node.isObject()) {
            throw new BadInputException(file, n, "expected a JSON object with \"messages\"");
        }
        if (node.has("meta") && node.has("id")) {
            return new Row(RecordJson.parse(line, file.toString(), n).messages(), source);
        }
        JsonNode msgs = node.get("messages");
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
            throw new BadInputException(file, n, "expected a non-empty \"messages\" array");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            JsonNode role = m.get("role");
            JsonNode content = m.get("content");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()) {
                throw new BadInputException(file, n, "messages[" + i + "] needs string \"role\" and \"content\"");
            }
            Role r;
            try {
                r = Role.fromWire(role.asText());
            } catch (IllegalArgumentException e) {
                throw new BadInputException(file, n, "messages[" + i + "].role '" + role.asText() + "' is not system, user or assistant");
            }
            boolean train = m.has("train") ? m.get("train").asBoolean() : r == Role.ASSISTANT;
            out.add(Message.of(r, content.asText(), train));
        }
        return new Row(out, source);
    }
}
