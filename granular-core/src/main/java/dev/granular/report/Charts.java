package dev.granular.report;

import dev.granular.files.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.HeatMapStyler;
import org.knowm.xchart.style.Styler.ChartTheme;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG plots for dataset cards, drawn with XChart in headless mode (no display needed), 900x500
 * pixels, white background, light horizontal grid. Every chart has a title and labelled axes;
 * tick labels are plain numbers with thousands separators (never {@code 6.8E+3}); line charts
 * always have a legend, heat maps a colour scale. Every file is written atomically: rendered to
 * a temporary file in the target's directory, then renamed.
 *
 * <p>The {@code *Png} methods draw and save in one call; the methods without the suffix return
 * the chart, so a caller (or a test) can look at it before {@link #png(Chart, Path) saving} it.
 */
public final class Charts {

    /** Width of every chart, in pixels. */
    public static final int WIDTH = 900;
    /** Height of every chart, in pixels. */
    public static final int HEIGHT = 500;

    /** Most x-axis labels a histogram shows; the rest of its bars stay unlabelled. */
    private static final int MAX_HISTOGRAM_LABELS = 12;

    /** Tableau 10: distinct, colour-blind-friendly and calm on white. */
    private static final Color[] PALETTE = {
        new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2),
        new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7),
        new Color(0x9C755F), new Color(0xBAB0AC),
    };

    static {
        // AWT reads this once, when first initialised: set it before any chart class touches AWT.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {
    }

    /**
     * A bar per bin of {@code h}, bars nearly touching. Each bar is labelled with the centre of its
     * bin, except that bins one unit wide starting on an integer (as from
     * {@link Histogram#ofIntegers}) are labelled with that integer; with many bins only about a
     * dozen evenly spaced labels are drawn. Values outside the histogram's range are not drawn.
     */
    public static void histogramPng(Path out, String title, String xLabel, String yLabel, Histogram h)
            throws IOException {
        png(histogram(title, xLabel, yLabel, h), out);
    }

    /** The chart {@link #histogramPng} draws. */
    public static CategoryChart histogram(String title, String xLabel, String yLabel, Histogram h) {
        double[] edges = h.edges();
        long[] counts = h.counts();
        List<String> labels = new ArrayList<>(counts.length);
        List<Long> values = new ArrayList<>(counts.length);
        boolean integerBins = h.binWidth() == 1 && h.min() == Math.rint(h.min());
        for (int i = 0; i < counts.length; i++) {
            labels.add(formatNumber(integerBins ? edges[i] : (edges[i] + edges[i + 1]) / 2));
            values.add(counts[i]);
        }
        CategoryChart chart = categoryChart(title, xLabel, yLabel, labels, values);
        chart.getStyler().setAvailableSpaceFill(0.96);
        chart.getStyler().setXAxisMaxLabelCount(MAX_HISTOGRAM_LABELS);
        return chart;
    }

    /**
     * One bar per category, in the given order. Labels are rotated when there are many categories
     * or long names.
     *
     * @throws IllegalArgumentException if the lists differ in length or are empty
     */
    public static void barChartPng(Path out, String title, String xLabel, String yLabel,
                                   List<String> categories, List<? extends Number> values) throws IOException {
        png(barChart(title, xLabel, yLabel, categories, values), out);
    }

    /** The chart {@link #barChartPng} draws. */
    public static CategoryChart barChart(String title, String xLabel, String yLabel,
                                         List<String> categories, List<? extends Number> values) {
        CategoryChart chart = categoryChart(title, xLabel, yLabel, categories, values);
        int longest = categories.stream().mapToInt(String::length).max().orElse(0);
        if (categories.size() > 8 || longest * categories.size() > 90) {
            chart.getStyler().setXAxisLabelRotation(45);
        }
        return chart;
    }

    /**
     * Lines with small markers, one per entry of {@code series} (name to {@code {xs, ys}}), in the
     * map's iteration order; the y axis fits the data. The legend names every series, even a single
     * one, so a reader knows which task or run a line is.
     *
     * @throws IllegalArgumentException if {@code series} is empty or an entry is not two arrays of
     *     equal, non-zero length
     */
    public static void linePng(Path out, String title, String xLabel, String yLabel,
                               Map<String, double[][]> series) throws IOException {
        png(lineChart(title, xLabel, yLabel, series), out);
    }

    /**
     * As {@link #linePng(Path, String, String, String, Map)} with the y axis fixed to
     * {@code [yMin, yMax]}, e.g. {@code 0, 100} for accuracy (%) by position.
     */
    public static void linePng(Path out, String title, String xLabel, String yLabel,
                               Map<String, double[][]> series, double yMin, double yMax) throws IOException {
        png(lineChart(title, xLabel, yLabel, series, yMin, yMax), out);
    }

    /** The chart {@link #linePng(Path, String, String, String, Map, double, double)} draws. */
    public static XYChart lineChart(String title, String xLabel, String yLabel,
                                    Map<String, double[][]> series, double yMin, double yMax) {
        if (!(yMin < yMax)) {
            throw new IllegalArgumentException("need yMin < yMax, got " + yMin + ", " + yMax);
        }
        XYChart chart = lineChart(title, xLabel, yLabel, series);
        chart.getStyler().setYAxisMin(yMin);
        chart.getStyler().setYAxisMax(yMax);
        return chart;
    }

    /**
     * A heat map: {@code cells} are {@code {xIndex, yIndex, value}} over the {@code xs} columns and
     * {@code ys} rows (rows drawn bottom to top in list order), coloured red (at {@code min})
     * through yellow to green (at {@code max}) with a colour scale beside it; each cell shows its
     * value with {@code valuePattern} (a {@link DecimalFormat} pattern, e.g. {@code 0'%'}). Cells
     * without data are left out, and show as blank.
     */
    public static HeatMapChart heatMap(String title, String xLabel, String yLabel, List<?> xs, List<?> ys,
                                       List<Number[]> cells, double min, double max, String valuePattern) {
        // The two-argument constructor leaves the styler uninitialised (XChart 3.8.8): no title, no
        // axes, no legend, and no range colours. A theme initialises every style.
        HeatMapChart chart = new HeatMapChart(WIDTH, Math.max(HEIGHT, 120 + 40 * ys.size()), ChartTheme.XChart);
        chart.setTitle(title);
        chart.setXAxisTitle(xLabel);
        chart.setYAxisTitle(yLabel);
        HeatMapStyler s = chart.getStyler();
        frame(s);
        s.setLegendPosition(LegendPosition.OutsideE);
        s.setLegendVisible(true);
        s.setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setValueFontColor(Color.BLACK);
        s.setShowValue(true);
        s.setHeatMapValueDecimalPattern(valuePattern);
        s.setMin(min);
        s.setMax(max);
        s.setPiecewise(false);
        s.setRangeColors(new Color[] {new Color(0xD7301F), new Color(0xFEE08B), new Color(0x1A9850)});
        if (xs.stream().mapToInt(x -> String.valueOf(x).length()).sum() > 80) {
            s.setXAxisLabelRotation(30);
        }
        chart.addSeries(yLabel + " × " + xLabel, xs, ys, cells);
        return chart;
    }

    private static CategoryChart categoryChart(String title, String xLabel, String yLabel,
                                               List<String> categories, List<? extends Number> values) {
        if (categories.isEmpty() || categories.size() != values.size()) {
            throw new IllegalArgumentException("need as many values as categories (at least one), got "
                    + categories.size() + " categories and " + values.size() + " values");
        }
        CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xLabel);
        chart.setYAxisTitle(yLabel);
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setYAxisMin(0.0);
        chart.addSeries(yLabel, new ArrayList<>(categories), new ArrayList<>(values));
        return chart;
    }

    private static XYChart lineChart(String title, String xLabel, String yLabel, Map<String, double[][]> series) {
        if (series.isEmpty()) {
            throw new IllegalArgumentException("need at least one series");
        }
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xLabel);
        chart.setYAxisTitle(yLabel);
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(6);
        BasicStroke solid = new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        chart.getStyler().setSeriesLines(Collections.nCopies(PALETTE.length, solid).toArray(BasicStroke[]::new));
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[][] xy = Objects.requireNonNull(e.getValue(), e.getKey());
            if (xy.length != 2 || xy[0].length == 0 || xy[0].length != xy[1].length) {
                throw new IllegalArgumentException("series '" + e.getKey() + "' must be {xs, ys} of equal, non-zero length");
            }
            XYSeries s = chart.addSeries(e.getKey(), xy[0], xy[1]);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    /** The shared look: white, quiet grid, no borders, DejaVu-friendly sans-serif fonts. */
    private static void style(AxesChartStyler s) {
        frame(s);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotMargin(4);
        s.setPlotGridLinesColor(new Color(0xE3E3E3));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setPlotGridVerticalLinesVisible(false);
        s.setAxisTickMarksColor(new Color(0x888888));
        s.setAxisTickLabelsColor(new Color(0x333333));
        s.setSeriesColors(PALETTE);
        s.setXAxisDecimalPattern(TICK_PATTERN);
        s.setYAxisDecimalPattern(TICK_PATTERN);
    }

    /** What every chart shares, heat maps included: white, no borders, the fonts, no tooltips. */
    private static void frame(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setChartTitleBoxVisible(false);
        s.setChartPadding(16);
        s.setChartFontColor(new Color(0x222222));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendBorderColor(Color.WHITE);
        s.setAntiAlias(true);
        s.setToolTipsEnabled(false);
    }

    /** A tick label: {@link Numbers#human}. */
    public static String formatNumber(double x) {
        return Numbers.human(x);
    }

    /** Axis ticks: thousands separated, up to two decimals, never scientific notation. */
    private static final String TICK_PATTERN = "#,##0.##";

    /** Draws {@code chart} into the PNG file {@code out}, atomically. */
    public static void png(Chart<?, ?> chart, Path out) throws IOException {
        AtomicFiles.write(out, stream -> BitmapEncoder.saveBitmap(chart, stream, BitmapFormat.PNG));
    }
}
