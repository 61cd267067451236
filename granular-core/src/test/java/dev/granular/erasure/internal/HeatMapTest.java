package dev.granular.erasure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapSeries;
import org.junit.jupiter.api.io.TempDir;

class HeatMapTest {
    @TempDir
    Path tmp;

    private Path dir() throws IOException {
        return dev.granular.report.ChartOutput.dir(tmp);
    }

    static List<Calibration.Cell> cells() {
        return List.of(
                new Calibration.Cell("math", "direct-answer", 10, 4, 1000),
                new Calibration.Cell("math", "step-by-step", 10, 9, 5000),
                new Calibration.Cell("math", "explain-then-answer", 10, 7, 4000),
                new Calibration.Cell("reading comprehension", "direct-answer", 10, 8, 900),
                new Calibration.Cell("reading comprehension", "step-by-step", 10, 6, 4000),
                new Calibration.Cell("reading comprehension", "explain-then-answer", 0, 0, 0),
                new Calibration.Cell("trivia", "direct-answer", 12, 11, 400),
                new Calibration.Cell("trivia", "step-by-step", 12, 10, 2000),
                new Calibration.Cell("trivia", "explain-then-answer", 12, 9, 2500));
    }

    @Test
    void rendersTheCalibrationTable() throws IOException {
        Path out = dir().resolve("strategy_accuracy.png");
        HeatMap.png(out, cells());
        assertThat(javax.imageio.ImageIO.read(out.toFile()).getWidth()).isEqualTo(dev.granular.report.Charts.WIDTH);
    }

    @Test
    void namesStrategiesAndCategoriesAndShowsAColourScale() {
        HeatMapChart chart = HeatMap.chart(cells());
        assertThat(chart.getTitle()).contains("accuracy (%)");
        assertThat(chart.getXAxisTitle()).isEqualTo("strategy");
        assertThat(chart.getYAxisTitle()).isEqualTo("category");
        assertThat(chart.getStyler().isChartTitleVisible()).isTrue();
        assertThat(chart.getStyler().isLegendVisible()).isTrue();
        HeatMapSeries s = chart.getHeatMapSeries();
        assertThat(List.<Object>copyOf(s.getXData())).containsExactly("direct-answer", "step-by-step", "explain-then-answer");
        assertThat(List.<Object>copyOf(s.getYData())).containsExactly("trivia", "reading comprehension", "math");
        // percentages, and the cell with no judged answer is absent rather than 0 %
        assertThat(s.getHeatData()).hasSize(8);
        assertThat(s.getHeatData()).anySatisfy(v -> assertThat(((Number[]) v)[2].doubleValue()).isEqualTo(90.0));
    }
}
