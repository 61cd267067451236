package dev.granular.erasure.internal;

import dev.granular.erasure.DistillJob;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The pure half of {@code --select auto}: which tasks calibrate each category, and which
 * strategy wins from the judged answers. The LLM calls in between happen in {@link DistillJob}.
 *
 * <p>Both halves are deterministic, so a rerun (or a resume) calibrates on the same tasks and
 * picks the same strategies: the sample is a seeded shuffle keyed by task id (not by position
 * or thread timing), and ties are broken by mean answer length (shorter wins: the same accuracy
 * for fewer tokens), then by name.
 */
public final class Calibration {
    private Calibration() {
    }

    /** One cell of the category × strategy table. */
    public record Cell(String category, String strategy, int judged, int correct, long answerChars) {
        public double accuracy() {
            return judged == 0 ? Double.NaN : (double) correct / judged;
        }

        public double meanLength() {
            return judged == 0 ? Double.NaN : (double) answerChars / judged;
        }
    }

    /**
     * Up to {@code perCategory} tasks with gold answers from each category, by category name.
     * Categories with no answered task are absent.
     */
    public static Map<String, List<DistillTask>> sample(List<DistillTask> tasks, int perCategory, long seed) {
        Map<String, List<DistillTask>> byCategory = new TreeMap<>();
        for (DistillTask t : tasks) {
            if (t.answered()) {
                byCategory.computeIfAbsent(t.category(), k -> new ArrayList<>()).add(t);
            }
        }
        Map<String, List<DistillTask>> out = new LinkedHashMap<>();
        byCategory.forEach((category, list) -> {
            List<DistillTask> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingLong((DistillTask t) -> key(seed, t.id())).thenComparing(DistillTask::id));
            List<DistillTask> chosen = new ArrayList<>(sorted.subList(0, Math.min(perCategory, sorted.size())));
            chosen.sort(Comparator.comparingLong(DistillTask::ordinal));
            out.put(category, List.copyOf(chosen));
        });
        return out;
    }

    /** A seeded pseudo-random sort key of an id, the same on every JVM. */
    static long key(long seed, String id) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + id.hashCode()).nextLong();
    }

    /**
     * The winner among one category's cells: highest accuracy, then shortest mean answer, then
     * name. Cells with nothing judged never win.
     *
     * @throws IllegalArgumentException when no cell has a judged answer
     */
    public static String choose(List<Cell> cells) {
        return cells.stream().filter(c -> c.judged() > 0)
                .min(Comparator.comparingDouble(Cell::accuracy).reversed()
                        .thenComparingDouble(Cell::meanLength)
                        .thenComparing(Cell::strategy))
                .map(Cell::strategy)
                .orElseThrow(() -> new IllegalArgumentException("no judged answers to choose from"));
    }
}
