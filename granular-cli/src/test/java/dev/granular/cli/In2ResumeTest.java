package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.dataFiles;
import static dev.granular.cli.In2Fixtures.files;
import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static dev.granular.cli.In2Fixtures.manifest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.record.RecordValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed with SIGKILL in the middle of writing, then rerun with the same command, ends
 * with exactly the data of an uninterrupted run.
 */
class In2ResumeTest {
    static final int EXAMPLES = 3000;
    static final int SHARD = 100;

    @TempDir
    Path tmp;

    List<String> command(Path corpus, Path general, Path out) {
        return in2(corpus, general, out, "--examples", String.valueOf(EXAMPLES), "--min-tokens", "1000",
                "--max-tokens", "4000", "--max-doc-tokens", "512", "--shard-size", String.valueOf(SHARD), "--threads", "2");
    }

    @Test
    void aKilledRunResumesToTheSameDataAsAnUninterruptedOne() throws Exception {
        Path corpus = In2Fixtures.corpus(tmp.resolve("corpus"), 300, 23);
        Path general = In2Fixtures.general(tmp.resolve("general.jsonl"));
        Path out = tmp.resolve("killed");
        Path data = out.resolve("data");

        // a child JVM, killed (SIGKILL on Linux) once it has sealed a shard and gone on writing the next
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), Granular.class.getName()));
        cmd.addAll(command(corpus, general, out));
        Path log = tmp.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!sealedAndMore(data)) {
                if (!child.isAlive()) {
                    fail("the child ended (exit " + child.exitValue() + ") before it was killed:\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    fail("no records after 60 s:\n" + Files.readString(log));
                }
                Thread.sleep(5);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(child.exitValue()).as("killed, not finished").isNotZero();
        assertThat(out.resolve("manifest.json")).doesNotExist();

        // a torn last line, as a write cut off by the crash leaves it
        Path partial = data.resolve(String.format(".part-%05d.jsonl.partial", In2Fixtures.shards(out).size()));
        Files.write(partial, "{\"id\":\"in2-torn\",\"messages\":[{\"ro".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);

        In2Fixtures.Run resumed = granular(command(corpus, general, out));

        assertThat(resumed.code()).as(resumed.all()).isZero();
        assertThat(resumed.out()).contains("(resumed)");
        JsonNode m = manifest(out);
        assertThat(m.path("resumed_from").asLong()).isBetween(SHARD + 1L, EXAMPLES - 1L);
        assertThat(RecordValidator.validate(out, 10).ok()).isTrue();
        // every id once, in order, contiguous
        List<String> ids = new ArrayList<>();
        for (JsonNode r : In2Fixtures.records(out)) {
            ids.add(r.path("id").asText());
        }
        assertThat(ids).hasSize(EXAMPLES);
        for (int i = 0; i < EXAMPLES; i++) {
            assertThat(ids.get(i)).isEqualTo(String.format("in2-%08d", i));
        }
        try (Stream<Path> s = Files.list(data)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))).isEmpty();
        }
        assertThat(out.resolve(".granular/work")).doesNotExist();

        // the same command, uninterrupted, into another directory
        Path clean = tmp.resolve("clean");
        assertThat(granular(command(corpus, general, clean)).code()).isZero();
        TreeMap<String, String> expected = dataFiles(clean);
        assertThat(expected).hasSize(EXAMPLES / SHARD);
        TreeMap<String, String> actual = dataFiles(out);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).isEqualTo(v));
        assertThat(Files.readString(out.resolve("report/summary.json")))
                .isEqualTo(Files.readString(clean.resolve("report/summary.json")));

        // and once finished, the same command changes nothing
        TreeMap<String, byte[]> before = files(out);
        In2Fixtures.Run again = granular(command(corpus, general, out));
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("already complete");
        TreeMap<String, byte[]> after = files(out);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
    }

    /** A sealed shard and a partial one holding at least one complete line. */
    static boolean sealedAndMore(Path data) throws IOException {
        if (!Files.isRegularFile(data.resolve("part-00000.jsonl"))) {
            return false;
        }
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.toList()) {
                try {
                    if (p.getFileName().toString().endsWith(".partial") && containsNewline(p)) {
                        return true;
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // sealed while we looked
                }
            }
        }
        return false;
    }

    private static boolean containsNewline(Path p) throws IOException {
        for (byte b : Files.readAllBytes(p)) {
            if (b == '\n') {
                return true;
            }
        }
        return false;
    }
}
