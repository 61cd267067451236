package dev.granular.erasure.internal;

import dev.granular.erasure.EraseFormat;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rows of {@code granular erase}: existing data whose system prompt is to be erased. Each row
 * becomes its id, the system prompt it carried (null when none) and the rest of the
 * conversation. Canonical records keep their masks, tools and meta as they are; in the other
 * shapes assistant turns are trained (ShareGPT's {@code weight: 0} turns, and messages with
 * {@code "train": false}, are not).
 */
public final class EraseInput {
    /**
     * One parsed row.
     *
     * @param erased   the system prompt(s) to erase, joined by a blank line; null when none
     * @param messages the other turns, with their training masks as the row had them
     * @param systemAt where the (first) system message stood among {@code messages}; 0 when none
     * @param tools    the row's tool definitions (canonical records), or null
     * @param meta     the row's own meta (canonical records), empty otherwise
     */
    public record Row(String id, String erased, List<Message> messages, int systemAt, List<Object> tools,
                      Map<String, Object> meta, EraseFormat format, String source) {
        public Row {
            messages = List.copyOf(messages);
            if (systemAt < 0 || systemAt > messages.size()) {
                throw new IllegalArgumentException("systemAt " + systemAt + " outside 0.." + messages.size());
            }
            meta = Collections.unmodifiableMap(new LinkedHashMap<>(meta));
        }

        /** A row without tools or meta of its own, its system prompt first. */
        Row(String id, String erased, List<Message> messages, EraseFormat format, String source) {
            this(id, erased, messages, 0, null, Map.of(), format, source);
        }
    }

    private EraseInput() {
    }

    /** How {@code erase} reads rows of {@code format}: blank lines skipped, ids unique across all inputs. */
    public static JsonlInput.Format<Row> format(EraseFormat format) {
        return JsonlInput.Format.of((text, at, ordinal) -> parse(text, at, ordinal, format), Row::id);
    }

    static Row parse(String line, JsonlInput.Line at, long ordinal, EraseFormat format) {
        Path file = Path.of(at.file());
        long lineNo = at.number();
        JsonNode n = JsonlInput.tree(line, at);
        if (n == null || !n.isObject()) {
            throw new BadInputException(file, lineNo, "expected a JSON object");
        }
        EraseFormat f = format == EraseFormat.AUTO ? detect(n, file, lineNo) : format;
        String id = n.path("id").isTextual() || n.path("id").isNumber() ? n.get("id").asText() : "row-" + ordinal;
        String source = file.getFileName() + ":" + lineNo;
        return switch (f) {
            case OPENORCA -> openOrca(n, file, lineNo, id, source);
            case SHAREGPT -> shareGpt(n, file, lineNo, id, source);
            // a granular record (meta.design) is read strictly so nothing of it is lost; other
            // messages rows may carry a meta of their own, which is kept as it is
            case MESSAGES -> n.path("meta").has("design") ? canonical(line, file, lineNo, source)
                    : messages(n, file, lineNo, id, source);
            case AUTO -> throw new IllegalStateException("detect never returns AUTO");
        };
    }

    static EraseFormat detect(JsonNode n, Path file, long lineNo) {
        if (n.has("conversations")) {
            return EraseFormat.SHAREGPT;
        }
        if (n.has("messages")) {
            return EraseFormat.MESSAGES;
        }
        if (n.has("question") && n.has("response")) {
            return EraseFormat.OPENORCA;
        }
        throw new BadInputException(file, lineNo, "not an OpenOrca (question, response), ShareGPT (conversations) "
                + "or messages row");
    }

    private static Row openOrca(JsonNode n, Path file, long lineNo, String id, String source) {
        for (String field : List.of("question", "response")) {
            if (!n.path(field).isTextual()) {
                throw new BadInputException(file, lineNo, "OpenOrca row needs a string \"" + field + "\"");
            }
        }
        JsonNode sp = n.get("system_prompt");
        if (sp != null && !sp.isNull() && !sp.isTextual()) {
            throw new BadInputException(file, lineNo, "\"system_prompt\" must be a string");
        }
        String erased = sp == null || sp.isNull() || sp.asText().isBlank() ? null : sp.asText();
        return new Row(id, erased, List.of(Message.user(n.get("question").asText()), Message.assistant(n.get("response").asText())),
                EraseFormat.OPENORCA, source);
    }

