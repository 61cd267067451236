package dev.granular.record;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One training example: a conversation plus where it came from. This is the unit every
 * granular command writes, one JSON line each (see {@link RecordJson} and docs/format.md).
 *
 * @param id       unique within a dataset, non-empty; lets a bad example be traced back
 * @param messages the conversation, non-empty (unmodifiable copy)
 * @param tools    tool definitions handed to the chat template, or null when absent;
 *                 each element is a JSON value (unmodifiable deep copy)
 * @param meta     provenance: must hold a non-empty string {@code design} (the data design that
 *                 made the record, e.g. {@code "in2"}); the other keys are free-form JSON values.
 *                 Insertion order is kept so that records are written byte-for-byte reproducibly
 *                 (unmodifiable deep copy)
 */
public record TrainingRecord(String id, List<Message> messages, List<Object> tools, Map<String, Object> meta) {

    public TrainingRecord {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("id: must be a non-empty string");
        }
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("messages: must not be empty");
        }
        messages = Collections.unmodifiableList(new ArrayList<>(messages));
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new IllegalArgumentException("messages[" + i + "]: must not be null");
            }
        }
        if (tools != null) {
            tools = JsonValues.copyList(tools, "tools");
        }
        if (meta == null) {
            throw new IllegalArgumentException("meta: must not be null");
        }
        meta = JsonValues.copyMap(meta, "meta");
        if (!(meta.get("design") instanceof String design) || design.isEmpty()) {
            throw new IllegalArgumentException("meta.design: must be a non-empty string (the data design, e.g. \"in2\"), found "
                    + (meta.containsKey("design") ? describe(meta.get("design")) : "nothing"));
        }
    }

    /** The data design that produced this record, e.g. {@code "in2"}. */
    public String design() {
        return (String) meta.get("design");
    }

    private static String describe(Object value) {
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }
}
