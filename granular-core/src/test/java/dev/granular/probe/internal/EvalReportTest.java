package dev.granular.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class EvalReportTest {
    @TempDir
    Path tmp;

    private Path dir() throws IOException {
        return dev.granular.report.ChartOutput.dir(tmp);
    }

    static ScoreSheet oneTask() {
        double[] positions = new double[40];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = 0.5 + 0.4 * Math.abs(i - 20) / 20.0;
        }
        Map<ProbeTask, ScoreSheet.TaskScores> tasks = new EnumMap<>(ProbeTask.class);
        tasks.put(ProbeTask.values()[0], new ScoreSheet.TaskScores(positions, new double[] {0.9, 0.7, 0.55, 0.7, 0.88},
                0.746, 0.35, 400));
        return new ScoreSheet(tasks, null, 0.746, 0.35);
    }

    @Test
    void writesThePositionsPlot() throws IOException {
        Path d = dir();
        EvalReport.write(d, oneTask(), "qwen3-8b");
        assertThat(d.resolve("positions.png")).isNotEmptyFile();
    }

    @Test
    void positionsArePercentLikeTheTablesWithALegendForOneTask() {
        XYChart chart = EvalReport.positionsChart(oneTask(), "qwen3-8b");
        assertThat(chart.getTitle()).isEqualTo("Accuracy by position: qwen3-8b");
        assertThat(chart.getYAxisTitle()).isEqualTo("accuracy (%)");
        assertThat(chart.getXAxisTitle()).isNotBlank();
        assertThat(chart.getStyler().isLegendVisible()).isTrue();
        assertThat(chart.getStyler().getYAxisMax()).isEqualTo(100.0);
        assertThat(chart.getSeriesMap().get("document").getYData()).usingComparatorWithPrecision(1e-9).containsExactly(90.0, 70.0, 55.0, 70.0, 88.0);
    }

    @Test
    void needleHeatMapHasAxesAndAColourScale() throws IOException {
        var needle = new ScoreSheet.Needle(new int[] {0, 50, 100}, new int[] {1000, 16000, 32000},
                new double[][] {{1, 0.9, 0.8}, {0.9, 0.5, Double.NaN}, {1, 1, 0.95}}, 0.88, 0.2, 90);
        var chart = EvalReport.heatMapChart(needle, "qwen3-8b");
        assertThat(chart.getXAxisTitle()).isEqualTo("context length (tokens)");
        assertThat(chart.getStyler().isLegendVisible()).isTrue();
        assertThat(List.<Object>copyOf(chart.getHeatMapSeries().getXData())).containsExactly("1,000", "16,000", "32,000");
        assertThat(chart.getHeatMapSeries().getHeatData()).hasSize(8);
        Path out = dir().resolve("needle.png");
        EvalReport.heatMap(out, needle, "qwen3-8b");
        assertThat(out).isNotEmptyFile();
    }

    @Test
    void comparesTwoRunsOnAStyledPage() throws IOException {
        Path d = dir();
        var a = new EvalCompare.Run("base", Map.of("document", new double[] {0.7, 0.3}), Map.of("document", new double[] {0.9, 0.6, 0.7}));
        var b = new EvalCompare.Run("tuned", Map.of("document", new double[] {0.85, 0.1}), Map.of("document", new double[] {0.9, 0.85, 0.9}));
        EvalCompare.write(List.of(a, b), d);
        assertThat(d.resolve("compare.png")).isNotEmptyFile();
        String html = Files.readString(d.resolve("compare.html"));
        assertThat(html).contains("<style>").contains("font-family").contains("th{background")
                .contains("<th>run</th><th>document Avg</th><th>document Gap</th>")
                .contains("<td>tuned</td><td>85.0</td><td>10.0</td>");
    }
}
