package dev.granular.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("unchecked")
class OutputDirectoryTest {
    @TempDir
    Path tmp;

    static Map<String, Object> config(long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("examples", 10);
        m.put("seed", seed);
        m.put("inputs", Map.of("corpus_sha256", "abc"));
        return m;
    }

    /** Every file below {@code dir}, relative path to content. */
    static TreeMap<String, String> tree(Path dir) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), Files.readString(p));
            }
        }
        return m;
    }

    /** A finished run of {@code config} in {@code dir}: one shard, report, card and manifest. */
    static OutputDirectory finishedRun(Path dir, Map<String, Object> config) throws IOException {
        OutputDirectory d = OutputDirectory.open(dir, "in2", config, 5, false);
        try (ShardWriter w = d.writer()) {
            w.write("{\"id\":\"a\"}");
            w.finish();
        }
        Files.createDirectories(d.workDir());
        Files.writeString(d.workDir().resolve("scratch.bin"), "x");
        Files.createDirectories(d.reportDir());
        Files.writeString(d.reportDir().resolve("summary.json"), "{}");
        Files.writeString(dir.resolve("README.md"), "# card");
        d.finish(Map.of("tool", "granular"));
        return d;
    }

    @Test
    void theFingerprintDoesNotDependOnMapOrderAtAnyDepth() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("x", 1);
        a.put("nested", new LinkedHashMap<>(Map.of("p", 1)));
        ((Map<String, Object>) a.get("nested")).put("q", List.of(2, 3));
        Map<String, Object> b = new LinkedHashMap<>();
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("q", List.of(2, 3));
        nested.put("p", 1);
        b.put("nested", nested);
        b.put("x", 1);
        assertThat(OutputDirectory.fingerprint(a)).isEqualTo(OutputDirectory.fingerprint(b));
        assertThat(OutputDirectory.fingerprint(a)).isNotEqualTo(OutputDirectory.fingerprint(Map.of("x", 2)));
        // list order still matters
        nested.put("q", List.of(3, 2));
        assertThat(OutputDirectory.fingerprint(a)).isNotEqualTo(OutputDirectory.fingerprint(b));
    }

    @Test
    void fingerprintIsAFunctionOfTheConfiguration() {
        assertThat(OutputDirectory.fingerprint(config(1))).isEqualTo(OutputDirectory.fingerprint(config(1)))
                .matches("[0-9a-f]{64}")
                .isNotEqualTo(OutputDirectory.fingerprint(config(2)));
        String a = OutputDirectory.open(tmp.resolve("a"), "in2", config(1), 5, false).fingerprint();
        String b = OutputDirectory.open(tmp.resolve("b"), "in2", config(1), 5, false).fingerprint();
        assertThat(a).isEqualTo(b)
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("c"), "in2", config(2), 5, false).fingerprint())
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("d"), "in2", config(1), 6, false).fingerprint())
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("e"), "other", config(1), 5, false).fingerprint());
    }

    @Test
    void openingCreatesTheLayoutAndRecordsTheFingerprint() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = OutputDirectory.open(dir, "in2", config(1), 5, false);

        assertThat(d.complete()).isFalse();
        assertThat(d.dataDir()).isDirectory();
        assertThat(new ObjectMapper().readTree(dir.resolve(".granular/run.json").toFile()).path("fingerprint").asText())
                .isEqualTo(d.fingerprint());
        assertThat(d.shardSize()).isEqualTo(5);
    }

    @Test
    void theSameConfigurationResumesAndSeesAFinishedRun() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory first = OutputDirectory.open(dir, "in2", config(1), 5, false);
        try (ShardWriter w = first.writer()) {
            w.write("{\"id\":\"a\"}");
        }

        OutputDirectory again = OutputDirectory.open(dir, "in2", config(1), 5, false);
        assertThat(again.complete()).isFalse();
        assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
        try (ShardWriter w = again.writer()) {
            assertThat(w.start()).isEqualTo(1);
        }

        finishedRun(tmp.resolve("done"), config(1));
        OutputDirectory done = OutputDirectory.open(tmp.resolve("done"), "in2", config(1), 5, false);
        assertThat(done.complete()).isTrue();
        assertThat(done.manifest().path("tool").asText()).isEqualTo("granular");
        assertThat(done.shards()).extracting(p -> p.getFileName().toString()).containsExactly("part-00000.jsonl");
    }

    @Test
    void finishWritesTheManifestAndDeletesWorkFiles() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = finishedRun(dir, config(1));

        assertThat(dir.resolve("manifest.json")).isRegularFile();
        assertThat(d.workDir()).doesNotExist();
        assertThat(dir.resolve(".granular/run.json")).isRegularFile();
    }

    @Test
    void aDifferentConfigurationIsRefusedAndNothingChanges() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        TreeMap<String, String> before = tree(dir);

        for (var open : List.<Runnable>of(
                () -> OutputDirectory.open(dir, "in2", config(2), 5, false),
                () -> OutputDirectory.open(dir, "in2", config(1), 7, false))) {
            assertThatThrownBy(open::run).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("--overwrite");
            assertThat(tree(dir)).isEqualTo(before);
        }
    }

    @Test
    void anUnfinishedRunOfAnotherConfigurationIsProtectedToo() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = OutputDirectory.open(dir, "in2", config(1), 5, false);
        try (ShardWriter w = d.writer()) {
            w.write("{\"id\":\"a\"}");
        }
        assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(2), 5, false))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--overwrite");
        assertThat(dir.resolve("data/.part-00000.jsonl.partial")).isRegularFile();
    }

    @Test
    void overwriteClearsOnlyGranularFiles() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        Files.writeString(dir.resolve("failed.jsonl"), "{}\n");
        Files.writeString(dir.resolve("rejected.jsonl"), "{}\n");
        Files.writeString(dir.resolve("NOTES.txt"), "mine");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/keep.txt"), "mine too");

        OutputDirectory d = OutputDirectory.open(dir, "in2", config(2), 5, true);

        assertThat(d.complete()).isFalse();
        assertThat(tree(dir).keySet()).containsExactly(".granular/run.json", "NOTES.txt", "extra/keep.txt");
        assertThat(dir.resolve("data")).isEmptyDirectory();
        assertThat(new ObjectMapper().readTree(dir.resolve(".granular/run.json").toFile()).path("fingerprint").asText())
                .isEqualTo(d.fingerprint());
        // and the new run is now the one that resumes
        assertThat(OutputDirectory.open(dir, "in2", config(2), 5, false).fingerprint()).isEqualTo(d.fingerprint());
    }

    @Test
    void overwriteWithTheSameConfigurationKeepsTheRun() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        TreeMap<String, String> before = tree(dir);

        OutputDirectory d = OutputDirectory.open(dir, "in2", config(1), 5, true);

        assertThat(d.complete()).isTrue();
        assertThat(tree(dir)).isEqualTo(before);
    }

    @Test
    void aForeignNonEmptyDirectoryIsRefusedEvenWithOverwrite() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("cat.jpg"), "meow");

        for (boolean overwrite : new boolean[] {false, true}) {
            assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(1), 5, overwrite))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("not a granular output directory");
            assertThat(tree(dir)).containsExactly(Map.entry("cat.jpg", "meow"));
        }
    }

    @Test
    void aFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("out.jsonl"), "keep");

        assertThatThrownBy(() -> OutputDirectory.open(file, "in2", config(1), 5, true))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not a file");
        assertThat(file).hasContent("keep");
    }

    @Test
    void anEmptyDirectoryIsUsedAndShardSizeMustBePositive() {
        Path dir = tmp.resolve("empty");
        assertThat(dir.toFile().mkdirs()).isTrue();
        assertThat(OutputDirectory.open(dir, "in2", config(1), 5, false).complete()).isFalse();

        assertThatThrownBy(() -> OutputDirectory.open(tmp.resolve("x"), "in2", config(1), 0, false))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--shard-size");
    }
}
