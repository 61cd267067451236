package dev.granular.probe.internal;

import dev.granular.files.AtomicFiles;
import dev.granular.probe.ScoreSheet;
import dev.granular.report.Charts;
import dev.granular.report.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;

/**
 * The evaluation's report folder: {@code scores.json}, {@code positions.png} (accuracy by
 * position, one line per task, averaged per bin: the FILM figure), {@code needle.png} (depth ×
 * length heat map) and a self-contained {@code index.html} that shows both with the numbers.
 */
public final class EvalReport {
    private EvalReport() {
    }

    public static void write(Path reportDir, ScoreSheet sheet, String title) throws IOException {
        Json.writeAtomically(reportDir.resolve("scores.json"), sheet.toJson());
        if (!sheet.tasks().isEmpty()) {
            Charts.png(positionsChart(sheet, title), reportDir.resolve("positions.png"));
        }
        if (sheet.needle() != null) {
            heatMap(reportDir.resolve("needle.png"), sheet.needle(), title);
        }
        AtomicFiles.write(reportDir.resolve("index.html"), html(sheet, title));
    }

    /** Accuracy (%) per bin, one line per task: the FILM figure, in the same percent as the tables. */
    static XYChart positionsChart(ScoreSheet sheet, String title) {
        Map<String, double[][]> series = new LinkedHashMap<>();
        sheet.tasks().forEach((t, s) -> series.put(t.id(), binLine(s)));
        return Charts.lineChart("Accuracy by position: " + title, "position of the probed item in the context",
                "accuracy (%)", series, 0, 100);
    }

    /** Bin accuracies (%) plotted at the middle position of each bin, so the x axis stays in positions. */
    static double[][] binLine(ScoreSheet.TaskScores s) {
        int bins = s.bins().length;
        double width = (double) s.positions().length / bins;
        double[] xs = new double[bins];
        for (int b = 0; b < bins; b++) {
            xs[b] = Math.min(s.positions().length - 1, b * width + (width - 1) / 2);
        }
        return new double[][] {xs, percent(s.bins())};
    }

    static void heatMap(Path out, ScoreSheet.Needle n, String title) throws IOException {
        Charts.png(heatMapChart(n, title), out);
    }

    static HeatMapChart heatMapChart(ScoreSheet.Needle n, String title) {
        List<String> xs = new ArrayList<>();
        for (int l : n.lengths()) {
            xs.add(Charts.formatNumber(l));
        }
        List<String> ys = new ArrayList<>();
        for (int d : n.depths()) {
            ys.add(d + "%");
        }
        List<Number[]> cells = new ArrayList<>();
        for (int i = 0; i < n.depths().length; i++) {
            for (int j = 0; j < n.lengths().length; j++) {
                if (!Double.isNaN(n.cells()[i][j])) {
                    cells.add(new Number[] {j, i, Math.round(n.cells()[i][j] * 100)});
                }
            }
        }
        return Charts.heatMap("Needle in a haystack, accuracy (%): " + title, "context length (tokens)",
                "needle depth (% of the context)", xs, ys, cells, 0, 100, "0'%'");
    }

    /** Fractions 0..1 as percentages 0..100, NaN kept. */
    static double[] percent(double[] fractions) {
        double[] p = new double[fractions.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = fractions[i] * 100;
        }
        return p;
    }

    /** The look of every eval page: readable width, bordered tables, numbers right-aligned. */
    static final String CSS = "<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
            + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}"
            + "th{background:#f3f3f3}th:first-child,td:first-child{text-align:left}img{max-width:100%}</style>";

    static String html(ScoreSheet sheet, String title) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(esc(title)).append("</title>\n").append(CSS).append("</head><body>\n");
        h.append("<h1>Lost in the middle: ").append(esc(title)).append("</h1>\n");
        if (!sheet.tasks().isEmpty()) {
            h.append("<p>Avg is the mean of the bin accuracies; Gap is the best bin minus the worst (smaller is more uniform). "
                    + "Numbers are percentages.</p>\n<table><tr><th>task</th><th>probes</th><th>Avg</th><th>Gap</th></tr>\n");
            sheet.tasks().forEach((t, s) -> h.append(row(t.id(), String.valueOf(s.probes()), s.avg(), s.gap())));
            h.append(row("All", "", sheet.allAvg(), sheet.allGap())).append("</table>\n");
            h.append("<p><img src=\"positions.png\" alt=\"accuracy by position\"></p>\n");
        }
        if (sheet.needle() != null) {
            ScoreSheet.Needle n = sheet.needle();
            h.append("<h2>Needle in a haystack</h2>\n<table><tr><th>depth \\ length</th>");
            for (int l : n.lengths()) {
                h.append("<th>").append(l).append("</th>");
            }
            h.append("</tr>\n");
            for (int i = 0; i < n.depths().length; i++) {
                h.append("<tr><td>").append(n.depths()[i]).append("%</td>");
                for (int j = 0; j < n.lengths().length; j++) {
                    h.append("<td>").append(pct(n.cells()[i][j])).append("</td>");
                }
                h.append("</tr>\n");
            }
            h.append("</table>\n<p>Avg ").append(pct(n.avg())).append(", Gap across depths ").append(pct(n.gap())).append("</p>\n");
            h.append("<p><img src=\"needle.png\" alt=\"needle heat map\"></p>\n");
        }
        return h.append("<p>Raw numbers: <a href=\"scores.json\">scores.json</a></p>\n</body></html>\n").toString();
    }

    private static String row(String name, String probes, double avg, double gap) {
        return "<tr><td>" + esc(name) + "</td><td>" + probes + "</td><td>" + pct(avg) + "</td><td>" + pct(gap) + "</td></tr>\n";
    }

    static String pct(double x) {
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%.1f", x * 100);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
