package dev.granular.export;

import dev.granular.teacher.internal.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token exports and IN2 runs stopped by an error at random records, 2-8 threads, many times over: each
 * must end with the bad-input exit code and leave nothing in --out, an export must rerun cleanly
 * once the cause is fixed, and the JVM must never crash (a native tokenizer freed while a worker still encodes is a SIGSEGV,
 * so the runs go in a child JVM, whose death this test sees instead of dying with it).
 */
class StopOnErrorStressTest {
    private static final int RUNS = 24;

    @TempDir
    Path tmp;

    @Test
    void exportsAndIn2RunsStoppedAtRandomPointsExitCleanlyEveryTime() throws Exception {
        // The child prints the seed first: a failure's report tells how to replay it.
        String report = ChildJvm.runWithoutCrash(StopOnErrorChild.class, tmp, tmp.resolve("work").toString(), Integer.toString(RUNS),
                Long.toString(System.nanoTime()));
        String log = report;
        assertThat(log.lines().filter(l -> l.matches("run \\d+: .*: exit 2, nothing left(; rerun exit 0)?  \\(\\d+ ms\\)"))).as(report)
                .hasSize(RUNS);
        assertThat(log.lines().filter(l -> l.matches("run \\d+: in2, .*"))).as(report).hasSize(RUNS / StopOnErrorChild.IN2_EVERY);
        assertThat(log.lines().filter(l -> l.contains("; rerun exit 0  ("))).as(report).isNotEmpty();
    }
}
