package dev.granular.probe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracy by position, by bin, and the paper's two numbers: Avg (mean of the bin
 * accuracies) and Gap (best bin minus worst bin; small means the model uses every part of
 * its context alike). Every position counts, the last of each bin included (the public
 * scorer drops it; we do not). "All" is the mean over the VAL tasks present, as in the
 * paper; the needle grid is reported beside it, not in it. {@link EvalJob.Result#sheet()} is one; the arrays are the
 * run's own numbers, not copies.
 */
public record ScoreSheet(Map<ProbeTask, TaskScores> tasks, Needle needle, Double allAvg, Double allGap) {

    /** One VAL task: accuracy per position (mean over sets) and per bin. */
    public record TaskScores(double[] positions, double[] bins, double avg, double gap, int probes) {
    }

    /** The needle grid: {@code cells[i][j]} is the accuracy at depth {@code depths[i]} and length {@code lengths[j]}. */
    public record Needle(int[] depths, int[] lengths, double[][] cells, double avg, double gap, int probes) {
    }

    /** scores.json: per task the positions, bins, Avg and Gap; "all"; the needle grid. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> ts = new LinkedHashMap<>();
        tasks.forEach((t, s) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("probes", s.probes());
            x.put("avg", s.avg());
            x.put("gap", s.gap());
            x.put("bins", s.bins());
            x.put("positions", s.positions());
            ts.put(t.id(), x);
        });
        m.put("tasks", ts);
        if (allAvg != null) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("avg", allAvg);
            all.put("gap", allGap);
            m.put("all", all);
        }
        if (needle != null) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("probes", needle.probes());
            x.put("avg", needle.avg());
            x.put("gap", needle.gap());
            x.put("depths", needle.depths());
            x.put("lengths", needle.lengths());
            x.put("cells", needle.cells());
            m.put("needle", x);
        }
        return m;
    }
}
