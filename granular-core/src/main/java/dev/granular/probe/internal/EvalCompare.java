package dev.granular.probe.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.files.AtomicFiles;
import dev.granular.io.BadInputException;
import dev.granular.report.Charts;
import dev.granular.report.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.XYChart;

/**
 * {@code granular eval-compare}: several eval runs (models, or checkpoints before and after
 * IN2 training) on one plot and in one table, read from each run's {@code report/scores.json}.
 */
public final class EvalCompare {
    /** One run's numbers: per task Avg and Gap and the bin curve, plus All. */
    public record Run(String name, Map<String, double[]> avgGap, Map<String, double[]> bins) {
    }

    private EvalCompare() {
    }

    public static List<Run> read(List<Path> runDirs) {
        List<Run> runs = new ArrayList<>();
        for (Path d : runDirs) {
            Path f = d.resolve("report").resolve("scores.json");
            if (!Files.isRegularFile(f)) {
                throw new BadInputException(f, 0, "missing: not a finished granular eval run");
            }
            JsonNode n;
            try {
                n = Json.mapper().readTree(f.toFile());
            } catch (IOException e) {
                throw new BadInputException(f, 0, "not valid JSON: " + e.getMessage());
            }
            Map<String, double[]> ag = new LinkedHashMap<>();
            Map<String, double[]> bins = new LinkedHashMap<>();
            n.path("tasks").properties().forEach(e -> {
                ag.put(e.getKey(), new double[] {e.getValue().path("avg").asDouble(), e.getValue().path("gap").asDouble()});
                JsonNode b = e.getValue().path("bins");
                double[] xs = new double[b.size()];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = b.get(i).asDouble(Double.NaN);
                }
                bins.put(e.getKey(), xs);
            });
            if (n.has("all")) {
                ag.put("All", new double[] {n.path("all").path("avg").asDouble(), n.path("all").path("gap").asDouble()});
            }
            if (n.has("needle")) {
                ag.put("needle", new double[] {n.path("needle").path("avg").asDouble(), n.path("needle").path("gap").asDouble()});
            }
            String name = d.toAbsolutePath().normalize().getFileName().toString();
            runs.add(new Run(name, ag, bins));
        }
        return runs;
    }

    /** One line per run and task: accuracy (%) per position bin. */
    static XYChart chart(Map<String, double[][]> series) {
        return Charts.lineChart("Accuracy by position bin, per run and task", "position bin (0 = start of the context)",
                "accuracy (%)", series, 0, 100);
    }

    /** compare.png (one line per run and task, accuracy per bin), compare.md and compare.html. */
    public static void write(List<Run> runs, Path out) throws IOException {
        Files.createDirectories(out);
        Map<String, double[][]> series = new LinkedHashMap<>();
        for (Run r : runs) {
            r.bins().forEach((task, b) -> {
                double[] xs = new double[b.length];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = i;
                }
                series.put(r.name() + " · " + task, new double[][] {xs, EvalReport.percent(b)});
            });
        }
        if (!series.isEmpty()) {
            Charts.png(chart(series), out.resolve("compare.png"));
        }
        Set<String> cols = new LinkedHashSet<>();
        runs.forEach(r -> cols.addAll(r.avgGap().keySet()));
        StringBuilder md = new StringBuilder("| run |");
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>eval-compare</title>"
                + EvalReport.CSS + "</head><body>\n"
                + "<h1>Lost in the middle: comparison</h1>\n<p>Avg / Gap in percent.</p>\n<table><tr><th>run</th>");
        for (String c : cols) {
            md.append(' ').append(c).append(" Avg | ").append(c).append(" Gap |");
            html.append("<th>").append(EvalReport.esc(c)).append(" Avg</th><th>").append(EvalReport.esc(c)).append(" Gap</th>");
        }
        md.append("\n|---|").append("---|---|".repeat(cols.size())).append('\n');
        html.append("</tr>\n");
        for (Run r : runs) {
            md.append("| ").append(r.name()).append(" |");
            html.append("<tr><td>").append(EvalReport.esc(r.name())).append("</td>");
            for (String c : cols) {
                double[] v = r.avgGap().getOrDefault(c, new double[] {Double.NaN, Double.NaN});
                md.append(' ').append(EvalReport.pct(v[0])).append(" | ").append(EvalReport.pct(v[1])).append(" |");
                html.append("<td>").append(EvalReport.pct(v[0])).append("</td><td>").append(EvalReport.pct(v[1])).append("</td>");
            }
            md.append('\n');
            html.append("</tr>\n");
        }
        html.append("</table>\n").append(series.isEmpty() ? "" : "<p><img src=\"compare.png\" alt=\"comparison\"></p>\n")
                .append("</body></html>\n");
        AtomicFiles.write(out.resolve("compare.md"), md.toString());
        AtomicFiles.write(out.resolve("compare.html"), html.toString());
    }
}
