package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
    void printsPlainLinesWhenNotInATerminal() {
        // Surefire runs tests with piped stdio, never in a terminal.
        assertThat(Progress.isInteractiveTerminal()).isFalse();
        try (Progress progress = Progress.start("generate", 100, err, true)) {
            assertThat(progress.isShown()).isTrue();
            progress.step(100, 5000);
        }
        assertThat(bytes.size()).as("the first line comes after the interval, not at once").isZero();
    }

    @Test
    void aPlainLineSaysDoneRateEtaAndStatus() {
        AtomicLong now = new AtomicLong(1_000);
        Progress progress = Progress.plain("generate", 1000, err, now::get);
        progress.resumed(100);
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        progress.step(200, 50_000);
        progress.status("retries 3; $0.0123, 2 failed");
        progress.printLine();
        now.addAndGet(TimeUnit.SECONDS.toNanos(190));
        progress.step(700, 0);
        progress.printLine();

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(
                "generate: 300/1,000 (30%), 20/s, 5.0k tok/s, ETA 35s, elapsed 10s; retries 3; $0.0123, 2 failed\n"
                        + "generate: 1,000/1,000 (100%), 4.5/s, 250 tok/s, elapsed 3m 20s; retries 3; $0.0123, 2 failed\n");
    }

    @Test
    void aPlainLineWithoutATotalHasNoEta() {
        AtomicLong now = new AtomicLong();
        Progress progress = Progress.plain("corpus", 0, err, now::get);
        now.set(TimeUnit.SECONDS.toNanos(4000));
        progress.step(12_000, 0);
        assertThat(progress.line()).isEqualTo("corpus: 12,000, 3.0/s, elapsed 1h 06m");
    }

    @Test
    void aStageWithoutCountsSaysItIsAlive() {
        AtomicLong now = new AtomicLong();
        Progress progress = Progress.plain("in2 corpus", -1, err, now::get);
        now.set(TimeUnit.SECONDS.toNanos(20));
        assertThat(progress.line()).isEqualTo("in2 corpus: elapsed 20s");
    }

    @Test
    void rowProgressShowsRetriesBeforeTheJobsStatus() {
        try (RowProgress rows = new RowProgress(err)) {
            rows.stage("generate", 10, 4);
            rows.finished(true, 100, 2, "$0.0100");
            rows.finished(false, 0, 1, "$0.0100, 1 failed");
            assertThat(rows.progress.line()).startsWith("generate: 6/10 (60%)").endsWith("; retries 3; $0.0100, 1 failed");
        }
    }

    @Test
    void anInterruptedRunSaysWhetherARerunResumes() {
        assertThat(Granular.interruptedMessage(new GenerateCommand()))
                .isEqualTo("granular: interrupted; rerun the same command to resume");
        assertThat(Granular.interruptedMessage(new In2Command())).contains("rerun the same command to resume");
        assertThat(Granular.interruptedMessage(new ValidateCommand())).isEqualTo("granular: interrupted");
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
