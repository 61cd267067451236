package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void disabledProgressWritesNothing() {
        try (Progress progress = Progress.start("generate", 100, err, false)) {
            assertThat(progress.isShown()).isFalse();
            for (int i = 0; i < 100; i++) {
                progress.step(1, 50);
            }
        }
        assertThat(bytes.size()).isZero();
    }

    @Test
    void writesNothingWhenNotInATerminal() {
        // Surefire runs tests with piped stdio, never in a terminal.
        assertThat(Progress.isInteractiveTerminal()).isFalse();
        try (Progress progress = Progress.start("generate", 100, err, true)) {
            assertThat(progress.isShown()).isFalse();
            progress.step(100, 5000);
        }
        assertThat(bytes.size()).isZero();
    }

    @Test
    void shownProgressCountsStepsFromManyThreadsAndErasesItselfOnClose() throws InterruptedException {
        try (Progress progress = Progress.shown("generate", 4000, err, 100)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            for (int t = 0; t < 4; t++) {
                pool.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        progress.step(1, 20);
                    }
                });
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("generate").contains("4000/4000").doesNotContain("\n").endsWith("\r");
    }

    @Test
    void compactNumbers() {
        assertThat(Progress.compact(0)).isEqualTo("0");
        assertThat(Progress.compact(950.4)).isEqualTo("950");
        assertThat(Progress.compact(12_345)).isEqualTo("12.3k");
        assertThat(Progress.compact(123_456)).isEqualTo("123k");
        assertThat(Progress.compact(4_100_000)).isEqualTo("4.1M");
    }
}
