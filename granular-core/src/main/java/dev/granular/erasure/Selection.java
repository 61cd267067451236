package dev.granular.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * How each task category gets its strategy ({@code --select}). A closed set: one strategy for
 * everything, a given map, or measured accuracy on calibration tasks.
 */
public sealed interface Selection permits Selection.Fixed, Selection.Mapped, Selection.Auto {

    /** For the manifest and the run's fingerprint. */
    Map<String, Object> toJson();

    /**
     * Two entries in this order. Not {@code Map.of}, whose iteration order differs from JVM to JVM:
     * this map is part of the output folder's fingerprint, which must be the same in every process.
     */
    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    /** {@code fixed:NAME}: every task uses one strategy. */
    record Fixed(String strategy) implements Selection {
        @Override
        public Map<String, Object> toJson() {
            return ordered("mode", "fixed", "strategy", strategy);
        }
    }

    /** {@code map:FILE}: category → strategy; categories the map does not name use the default. */
    record Mapped(Map<String, String> byCategory) implements Selection {
        public Mapped {
            byCategory = Collections.unmodifiableMap(new TreeMap<>(byCategory));
        }

        @Override
        public Map<String, Object> toJson() {
            return ordered("mode", "map", "map", byCategory);
        }
    }

    /**
     * {@code auto}: every strategy answers up to {@code calibration} answered tasks of each
     * category (a seeded choice); the most accurate wins.
     */
    record Auto(int calibration) implements Selection {
        public Auto {
            if (calibration < 1) {
                throw new dev.granular.io.InvalidConfigException("${calibration} must be at least 1, got " + calibration);
            }
        }

        @Override
        public Map<String, Object> toJson() {
            return ordered("mode", "auto", "calibration", calibration);
        }
    }

    /**
     * Parses {@code auto}, {@code fixed:NAME} or {@code map:FILE} (YAML or JSON object of
     * category → strategy name). Strategy names are checked against {@code library}.
     */
    public static Selection parse(String spec, int calibration, StrategyLibrary library) {
        String s = spec.strip();
        if (s.equals("auto")) {
            return new Auto(calibration);
        }
        if (s.startsWith("fixed:")) {
            return new Fixed(library.get(s.substring(6)).name());
        }
        if (s.startsWith("map:")) {
            Path file = Path.of(s.substring(4));
            JsonNode root;
            try {
                String name = file.getFileName().toString();
                ObjectMapper mapper = name.endsWith(".json") ? new ObjectMapper() : new YAMLMapper();
                root = mapper.readTree(file.toFile());
            } catch (IOException e) {
                throw new BadInputException(file.toString(), 0, "cannot read the strategy map: " + e.getMessage());
            }
            if (root == null || !root.isObject()) {
                throw new BadInputException(file.toString(), 0, "expected a mapping of category to strategy name");
            }
            Map<String, String> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new BadInputException(file.toString(), 0, "category '" + e.getKey() + "': the strategy must be a name");
                }
                try {
                    m.put(e.getKey(), library.get(e.getValue().asText()).name());
                } catch (BadInputException ex) {
                    throw new BadInputException(file.toString(), 0, "category '" + e.getKey() + "': " + ex.getMessage());
                }
            }
            return new Mapped(m);
        }
        throw new dev.granular.io.InvalidConfigException("${selection} " + s + ": expected auto, fixed:NAME or map:FILE");
    }
}
