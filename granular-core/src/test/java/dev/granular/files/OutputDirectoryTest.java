package dev.granular.files;

import dev.granular.io.BadInputException;

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

    /** An unfinished run of {@code command} and {@code config} in {@code dir}: one record in the shard in progress. */
    static OutputDirectory unfinishedRun(Path dir, String command, Map<String, Object> config, boolean overwrite) {
        OutputDirectory d = OutputDirectory.open(dir, command, config, 5, overwrite, List.of());
        try (ShardWriter w = d.writer()) {
            w.write("{\"id\":\"a\"}");
        }
        return d;
    }

    /** A finished run of {@code config} in {@code dir}: one shard, report, card and manifest. */
    static OutputDirectory finishedRun(Path dir, Map<String, Object> config) throws IOException {
        OutputDirectory d = OutputDirectory.open(dir, "in2", config, 5, false, List.of());
        try (ShardWriter w = d.writer()) {
            w.write("{\"id\":\"a\"}");
            w.finish();
        }
        Files.createDirectories(d.workDir());
        Files.writeString(d.workDir().resolve("scratch.bin"), "x");
        AtomicFiles.write(d.reportDir().resolve("summary.json"), "{}");
        AtomicFiles.write(dir.resolve("README.md"), "# card");
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
        String a = OutputDirectory.open(tmp.resolve("a"), "in2", config(1), 5, false, List.of()).fingerprint();
        String b = OutputDirectory.open(tmp.resolve("b"), "in2", config(1), 5, false, List.of()).fingerprint();
        assertThat(a).isEqualTo(b)
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("c"), "in2", config(2), 5, false, List.of()).fingerprint())
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("d"), "in2", config(1), 6, false, List.of()).fingerprint())
                .isNotEqualTo(OutputDirectory.open(tmp.resolve("e"), "other", config(1), 5, false, List.of()).fingerprint());
    }

    @Test
    void openingCreatesTheLayoutAndRecordsTheFingerprint() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = OutputDirectory.open(dir, "in2", config(1), 5, false, List.of());

        assertThat(d.complete()).isFalse();
        assertThat(d.dataDir()).isDirectory();
        assertThat(new ObjectMapper().readTree(dir.resolve(".granular/run.json").toFile()).path("fingerprint").asText())
                .isEqualTo(d.fingerprint());
        assertThat(d.shardSize()).isEqualTo(5);
    }

    @Test
    void theSameConfigurationResumesAndSeesAFinishedRun() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory first = unfinishedRun(dir, "in2", config(1), false);

        OutputDirectory again = OutputDirectory.open(dir, "in2", config(1), 5, false, List.of());
        assertThat(again.complete()).isFalse();
        assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
        try (ShardWriter w = again.writer()) {
            assertThat(w.start()).isEqualTo(1);
        }

        finishedRun(tmp.resolve("done"), config(1));
        OutputDirectory done = OutputDirectory.open(tmp.resolve("done"), "in2", config(1), 5, false, List.of());
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
                () -> OutputDirectory.open(dir, "in2", config(2), 5, false, List.of()),
                () -> OutputDirectory.open(dir, "in2", config(1), 7, false, List.of()))) {
            assertThatThrownBy(open::run).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(dir.toString()).hasMessageContaining("--overwrite");
            assertThat(tree(dir)).isEqualTo(before);
        }
    }

    @Test
    void anUnfinishedRunOfAnotherConfigurationIsProtectedToo() throws IOException {
        Path dir = tmp.resolve("out");
        unfinishedRun(dir, "in2", config(1), false);
        assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(2), 5, false, List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--overwrite");
        assertThat(dir.resolve("data/.part-00000.jsonl.partial")).isRegularFile();
    }

    @Test
    void overwriteClearsOnlyGranularFiles() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory.open(dir, "in2", config(1), 5, false, List.of());
        AtomicFiles.write(dir.resolve("failed.jsonl"), "{}\n");
        AtomicFiles.write(dir.resolve("rejected.jsonl"), "{}\n");
        finishedRun(dir, config(1));
        Files.writeString(dir.resolve("NOTES.txt"), "mine");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/keep.txt"), "mine too");

        OutputDirectory d = OutputDirectory.open(dir, "in2", config(2), 5, true, List.of());

        assertThat(d.complete()).isFalse();
        assertThat(tree(dir).keySet()).containsExactly(".granular/run.json", "NOTES.txt", "extra/keep.txt");
        assertThat(dir.resolve("data")).isEmptyDirectory();
        assertThat(new ObjectMapper().readTree(dir.resolve(".granular/run.json").toFile()).path("fingerprint").asText())
                .isEqualTo(d.fingerprint());
        // and the new run is now the one that resumes
        assertThat(OutputDirectory.open(dir, "in2", config(2), 5, false, List.of()).fingerprint()).isEqualTo(d.fingerprint());
    }

    @Test
    void overwriteWithTheSameConfigurationKeepsTheRun() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        TreeMap<String, String> before = tree(dir);

        OutputDirectory d = OutputDirectory.open(dir, "in2", config(1), 5, true, List.of());

        assertThat(d.complete()).isTrue();
        assertThat(tree(dir)).isEqualTo(before);
    }

    @Test
    void aForeignNonEmptyDirectoryIsRefusedEvenWithOverwrite() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("cat.jpg"), "meow");

        for (boolean overwrite : new boolean[] {false, true}) {
            assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(1), 5, overwrite, List.of()))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("not a granular output directory");
            assertThat(tree(dir)).containsExactly(Map.entry("cat.jpg", "meow"));
        }
    }

    @Test
    void aFileIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("out.jsonl"), "keep");

        assertThatThrownBy(() -> OutputDirectory.open(file, "in2", config(1), 5, true, List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("not a file");
        assertThat(file).hasContent("keep");
    }

    @Test
    void anEmptyDirectoryIsUsedAndShardSizeMustBePositive() {
        Path dir = tmp.resolve("empty");
        assertThat(dir.toFile().mkdirs()).isTrue();
        assertThat(OutputDirectory.open(dir, "in2", config(1), 5, false, List.of()).complete()).isFalse();

        assertThatThrownBy(() -> OutputDirectory.open(tmp.resolve("x"), "in2", config(1), 0, false, List.of()))
                .isInstanceOf(dev.granular.io.InvalidConfigException.class).hasMessage("shardSize must be at least 1, got 0");
    }

    // --- 17.1: an output never overlaps an input ---

    @Test
    void anOutputThatIsContainsOrLiesInsideAnInputIsRefusedEvenWithOverwrite() throws IOException {
        Path input = tmp.resolve("in2-run");
        finishedRun(input, config(1));
        TreeMap<String, String> before = tree(input);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), input);

        record Case(Path out, Path in, String says) {
        }
        for (Case c : List.of(
                new Case(input, input, "is the input"),
                new Case(input, input.resolve("data/part-00000.jsonl"), "contains the input"),
                new Case(input.resolve("data"), input, "is inside the input"),
                new Case(input.resolve("sub/deeper"), input, "is inside the input"),
                new Case(link, input, "is the input"),
                new Case(input, link.resolve("data/part-00000.jsonl"), "contains the input"),
                new Case(tmp.resolve("elsewhere/../in2-run"), input, "is the input"))) {
            for (boolean overwrite : new boolean[] {false, true}) {
                assertThatThrownBy(() -> OutputDirectory.open(c.out(), "export", config(2), 5, overwrite, List.of(c.in())))
                        .as(c.toString()).isInstanceOf(BadInputException.class)
                        .hasMessageContaining(c.says()).hasMessageContaining("choose another --out");
                assertThat(tree(input)).as(c.toString()).isEqualTo(before);
            }
        }
        assertThat(input.resolve("sub")).doesNotExist();
        // a sibling is fine
        assertThat(OutputDirectory.open(tmp.resolve("in2-run-export"), "export", config(2), 5, false, List.of(input)).complete())
                .isFalse();
    }

    // --- 17.2: only a folder with granular's marker is granular's, and only its listed files are deleted ---

    @Test
    void aFolderWithAManifestButNoMarkerIsNotGranularOutput() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("customer"));
        Files.writeString(dir.resolve("manifest.json"), "{\"theirs\": true}");
        Files.writeString(dir.resolve("README.md"), "their readme");
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/customers.csv"), "id,name\n1,Ann\n");
        Files.createDirectories(dir.resolve("report"));
        Files.writeString(dir.resolve("report/q3.txt"), "Q3");
        TreeMap<String, String> before = tree(dir);

        for (boolean overwrite : new boolean[] {false, true}) {
            assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(1), 5, overwrite, List.of()))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("not a granular output directory").hasMessageContaining(".granular/run.json")
                    .hasMessageContaining("never deletes files it did not write");
            assertThat(tree(dir)).isEqualTo(before);
        }
    }

    @Test
    void theMarkerNamesTheCommandTheRunAndEveryFileWritten() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = finishedRun(dir, config(1));

        var marker = new ObjectMapper().readTree(dir.resolve(".granular/run.json").toFile());
        assertThat(marker.path("tool").asText()).isEqualTo("granular");
        assertThat(marker.path("command").asText()).isEqualTo("in2");
        assertThat(marker.path("run_id").asText()).isEqualTo(d.runId()).isNotBlank();
        assertThat(marker.path("files")).extracting(n -> n.asText()).contains("README.md", "data/part-00000.jsonl",
                "manifest.json", "report/summary.json").doesNotContain(".granular/run.json", ".granular/work/scratch.bin");
    }

    @Test
    void overwriteLeavesFilesOthersPutIntoDataAndReport() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        Files.writeString(dir.resolve("data/customers.csv"), "id\n1\n");
        Files.writeString(dir.resolve("report/q3.txt"), "Q3");
        Files.writeString(dir.resolve("NOTES.txt"), "mine");

        OutputDirectory.open(dir, "in2", config(2), 5, true, List.of());

        assertThat(tree(dir)).containsEntry("data/customers.csv", "id\n1\n").containsEntry("report/q3.txt", "Q3")
                .containsEntry("NOTES.txt", "mine").doesNotContainKeys("README.md", "manifest.json", "data/part-00000.jsonl",
                        "report/summary.json");
    }

    @Test
    void aMarkerWithoutAFileListIsNotTrustedWithOverwrite() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("old/.granular")).getParent();
        Files.writeString(dir.resolve(".granular/run.json"), "{\"fingerprint\": \"abc\"}");
        Files.writeString(dir.resolve("README.md"), "who wrote this?");

        assertThatThrownBy(() -> OutputDirectory.open(dir, "in2", config(1), 5, true, List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("did not list the files it wrote");
        assertThat(dir.resolve("README.md")).hasContent("who wrote this?");
    }

    // --- 17.4: paid replies ---

    @Test
    void paidRepliesOfAnotherConfigurationAreRefusedWithoutOverwriteAndKeptWithIt() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory.open(dir, "generate", config(1), 5, false, List.of());
        // A killed generate run: replies journaled, no shard written yet (shards come from the journal at the end).
        Path journal = dir.resolve(".granular/journal.jsonl");
        Files.writeString(journal, "{\"i\":0,\"record\":{\"id\":\"paid\"}}\n");
        Path replies = dir.resolve(OutputDirectory.PAID_REPLIES);
        Files.writeString(replies, "{\"run\":\"x\",\"key\":\"k\",\"body\":\"{}\"}\n");
        TreeMap<String, String> before = tree(dir);

        assertThatThrownBy(() -> OutputDirectory.open(dir, "generate", config(2), 5, false, List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("--overwrite");
        assertThat(tree(dir)).isEqualTo(before);

        OutputDirectory.open(dir, "generate", config(2), 5, true, List.of());
        // the replies stay (reused by request); the old run's row journal goes, or the new run would take its rows
        assertThat(replies).hasContent("{\"run\":\"x\",\"key\":\"k\",\"body\":\"{}\"}\n");
        assertThat(journal).doesNotExist();
    }

    // --- 17.6: a run that failed on bad input blocks nothing ---

    @Test
    void aFreshRunThatFailedOnBadInputLeavesNothingBehind() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory d = unfinishedRun(dir, "export", config(1), false);
        d.abandon(new BadInputException("in.jsonl", 2, "not JSON"));

        assertThat(dir).doesNotExist();
        // the corrected input is another configuration; it runs without --overwrite
        assertThat(OutputDirectory.open(dir, "export", config(2), 5, false, List.of()).complete()).isFalse();
    }

    @Test
    void aBadInputFailureInAFolderWithOtherFilesRemovesOnlyItsOwn() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        finishedRun(dir, config(1));
        Files.writeString(dir.resolve("NOTES.txt"), "mine");
        OutputDirectory d = unfinishedRun(dir, "export", config(2), true);
        d.abandon(new BadInputException("in.jsonl", 2, "not JSON"));

        assertThat(tree(dir).keySet()).containsExactly(".granular/run.json", "NOTES.txt");
        assertThat(OutputDirectory.open(dir, "export", config(3), 5, false, List.of()).complete()).isFalse();
    }

    @Test
    void aResumedRunThatFailsKeepsItsRecords() throws IOException {
        Path dir = tmp.resolve("out");
        unfinishedRun(dir, "in2", config(1), false);
        OutputDirectory again = OutputDirectory.open(dir, "in2", config(1), 5, false, List.of());
        again.abandon(new BadInputException("in.jsonl", 2, "not JSON"));

        assertThat(dir.resolve("data/.part-00000.jsonl.partial")).hasContent("{\"id\":\"a\"}\n");
    }

    @Test
    void aKilledAtomicWriteLeavesATemporaryFileThatOverwriteRemoves() throws IOException {
        Path dir = tmp.resolve("out");
        OutputDirectory.open(dir, "in2", config(1), 5, false, List.of());
        assertThatThrownBy(() -> AtomicFiles.write(dir.resolve("README.md"), out -> {
            out.write("half".getBytes());
            out.flush();
            throw new IOException("killed");
        })).isInstanceOf(IOException.class);
        Files.writeString(dir.resolve(".README.md.0123abcd.tmp"), "left by a kill -9");

        OutputDirectory.open(dir, "in2", config(2), 5, true, List.of());

        assertThat(tree(dir).keySet()).containsExactly(".granular/run.json");
    }

    @Test
    void aFileSomeoneElsePutWhereGranularWritesIsNeverReplaced() throws IOException {
        Path dir = tmp.resolve("out");
        finishedRun(dir, config(1));
        OutputDirectory d = OutputDirectory.open(dir, "in2", config(2), 5, true, List.of());
        Files.writeString(dir.resolve("README.md"), "my notes on this run");

        assertThatThrownBy(() -> AtomicFiles.write(dir.resolve("README.md"), "# card"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("was not written by granular");
        assertThat(dir.resolve("README.md")).hasContent("my notes on this run");
        d.abandon(new BadInputException("stop"));
        assertThat(dir.resolve("README.md")).hasContent("my notes on this run");
    }
}
