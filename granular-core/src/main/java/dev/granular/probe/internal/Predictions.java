package dev.granular.probe.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Model outputs produced elsewhere, one JSON object a line: {@code {"samples": ["…"]}} (the
 * public probing kit's format; the first sample is scored) or {@code {"prediction": "…"}},
 * each with an optional {@code id}. They are matched to probes by id when every line has one,
 * else by order when the counts agree; anything else would score the wrong replies, so it
 * is refused.
 */
public final class Predictions {
    private record Line(String id, String text) {
    }

    /** Blank lines skipped; ids, where given, unique. */
    private static final JsonlInput.Format<Line> FORMAT = JsonlInput.Format.of(Predictions::parse, Line::id);

    private Predictions() {
    }

    /** The prediction for each probe id, in {@code probeIds} order. */
    public static List<String> align(Path file, List<String> probeIds) {
        return align(List.of(file), probeIds);
    }

    /**
     * The prediction for each probe id, in {@code probeIds} order, from one or more files (or
     * folders of them): matched by id when every line has one, else by position across the inputs in order.
     */
    public static List<String> align(List<Path> inputs, List<String> probeIds) {
        List<Line> lines = JsonlInput.readAll(inputs, FORMAT, 0);
        String file = JsonlInput.names(inputs);
        boolean allIds = lines.stream().allMatch(l -> l.id() != null);
        List<String> out = new ArrayList<>(probeIds.size());
        if (allIds) {
            Map<String, Line> byId = new HashMap<>();
            lines.forEach(l -> byId.put(l.id(), l)); // the reader refused repeated ids
            for (String id : probeIds) {
                Line l = byId.get(id);
                if (l == null) {
                    throw new BadInputException(file + ": no prediction for probe \"" + id + "\"");
                }
                out.add(l.text());
            }
            return out;
        }
        if (lines.size() != probeIds.size()) {
            throw new BadInputException(file + ": " + lines.size() + " predictions for " + probeIds.size()
                    + " probes, and not every line has an \"id\" to match them by");
        }
        lines.forEach(l -> out.add(l.text()));
        return out;
    }

    private static Line parse(String s, JsonlInput.Line at, long ordinal) {
        JsonNode n = JsonlInput.tree(s, at);
        if (n == null || !n.isObject()) {
            throw at.error("expected a JSON object");
        }
        String id = n.path("id").isTextual() ? n.get("id").asText() : null;
        JsonNode samples = n.get("samples");
        if (samples != null) {
            if (!samples.isArray() || samples.isEmpty() || !samples.get(0).isTextual()) {
                throw at.error("\"samples\" must be a non-empty array of strings");
            }
            return new Line(id, Message.requireWellFormed("samples[0]", samples.get(0).asText()));
        }
        JsonNode p = n.get("prediction");
        if (p == null || !p.isTextual()) {
            throw at.error("expected \"samples\": [\"…\"] or \"prediction\": \"…\"");
        }
        return new Line(id, Message.requireWellFormed("prediction", p.asText()));
    }
}
