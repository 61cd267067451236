package dev.granular.teacher.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts a test main class in a second JVM with this JVM's classpath, as a second process would run
 * (also for a test whose failure mode is a JVM crash, which would otherwise kill the test fork).
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The child's standard error goes to {@code log}; its standard output is the process's input stream. */
    public static Process start(Class<?> main, Path log, String... args) throws IOException {
        return start(main, List.of(), log, args);
    }

    /** With {@code jvmOptions} (e.g. {@code -XX:ErrorFile=...}) before the main class. */
    public static Process start(Class<?> main, List<String> jvmOptions, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    }

    /**
     * Runs {@code main} to its end (at most 5 minutes) and returns its standard error; fails the test
     * when the JVM crashed (an hs_err file, or exit 134 from an abort in native code), hung, or exited
     * with anything but 0. {@code dir} holds the log and the crash files.
     */
    public static String runWithoutCrash(Class<?> main, Path dir, String... args) throws IOException, InterruptedException {
        Path crashes = Files.createDirectories(dir.resolve("crashes"));
        Path log = dir.resolve("child.log");
        Process child = start(main, List.of("-XX:ErrorFile=" + crashes.resolve("hs_err_pid%p.log")), log, args);
        boolean ended = child.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly();
        }
        String text = Files.readString(log);
        try (Stream<Path> s = Files.list(crashes)) {
            assertThat(s.toList()).as("JVM crash logs (hs_err)\n" + text).isEmpty();
        }
        assertThat(ended).as("child ended\n" + text).isTrue();
        assertThat(child.exitValue()).as("child exit code (134: the JVM aborted)\n" + text).isZero();
        return text;
    }
}
