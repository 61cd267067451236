package dev.granular.probe.internal;

import dev.granular.probe.ProbeTask;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The paper's metrics, one per task, each a pure function of the gold answer and the reply.
 * Document gets partial credit (word recall); the others are right or wrong.
 */
public final class Scorers {
    private Scorers() {
    }

    /**
     * The score of {@code prediction} (0..1).
     *
     * @param gold a string, or for database a map with {@code label} and {@code description}
     */
    public static double score(ProbeTask task, Object gold, String prediction) {
        return switch (task) {
            case DOCUMENT -> wordRecall((String) gold, prediction);
            case CODE -> prediction.contains((String) gold) ? 1 : 0;
            case DATABASE -> {
                Map<?, ?> g = (Map<?, ?>) gold;
                yield containsIgnoringCase(prediction, (String) g.get("label"))
                        || containsIgnoringCase(prediction, (String) g.get("description")) ? 1 : 0;
            }
            case NEEDLE -> containsIgnoringCase(prediction, (String) gold) ? 1 : 0;
        };
    }

    /** |gold words ∩ predicted words| / |gold words|, words lower-cased and split on whitespace, as sets. */
    public static double wordRecall(String gold, String prediction) {
        Set<String> g = words(gold);
        if (g.isEmpty()) {
            return 0;
        }
        Set<String> p = words(prediction);
        long hit = g.stream().filter(p::contains).count();
        return (double) hit / g.size();
    }

    /** Whether {@code prediction} contains {@code gold}, case-insensitively, ignoring a trailing period of the gold. */
    public static boolean containsIgnoringCase(String prediction, String gold) {
        String g = gold.strip();
        if (g.endsWith(".")) {
            g = g.substring(0, g.length() - 1);
        }
        return !g.isEmpty() && prediction.toLowerCase(Locale.ROOT).contains(g.toLowerCase(Locale.ROOT));
    }

    private static Set<String> words(String s) {
        String t = s.toLowerCase(Locale.ROOT).strip();
        return t.isEmpty() ? Set.of() : new HashSet<>(Arrays.asList(t.split("\\s+")));
    }
}
