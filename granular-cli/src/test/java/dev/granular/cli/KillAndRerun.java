package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.teacher.testserver.ReceivedRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the SIGKILL resume tests share: the command in a child JVM, killed with {@code kill -9}
 * once a journal has enough lines; the command in-process; and request bookkeeping.
 */
final class KillAndRerun {
    private KillAndRerun() {
    }

    /** {@code granular ARGS} in a child JVM on the test class path, its output to {@code log}. */
    static Process child(Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Granular.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Runs {@code args} in a child JVM and kills it with SIGKILL once {@code journal} holds
     * {@code atLeast} lines (bounded: 60 s), after checking it was still running then. A torn
     * line (what a kill in the middle of an append leaves) is added to the journal's end.
     */
    static void killMidRun(Path log, List<String> args, Path journal, long atLeast) throws Exception {
        Process p = child(log, args);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines(journal) < atLeast && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(p.isAlive()).as("still running when killed; journal %s has %d lines; log: %s", journal, lines(journal),
                    Files.exists(log) ? Files.readString(log) : "").isTrue();
            assertThat(lines(journal)).as("journal %s reached %d lines", journal, atLeast).isGreaterThanOrEqualTo(atLeast);
        } finally {
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        Files.writeString(journal, "{\"i\":999999,\"record\":{\"torn", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** {@code granular ARGS} in this JVM; asserts exit 0 and returns standard output. */
    static String granular(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        assertThat(code).as(out + "\n" + err).isZero();
        return out.toString();
    }

    /** Complete lines of {@code file}, 0 while it does not exist. */
    static long lines(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return 0;
            }
            byte[] b = Files.readAllBytes(file);
            long n = 0;
            for (byte x : b) {
                if (x == '\n') {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            return 0;
        }
    }

    /** How often each prompt (system and messages) was asked among {@code requests}, by prompt. */
    static Map<String, Long> perPrompt(List<ReceivedRequest> requests) {
        return requests.stream().collect(Collectors.groupingBy(ReceivedRequest::promptKey, TreeMap::new, Collectors.counting()));
    }

    /** The requests after sequence number {@code seq}. */
    static List<ReceivedRequest> after(List<ReceivedRequest> requests, long seq) {
        return requests.stream().filter(r -> r.seq() > seq).toList();
    }

    /** The data files of an output folder, by name, with their bytes as text. */
    static Map<String, String> dataFiles(Path out) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                m.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    /** Every line of every data file, in file order. */
    static List<String> dataLines(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String text : dataFiles(out).values()) {
            text.lines().forEach(lines::add);
        }
        return lines;
    }

    /**
     * The fingerprint a child JVM wrote to {@code out/.granular/run.json} when it created the
     * folder; a resume in any other process must compute the same one, or it takes the folder
     * for another configuration.
     */
    static String childFingerprint(Path out) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve(".granular/run.json").toFile())
                .path("fingerprint").asText();
    }

    /** The fingerprint in a finished folder's manifest. */
    static String manifestFingerprint(Path out) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("manifest.json").toFile())
                .path("fingerprint").asText();
    }
}
