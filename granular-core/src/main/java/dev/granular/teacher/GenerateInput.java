package dev.granular.teacher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Input rows of {@code granular generate}, read lazily from JSONL (or .jsonl.gz), one of:
 * <ul>
 *   <li>a canonical granular record: its messages are the conversation so far (a trailing
 *       assistant message is the answer to regenerate, so it is dropped);</li>
 *   <li>{@code {"prompt": "..."}}: one user message;</li>
 *   <li>{@code {"messages": [{"role", "content"}, ...]}}.</li>
 * </ul>
 * Each may carry an {@code id}; without one a stable id is derived from the content, so
 * reruns and resumes find the same rows.
 */
public final class GenerateInput {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One row.
     *
     * @param ordinal  its position among the rows (0-based)
     * @param id       its id
     * @param messages the conversation to continue, with their train flags
     * @param meta     the input record's meta (canonical rows), else empty
     * @param source   {@code file:line}
     */
    public record Row(long ordinal, String id, List<Message> messages, Map<String, Object> meta, String source) {
        public List<ChatMessage> chat() {
            return messages.stream().map(m -> new ChatMessage(m.role(), m.content())).toList();
        }
    }

    private GenerateInput() {
    }

    /**
     * Reads every row that a run with {@code limit} would take, before anything is sent, so that a malformed line
     * 101 or a repeated id is found before 100 paid requests: each row must parse, and ids must be unique (two rows
     * without an id and with the same messages derive the same id). Returns the row count.
     *
     * @throws BadInputException naming the file and line of the first problem
     */
    public static long validate(Path file, long limit) {
        Map<String, Long> firstLine = new HashMap<>();
        long[] rows = {0};
        read(file, limit, (row, lineNo) -> {
            Long first = firstLine.putIfAbsent(row.id(), lineNo);
            if (first != null) {
                throw new BadInputException(file, lineNo, "duplicate id \"" + row.id() + "\" (first at line " + first
                        + (row.id().startsWith("row-") ? "; rows without an id and with the same messages get the same id" : "")
                        + ")");
            }
            rows[0]++;
        });
        return rows[0];
    }

    /** Reads rows in order, stopping after {@code limit} rows (0 = all). */
    public static void forEach(Path file, long limit, Consumer<Row> consumer) {
        read(file, limit, (row, lineNo) -> consumer.accept(row));
    }

    private interface RowAtLine {
        void accept(Row row, long lineNo);
    }

    private static void read(Path file, long limit, RowAtLine consumer) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file.toString(), 0, "no such file");
        }
        try (BufferedReader r = reader(file)) {
            long lineNo = 0;
            long ordinal = 0;
            String line;
            while (true) {
                try {
                    line = r.readLine();
                } catch (CharacterCodingException e) {
                    throw new BadInputException(file, lineNo + 1, "invalid UTF-8");
                }
                if (line == null || (limit > 0 && ordinal >= limit)) {
                    break;
                }
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                consumer.accept(parse(line, file, lineNo, ordinal++), lineNo);
            }
        } catch (IOException e) {
            throw new BadInputException(file.toString(), 0, "cannot read: " + e.getMessage());
        }
    }

    static Row parse(String line, Path file, long lineNo, long ordinal) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            throw new BadInputException(file, lineNo, "malformed JSON");
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(file, lineNo, "expected a JSON object with \"prompt\" or \"messages\"");
        }
        String source = file.getFileName() + ":" + lineNo;
        if (node.has("meta") && node.has("messages") && node.has("id")) {
            TrainingRecord rec = RecordJson.parse(line, file.toString(), lineNo);
            List<Message> msgs = new ArrayList<>(rec.messages());
            while (!msgs.isEmpty() && msgs.get(msgs.size() - 1).role() == Role.ASSISTANT) {
                msgs.remove(msgs.size() - 1);
            }
            if (msgs.isEmpty()) {
                throw new BadInputException(file, lineNo, "record " + rec.id() + " has no message before its answer");
            }
            return new Row(ordinal, rec.id(), msgs, rec.meta(), source);
        }
        List<Message> msgs = new ArrayList<>();
        if (node.has("prompt")) {
            if (!node.get("prompt").isTextual()) {
                throw new BadInputException(file, lineNo, "\"prompt\" must be a string");
            }
            msgs.add(Message.user(node.get("prompt").asText()));
        } else if (node.has("messages") && node.get("messages").isArray() && !node.get("messages").isEmpty()) {
            JsonNode arr = node.get("messages");
            for (int i = 0; i < arr.size(); i++) {
                JsonNode m = arr.get(i);
                if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                    throw new BadInputException(file, lineNo, "messages[" + i + "] needs string \"role\" and \"content\"");
                }
                Role role;
                try {
                    role = Role.fromWire(m.get("role").asText());
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(file, lineNo, "messages[" + i + "].role '" + m.get("role").asText()
                            + "' is not system, user or assistant");
                }
                msgs.add(Message.of(role, m.get("content").asText(), false));
            }
        } else {
            throw new BadInputException(file, lineNo, "a row needs \"prompt\" (a string) or \"messages\" (a non-empty list)");
        }
        String id = node.path("id").isTextual() || node.path("id").isNumber() ? node.get("id").asText() : derivedId(msgs);
        return new Row(ordinal, id, msgs, Map.of(), source);
    }

    /** {@code row-} and 16 hex digits of the sha256 of the messages. */
    static String derivedId(List<Message> msgs) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Message m : msgs) {
                d.update(m.role().wireName().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(m.content().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
            }
            return "row-" + HexFormat.of().formatHex(d.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BufferedReader reader(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new GZIPInputStream(in, 1 << 16);
        }
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return new BufferedReader(new InputStreamReader(in, decoder), 1 << 16);
    }

    /** Input meta with the keys that the output's own meta sets removed. */
    static Map<String, Object> inputMeta(Row row) {
        Map<String, Object> m = new LinkedHashMap<>(row.meta());
        m.remove("design");
        m.remove("generation");
        return m;
    }
}
