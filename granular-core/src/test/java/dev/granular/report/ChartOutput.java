package dev.granular.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where chart tests write their PNGs: a temporary folder, or {@code -Dgranular.charts.dir=DIR} to look at them. */
public final class ChartOutput {
    private ChartOutput() {
    }

    public static Path dir(Path tmp) throws IOException {
        String d = System.getProperty("granular.charts.dir");
        return d == null ? tmp : Files.createDirectories(Path.of(d));
    }
}
