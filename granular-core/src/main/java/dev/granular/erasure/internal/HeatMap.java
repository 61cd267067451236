package dev.granular.erasure.internal;

import dev.granular.report.Charts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.HeatMapChart;

/**
 * The calibration table as a picture: categories down, strategies across, each cell coloured
 * by accuracy (0 → 100 %), so a reader sees at a glance which strategy wins where and by how
 * much. A cell with no judged answer is left blank, not drawn as 0 %.
 */
public final class HeatMap {
    static final String TITLE = "Calibration accuracy (%) by category and strategy";

    private HeatMap() {
    }

    static void png(Path out, List<Calibration.Cell> cells) throws IOException {
        Charts.png(chart(cells), out);
    }

    static HeatMapChart chart(List<Calibration.Cell> cells) {
        List<String> strategies = cells.stream().map(Calibration.Cell::strategy).distinct().toList();
        // Rows are drawn bottom to top: reversed, the first category reads first, at the top.
        List<String> categories = new ArrayList<>(cells.stream().map(Calibration.Cell::category).distinct().toList());
        java.util.Collections.reverse(categories);
        List<Number[]> values = new ArrayList<>();
        for (Calibration.Cell c : cells) {
            if (c.judged() > 0) {
                values.add(new Number[] {strategies.indexOf(c.strategy()), categories.indexOf(c.category()),
                        Math.round(c.accuracy() * 100)});
            }
        }
        return Charts.heatMap(TITLE, "strategy", "category", strategies, categories, values, 0, 100, "0'%'");
    }
}
