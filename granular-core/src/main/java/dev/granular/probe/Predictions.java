package dev.granular.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
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
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Line(String id, String text, long no) {
    }

    private Predictions() {
    }

    /** The prediction for each probe id, in {@code probeIds} order. */
    public static List<String> align(Path file, List<String> probeIds) {
        List<Line> lines = read(file);
        boolean allIds = lines.stream().allMatch(l -> l.id() != null);
        List<String> out = new ArrayList<>(probeIds.size());
        if (allIds) {
            Map<String, Line> byId = new HashMap<>();
            for (Line l : lines) {
                if (byId.putIfAbsent(l.id(), l) != null) {
                    throw new BadInputException(file, l.no(), "duplicate id \"" + l.id() + "\"");
                }
            }
            for (String id : probeIds) {
                Line l = byId.get(id);
                if (l == null) {
                    throw new BadInputException(file, 0, "no prediction for probe \"" + id + "\"");
                }
                out.add(l.text());
            }
            return out;
        }
        if (lines.size() != probeIds.size()) {
            throw new BadInputException(file, 0, lines.size() + " predictions for " + probeIds.size()
                    + " probes, and not every line has an \"id\" to match them by");
        }
        lines.forEach(l -> out.add(l.text()));
        return out;
    }

    private static List<Line> read(Path file) {
        List<Line> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file)) {
            String s;
            long no = 0;
            while ((s = r.readLine()) != null) {
                no++;
                if (!s.isBlank()) {
                    out.add(parse(s, file, no));
                }
            }
        } catch (IOException e) {
            throw new BadInputException(file, 0, "cannot read: " + e.getMessage());
        }
        return out;
    }

    private static Line parse(String s, Path file, long no) {
        JsonNode n;
        try {
            n = JSON.readTree(s);
        } catch (IOException e) {
            throw new BadInputException(file, no, "not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw new BadInputException(file, no, "expected a JSON object");
        }
        String id = n.path("id").isTextual() ? n.get("id").asText() : null;
        JsonNode samples = n.get("samples");
        if (samples != null) {
            if (!samples.isArray() || samples.isEmpty() || !samples.get(0).isTextual()) {
                throw new BadInputException(file, no, "\"samples\" must be a non-empty array of strings");
            }
            return new Line(id, samples.get(0).asText(), no);
        }
        JsonNode p = n.get("prediction");
        if (p == null || !p.isTextual()) {
            throw new BadInputException(file, no, "expected \"samples\": [\"…\"] or \"prediction\": \"…\"");
        }
        return new Line(id, p.asText(), no);
    }
}
