package dev.granular.erasure;

import dev.granular.io.AtomicFiles;
import dev.granular.report.Charts;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;

/**
 * The calibration table as a picture: categories down, strategies across, each cell coloured
 * by accuracy (0 → 1), so a reader sees at a glance which strategy wins where and by how much.
 */
final class HeatMap {
    private HeatMap() {
    }

    static void png(Path out, List<Calibration.Cell> cells) throws IOException {
        List<String> strategies = cells.stream().map(Calibration.Cell::strategy).distinct().toList();
        List<String> categories = cells.stream().map(Calibration.Cell::category).distinct().toList();
        List<Number[]> values = new ArrayList<>();
        for (Calibration.Cell c : cells) {
            double acc = c.judged() == 0 ? 0 : c.accuracy();
            values.add(new Number[] {strategies.indexOf(c.strategy()), categories.indexOf(c.category()),
                    Math.round(acc * 100) / 100.0});
        }
        HeatMapChart chart = new HeatMapChart(Charts.WIDTH, Math.max(Charts.HEIGHT, 120 + 40 * categories.size()));
        chart.setTitle("Calibration accuracy by category and strategy");
        chart.setXAxisTitle("strategy");
        chart.setYAxisTitle("category");
        chart.getStyler().setShowValue(true);
        chart.getStyler().setChartFontColor(new Color(0x222222));
        chart.getStyler().setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        chart.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setValueFontColor(Color.BLACK);
        chart.getStyler().setMin(0);
        chart.getStyler().setMax(1);
        chart.getStyler().setRangeColors(new Color[] {new Color(0xD7301F), new Color(0xFEE08B), new Color(0x1A9850)});
        chart.getStyler().setPlotContentSize(0.95);
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.addSeries("accuracy", strategies, categories, values);
        AtomicFiles.write(out, stream -> BitmapEncoder.saveBitmap(chart, stream, BitmapEncoder.BitmapFormat.PNG));
    }
}
