package dev.granular.probe.internal;

import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Computes a {@link ScoreSheet} from scored probes: every position counts, the last of each bin included. */
public final class ScoreSheets {
    private ScoreSheets() {
    }

    /** The sheet of {@code rows}: VAL tasks by position and bin, the needle grid apart. */
    public static ScoreSheet of(List<Scored> rows) {
        Map<ProbeTask, List<Scored>> byTask = new EnumMap<>(ProbeTask.class);
        rows.forEach(r -> byTask.computeIfAbsent(r.task(), t -> new ArrayList<>()).add(r));
        Map<ProbeTask, ScoreSheet.TaskScores> tasks = new EnumMap<>(ProbeTask.class);
        ScoreSheet.Needle needle = null;
        for (var e : byTask.entrySet()) {
            if (e.getKey().isVal()) {
                tasks.put(e.getKey(), val(e.getValue()));
            } else {
                needle = needle(e.getValue());
            }
        }
        Double allAvg = tasks.isEmpty() ? null : tasks.values().stream().mapToDouble(ScoreSheet.TaskScores::avg).average().orElseThrow();
        Double allGap = tasks.isEmpty() ? null : tasks.values().stream().mapToDouble(ScoreSheet.TaskScores::gap).average().orElseThrow();
        return new ScoreSheet(tasks, needle, allAvg, allGap);
    }

    static ScoreSheet.TaskScores val(List<Scored> rows) {
        int positions = rows.stream().mapToInt(Scored::position).max().orElseThrow() + 1;
        double[] sum = new double[positions];
        int[] n = new int[positions];
        Map<Integer, int[]> binOf = new TreeMap<>();
        for (Scored r : rows) {
            sum[r.position()] += r.score();
            n[r.position()]++;
            binOf.computeIfAbsent(r.bin(), b -> new int[] {Integer.MAX_VALUE, -1});
            int[] range = binOf.get(r.bin());
            range[0] = Math.min(range[0], r.position());
            range[1] = Math.max(range[1], r.position());
        }
        double[] acc = new double[positions];
        for (int p = 0; p < positions; p++) {
            acc[p] = n[p] == 0 ? Double.NaN : sum[p] / n[p];
        }
        double[] bins = new double[binOf.size()];
        int b = 0;
        for (int[] range : binOf.values()) {
            double s = 0;
            int c = 0;
            for (int p = range[0]; p <= range[1]; p++) {
                if (n[p] > 0) {
                    s += acc[p];
                    c++;
                }
            }
            bins[b++] = s / c;
        }
        double avg = java.util.Arrays.stream(bins).average().orElseThrow();
        double gap = java.util.Arrays.stream(bins).max().orElseThrow() - java.util.Arrays.stream(bins).min().orElseThrow();
        return new ScoreSheet.TaskScores(acc, bins, avg, gap, rows.size());
    }

    static ScoreSheet.Needle needle(List<Scored> rows) {
        TreeSet<Integer> depths = new TreeSet<>();
        TreeSet<Integer> lengths = new TreeSet<>();
        rows.forEach(r -> {
            depths.add(r.depthPercent());
            lengths.add(r.length());
        });
        int[] ds = depths.stream().mapToInt(Integer::intValue).toArray();
        int[] ls = lengths.stream().mapToInt(Integer::intValue).toArray();
        double[][] sum = new double[ds.length][ls.length];
        int[][] n = new int[ds.length][ls.length];
        for (Scored r : rows) {
            int i = java.util.Arrays.binarySearch(ds, r.depthPercent());
            int j = java.util.Arrays.binarySearch(ls, r.length());
            sum[i][j] += r.score();
            n[i][j]++;
        }
        double[][] cells = new double[ds.length][ls.length];
        double[] byDepth = new double[ds.length];
        double total = 0;
        int filled = 0;
        for (int i = 0; i < ds.length; i++) {
            double rowSum = 0;
            int rowN = 0;
            for (int j = 0; j < ls.length; j++) {
                cells[i][j] = n[i][j] == 0 ? Double.NaN : sum[i][j] / n[i][j];
                if (n[i][j] > 0) {
                    rowSum += cells[i][j];
                    rowN++;
                    total += cells[i][j];
                    filled++;
                }
            }
            byDepth[i] = rowSum / rowN;
        }
        double gap = java.util.Arrays.stream(byDepth).max().orElseThrow() - java.util.Arrays.stream(byDepth).min().orElseThrow();
        return new ScoreSheet.Needle(ds, ls, cells, total / filled, gap, rows.size());
    }
}
