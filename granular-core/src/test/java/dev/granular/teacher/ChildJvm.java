package dev.granular.teacher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}
