package dev.granular.in2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * General instruction rows for the {@code general} share, read from {@code --general}:
 * canonical granular records, or rows {@code {"messages": [{"role", "content"}, ...]}}
 * where assistant messages are trained unless a message says {@code "train"}.
 */
final class GeneralRows {
    /** One row: its messages and where it came from ({@code file:line}). */
    record Row(List<Message> messages, String source) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private GeneralRows() {
    }

    static List<Row> read(Path file) {
        List<Row> rows = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            String line;
            long n = 0;
            while (true) {
                try {
                    line = r.readLine();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw new BadInputException(file, n + 1, "invalid UTF-8");
                }
                if (line == null) {
                    break;
                }
                n++;
                if (line.isBlank()) {
                    continue;
                }
                rows.add(parse(line, file, n));
            }
        } catch (IOException e) {
            throw new BadInputException(file.toString(), 0, "cannot read: " + e.getMessage());
        }
        if (rows.isEmpty()) {
            throw new BadInputException(file.toString(), 0, "--general file has no rows");
        }
        return rows;
    }

    private static Row parse(String line, Path file, long n) {
        String source = file.getFileName() + ":" + n;
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            throw new BadInputException(file, n, "malformed JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
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
