package dev.granular.probe.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import dev.granular.probe.ProbeTask;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a pieces file in the public VAL-probing format (JSONL, one item a line): document
 * {@code {"sentence", "piece"}}, code {@code {"function_name", "function_define", "piece"}},
 * database {@code {"id", "label", "dcpt"}}. Pieces files are the only way to probe with the
 * paper's own raw material, so every bad line is reported as {@code file:line}.
 */
public final class Pieces {
    private Pieces() {
    }

    public static List<Item> read(Path file, ProbeTask task) {
        if (!task.isVal()) {
            throw new dev.granular.io.InvalidConfigException("${pieces} is for the document, code and database tasks, not " + task.id());
        }
        List<Item> items = JsonlInput.readAll(List.of(file),
                JsonlInput.Format.of((text, at, ordinal) -> parse(text, task, at), item -> null), 0);
        if (items.isEmpty()) {
            throw new BadInputException(file, 0, "holds no pieces");
        }
        return items;
    }

    static Item parse(String line, ProbeTask task, JsonlInput.Line at) {
        Path file = Path.of(at.file());
        long no = at.number();
        JsonNode n = JsonlInput.tree(line, at);
        if (n == null || !n.isObject()) {
            throw new BadInputException(file, no, "expected a JSON object");
        }
        return switch (task) {
            case DOCUMENT -> {
                String sentence = field(n, "sentence", file, no);
                String piece = field(n, "piece", file, no);
                if (!sentence.contains(piece)) {
                    throw new BadInputException(file, no, "\"piece\" does not occur in \"sentence\"");
                }
                yield new Item.Sentence(sentence, piece);
            }
            case CODE -> {
                String body = field(n, "function_define", file, no);
                String piece = field(n, "piece", file, no);
                if (!body.contains(piece)) {
                    throw new BadInputException(file, no, "\"piece\" does not occur in \"function_define\"");
                }
                yield new Item.Function(field(n, "function_name", file, no), body, piece);
            }
            case DATABASE -> new Item.Entity(field(n, "id", file, no), field(n, "label", file, no), field(n, "dcpt", file, no));
            case NEEDLE -> throw new IllegalArgumentException("needle has no pieces");
        };
    }

    private static String field(JsonNode n, String name, Path file, long no) {
        JsonNode v = n.get(name);
        if (v == null || !v.isTextual()) {
            throw new BadInputException(file, no, "missing string field \"" + name + "\"");
        }
        if (v.asText().isBlank()) {
            throw new BadInputException(file, no, "field \"" + name + "\" is empty");
        }
        return Message.requireWellFormed(name, v.asText());
    }
}
