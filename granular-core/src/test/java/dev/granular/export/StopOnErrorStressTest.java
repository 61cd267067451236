package dev.granular.export;

import dev.granular.teacher.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token exports and IN2 runs stopped by an error at random records, 2-8 threads, many times over: each
 * must end with the bad-input exit code and leave nothing in --out, and an export must rerun cleanly
 * once the cause is fixed,
 * and the JVM must never crash (a native tokenizer freed while a worker still encodes is a SIGSEGV,
 * so the runs go in a child JVM, whose death this test sees instead of dying with it).
 */
class StopOnErrorStressTest {
    private static final int RUNS = 24;

    @TempDir
    Path tmp;

    @Test
    void exportsAndIn2RunsStoppedAtRandomPointsExitCleanlyEveryTime() throws Exception {
        Path crashes = tmp.resolve("crashes");
        Files.createDirectories(crashes);
        long seed = System.nanoTime();
        Process child = ChildJvm.start(StopOnErrorChild.class, List.of("-XX:ErrorFile=" + crashes.resolve("hs_err_pid%p.log")),
                tmp.resolve("child.log"), tmp.resolve("work").toString(),
                Integer.toString(RUNS), Long.toString(seed));
        boolean ended = child.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly();
        }
        String log = Files.readString(tmp.resolve("child.log"));
        String report = "seed " + seed + "\n" + log;
        try (Stream<Path> s = Files.list(crashes)) {
            assertThat(s.toList()).as("JVM crash logs (hs_err)\n" + report).isEmpty();
        }
        assertThat(ended).as("child ended\n" + report).isTrue();
        assertThat(child.exitValue()).as("child exit code (134: the JVM aborted)\n" + report).isZero();
        assertThat(log.lines().filter(l -> l.matches("run \\d+: .*: exit 2, nothing left(; rerun exit 0)?  \\(\\d+ ms\\)"))).as(report)
                .hasSize(RUNS);
        assertThat(log.lines().filter(l -> l.matches("run \\d+: in2, .*"))).as(report).hasSize(RUNS / StopOnErrorChild.IN2_EVERY);
        assertThat(log.lines().filter(l -> l.contains("; rerun exit 0  ("))).as(report).isNotEmpty();
    }
}