    private static Row shareGpt(JsonNode n, Path file, long lineNo, String id, String source) {
        JsonNode conv = n.get("conversations");
        if (conv == null || !conv.isArray() || conv.isEmpty()) {
            throw new BadInputException(file, lineNo, "\"conversations\" must be a non-empty list");
        }
        List<String> systems = new ArrayList<>();
        List<Message> msgs = new ArrayList<>();
        for (int i = 0; i < conv.size(); i++) {
            JsonNode t = conv.get(i);
            if (!t.path("from").isTextual() || !t.path("value").isTextual()) {
                throw new BadInputException(file, lineNo, "conversations[" + i + "] needs string \"from\" and \"value\"");
            }
            Role role = TaskReader.shareGptRole(t.get("from").asText(), file, lineNo, i);
            String value = t.get("value").asText();
            if (role == Role.SYSTEM) {
                systems.add(value);
            } else {
                boolean train = role == Role.ASSISTANT && (!t.has("weight") || t.get("weight").asDouble() != 0);
                msgs.add(Message.of(role, value, train));
            }
        }
        return new Row(id, erased(systems), requireTurns(msgs, file, lineNo), EraseFormat.SHAREGPT, source);
    }

    /**
     * A canonical record (it has {@code meta}; docs/format.md), read strictly: every turn keeps
     * its train flag, train_detail and reasoning_content, and the record its tools and meta,
     * because erasure replaces the system prompt and must not touch anything else.
     */
    private static Row canonical(String line, Path file, long lineNo, String source) {
        Row row = of(RecordJson.parse(line, file.toString(), lineNo), source);
        requireTurns(row.messages(), file, lineNo);
        return row;
    }

    /**
     * A canonical record as a row: its system turns are what is erased (joined by a blank line), every other turn,
     * the tools and the meta stay as they are. {@code source} may be null (a record that came from no file).
     */
    public static Row of(TrainingRecord rec, String source) {
        List<String> systems = new ArrayList<>();
        List<Message> msgs = new ArrayList<>();
        int systemAt = -1;
        for (Message m : rec.messages()) {
            if (m.role() == Role.SYSTEM) {
                systems.add(m.content());
                systemAt = systemAt < 0 ? msgs.size() : systemAt;
            } else {
                msgs.add(m);
            }
        }
        return new Row(rec.id(), erased(systems), msgs, Math.max(systemAt, 0), rec.tools(), rec.meta(), EraseFormat.MESSAGES, source);
    }

    private static Row messages(JsonNode n, Path file, long lineNo, String id, String source) {
        JsonNode arr = n.get("messages");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            throw new BadInputException(file, lineNo, "\"messages\" must be a non-empty list");
        }
        List<String> systems = new ArrayList<>();
        List<Message> msgs = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode m = arr.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new BadInputException(file, lineNo, "messages[" + i + "] needs string \"role\" and \"content\"");
            }
            Role role = TaskReader.role(m.get("role").asText().toLowerCase(Locale.ROOT), file, lineNo, "messages[" + i + "].role");
            if (role == Role.SYSTEM) {
                systems.add(m.get("content").asText());
            } else {
                // an explicit "train" is the row's own mask and is kept; without one, assistant turns are trained
                boolean train = m.path("train").isBoolean() ? m.get("train").asBoolean() : role == Role.ASSISTANT;
                msgs.add(Message.of(role, m.get("content").asText(), train));
            }
        }
        JsonNode meta = n.get("meta");
        if (meta != null && !meta.isNull() && !meta.isObject()) {
            throw new BadInputException(file, lineNo, "\"meta\" must be an object");
        }
        Map<String, Object> ownMeta = meta == null || meta.isNull() ? Map.of() : USER_META.convertValue(meta, META_TYPE);
        return new Row(id, erased(systems), requireTurns(msgs, file, lineNo), 0, null, ownMeta, EraseFormat.MESSAGES, source);
    }

    private static final ObjectMapper USER_META = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> META_TYPE =
            new TypeReference<>() {
            };

    /** Several system turns are erased together, joined by a blank line. */
    private static String erased(List<String> systems) {
        String s = String.join("\n\n", systems.stream().filter(x -> !x.isBlank()).toList());
        return s.isEmpty() ? null : s;
    }

    private static List<Message> requireTurns(List<Message> msgs, Path file, long lineNo) {
        if (msgs.stream().noneMatch(m -> m.role() == Role.USER)) {
            throw new BadInputException(file, lineNo, "the row has no user turn");
        }
        if (msgs.stream().noneMatch(m -> m.role() == Role.ASSISTANT)) {
            throw new BadInputException(file, lineNo, "the row has no assistant turn to train on");
        }
        return msgs;
    }
}
