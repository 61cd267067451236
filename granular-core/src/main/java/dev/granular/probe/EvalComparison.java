package dev.granular.probe;

import dev.granular.probe.internal.EvalCompare;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code granular eval-compare}: several finished {@link EvalJob} runs (models, or checkpoints before and after IN2
 * training) side by side, read from each run's {@code report/scores.json}.
 *
 * <pre>{@code
 * List<EvalComparison.Run> runs = EvalComparison.write(List.of(Path.of("out/eval-base"), Path.of("out/eval-in2")),
 *         Path.of("out/compare"));   // compare.png, compare.md, compare.html
 * double gap = runs.get(1).tasks().get("All").gap();
 * }</pre>
 */
public final class EvalComparison {
    /**
     * One task's scores in one run.
     *
     * @param avg  the accuracy over all positions, 0 to 1
     * @param gap  the best position bin's accuracy minus the worst's, 0 to 1 (lost in the middle shows as a large gap)
     * @param bins the accuracy per position bin from the start of the context (NaN for a bin without probes); empty for
     *             the summary columns {@code All} and {@code needle}
     */
    public record Scores(double avg, double gap, List<Double> bins) {
        public Scores {
            bins = List.copyOf(bins);
        }
    }

    /**
     * One eval run, named by its folder.
     *
     * @param tasks scores per task ({@code document}, {@code code}, {@code database}), then {@code All} and
     *              {@code needle} where the run has them
     */
    public record Run(String name, Map<String, Scores> tasks) {
        public Run {
            tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        }
    }

    private EvalComparison() {
    }

    /**
     * The scores of each finished eval run in {@code evalOutputs}, in order.
     *
     * @throws dev.granular.io.BadInputException naming {@code report/scores.json} of a folder that is not a finished eval
     */
    public static List<Run> read(List<Path> evalOutputs) {
        return scores(EvalCompare.read(evalOutputs));
    }

    private static List<Run> scores(List<EvalCompare.Run> read) {
        List<Run> runs = new ArrayList<>();
        for (EvalCompare.Run r : read) {
            Map<String, Scores> tasks = new LinkedHashMap<>();
            r.avgGap().forEach((task, ag) -> {
                double[] bins = r.bins().getOrDefault(task, new double[0]);
                tasks.put(task, new Scores(ag[0], ag[1], Arrays.stream(bins).boxed().toList()));
            });
            runs.add(new Run(r.name(), tasks));
        }
        return runs;
    }

    /**
     * Reads the runs as {@link #read} does and writes their comparison into {@code out}: {@code compare.png} (accuracy
     * per position bin, a line per run and task), {@code compare.md} and {@code compare.html} (Avg and Gap per run and
     * task, in percent). Each file appears whole.
     */
    public static List<Run> write(List<Path> evalOutputs, Path out) {
        List<EvalCompare.Run> runs = EvalCompare.read(evalOutputs);
        try {
            EvalCompare.write(runs, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return scores(runs);
    }
}
