package dev.granular.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.HeatMapStyler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path dir;

    @Test
    void histogramIsAPngOfTheStandardSize() throws IOException {
        Random random = new Random(7);
        Histogram h = Histogram.of(0, 4096, 32, random.doubles(2000, 0, 4096).toArray());
        Path out = dir.resolve("report/lengths.png");

        Charts.histogramPng(out, "Prompt length", "tokens", "examples", h);

        assertValidPng(out);
    }

    @Test
    void integerHistogramRenders() throws IOException {
        Path out = dir.resolve("slots.png");
        Charts.histogramPng(out, "Needle slot", "slot", "examples",
                Histogram.ofIntegers(0, 9, IntStream.range(0, 500).map(i -> i % 10)));
        assertValidPng(out);
    }

    @Test
    void barChartRendersManyLongCategories() throws IOException {
        Path out = dir.resolve("designs.png");
        List<String> names = IntStream.range(0, 14).mapToObj(i -> "source-file-" + i).toList();
        List<Integer> values = IntStream.range(0, 14).map(i -> i * 3).boxed().toList();

        Charts.barChartPng(out, "Examples per source", "source", "examples", names, values);

        assertValidPng(out);
    }

    @Test
    void lineChartRendersSeveralSeriesWithAFixedRange() throws IOException {
        double[] xs = {0, 0.25, 0.5, 0.75, 1};
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("base", new double[][] {xs, {0.9, 0.7, 0.5, 0.7, 0.9}});
        series.put("tuned", new double[][] {xs, {0.92, 0.9, 0.88, 0.9, 0.92}});
        Path fixed = dir.resolve("accuracy.png");
        Path auto = dir.resolve("loss.png");

        Charts.linePng(fixed, "Accuracy by position", "relative position", "accuracy", series, 0, 1);
        Charts.linePng(auto, "Loss", "step", "loss", Map.of("loss", new double[][] {{1, 2, 3}, {3.0, 2.0, 1.5}}));

        assertValidPng(fixed);
        assertValidPng(auto);
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("bars.png");
        Files.writeString(out, "not a png");

        Charts.barChartPng(out, "t", "x", "y", List.of("a", "b"), List.of(1, 2));

        assertValidPng(out);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void rejectsMismatchedData() {
        assertThatThrownBy(() -> Charts.barChartPng(dir.resolve("x.png"), "t", "x", "y", List.of("a"), List.of(1, 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Charts.linePng(dir.resolve("x.png"), "t", "x", "y",
                Map.of("s", new double[][] {{1, 2}, {1}})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Charts.linePng(dir.resolve("x.png"), "t", "x", "y", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("x.png")).doesNotExist();
    }

    @Test
    void rendersForAPersonToLookAt() throws IOException {
        Path to = ChartOutput.dir(dir);
        Random random = new Random(7);
        Charts.histogramPng(to.resolve("export-lengths.png"), "Example length (qwen3)", "tokens", "examples",
                Histogram.of(0, 12431, 50, random.doubles(3000, 200, 12430).toArray()));
        Charts.barChartPng(to.resolve("self-correction.png"), "Self-correction: answers and examples", "outcome", "count",
                List.of("student right", "student wrong", "unparseable", "R→R written", "W→R written", "W→W dropped", "leaked dropped"),
                List.of(1200, 800, 12, 1100, 600, 150, 3));
        assertThat(to.resolve("export-lengths.png")).isNotEmptyFile();
    }

    @Test
    void runsHeadless() {
        assertThat(Charts.WIDTH).isEqualTo(900); // loads the class, which sets the property
        assertThat(System.getProperty("java.awt.headless")).isEqualTo("true");
    }

    @Test
    void formatsAxisNumbersCompactly() {
        assertThat(Charts.formatNumber(12.0)).isEqualTo("12");
        assertThat(Charts.formatNumber(0.025)).isEqualTo("0.025");
        assertThat(Charts.formatNumber(0.1 + 0.2)).isEqualTo("0.3");
        assertThat(Charts.formatNumber(-3.0)).isEqualTo("-3");
    }

    @Test
    void formatsLargeNumbersWithSeparatorsNotExponents() {
        assertThat(Charts.formatNumber(6799.9)).isEqualTo("6,800");
        assertThat(Charts.formatNumber(12431.3)).isEqualTo("12,430");
        assertThat(Charts.formatNumber(32256)).isEqualTo("32,256");
        assertThat(Charts.formatNumber(1.5e7)).isEqualTo("15,000,000");
        assertThat(Charts.formatNumber(124.3)).isEqualTo("124.3");
    }

    @Test
    void histogramHasTitleAxesAndPlainTicks() {
        CategoryChart chart = Charts.histogram("Example length (qwen3)", "tokens", "examples",
                Histogram.of(0, 12431, 50, new Random(1).doubles(500, 0, 12431).toArray()));
        assertThat(chart.getTitle()).isEqualTo("Example length (qwen3)");
        assertThat(chart.getXAxisTitle()).isEqualTo("tokens");
        assertThat(chart.getYAxisTitle()).isEqualTo("examples");
        List<Object> labels = List.copyOf(chart.getSeriesMap().values().iterator().next().getXData());
        assertThat(labels).hasSize(50).allSatisfy(l -> assertThat(l.toString()).doesNotContain("E").matches("[0-9,.]+"));
        assertThat(labels).contains("12,310");
        assertThat(chart.getStyler().getYAxisDecimalPattern()).isEqualTo("#,##0.##");
    }

    @Test
    void aSingleLineStillHasALegend() {
        XYChart chart = Charts.lineChart("Accuracy by position: m", "position", "accuracy (%)",
                Map.of("document", new double[][] {{0, 1, 2}, {90, 60, 80}}), 0, 100);
        assertThat(chart.getStyler().isLegendVisible()).isTrue();
        assertThat(chart.getSeriesMap()).containsKey("document");
        assertThat(chart.getStyler().getYAxisMax()).isEqualTo(100.0);
        assertThat(chart.getStyler().getXAxisDecimalPattern()).isEqualTo("#,##0.##");
    }

    @Test
    void heatMapHasTitleAxesAndAColourScale() {
        HeatMapChart chart = Charts.heatMap("Accuracy", "strategy", "category", List.of("a", "b"), List.of("x", "y"),
                List.of(new Number[] {0, 0, 40}, new Number[] {1, 1, 90}), 0, 100, "0'%'");
        HeatMapStyler s = chart.getStyler();
        assertThat(chart.getTitle()).isEqualTo("Accuracy");
        assertThat(chart.getXAxisTitle()).isEqualTo("strategy");
        assertThat(chart.getYAxisTitle()).isEqualTo("category");
        // XChart's bare constructor leaves these unset, and the chart renders blank or throws
        assertThat(s.isChartTitleVisible()).isTrue();
        assertThat(s.isXAxisTitleVisible()).isTrue();
        assertThat(s.isYAxisTitleVisible()).isTrue();
        assertThat(s.isLegendVisible()).isTrue();
        assertThat(s.getRangeColors()).hasSize(3);
        assertThat(s.getMax()).isEqualTo(100.0);
    }

    private static void assertValidPng(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes).startsWith(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(image.getHeight()).isEqualTo(Charts.HEIGHT);
    }
}
