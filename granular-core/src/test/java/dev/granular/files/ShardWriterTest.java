package dev.granular.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardWriterTest {
    @TempDir
    Path tmp;

    static String rec(long i) {
        return "{\"id\":\"r-" + i + "\"}";
    }

    static void write(ShardWriter w, long from, long to) {
        assertThat(w.next()).isEqualTo(from);
        for (long i = from; i < to; i++) {
            w.write(rec(i));
        }
    }

    /** File name to content, hidden files included. */
    static TreeMap<String, String> listing(Path dir) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        return m;
    }

    static String lines(long from, long to) {
        StringBuilder sb = new StringBuilder();
        for (long i = from; i < to; i++) {
            sb.append(rec(i)).append('\n');
        }
        return sb.toString();
    }

    /** Whole shards written elsewhere go in at shard boundaries only, and a resume counts them as the writer's own. */
    @Test
    void wholeShardsWrittenElsewhereGoInAtBoundaries() throws IOException {
        Path data = tmp.resolve("data");
        Path elsewhere = Files.createDirectories(tmp.resolve("staging"));
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            Files.writeString(elsewhere.resolve("a"), lines(0, 5));
            w.appendShard(elsewhere.resolve("a"), 5);
            write(w, 5, 7);
            Files.writeString(elsewhere.resolve("b"), lines(7, 10));
            assertThatThrownBy(() -> w.appendShard(elsewhere.resolve("b"), 3)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("at record 7");
            write(w, 7, 10);
            Files.writeString(elsewhere.resolve("c"), lines(10, 12));
            w.appendShard(elsewhere.resolve("c"), 2);
            assertThat(w.next()).isEqualTo(12);
            w.finish();
        }
        assertThat(listing(data)).containsExactly(java.util.Map.entry("part-00000.jsonl", lines(0, 5)),
                java.util.Map.entry("part-00001.jsonl", lines(5, 10)), java.util.Map.entry("part-00002.jsonl", lines(10, 12)));
        assertThat(elsewhere.resolve("a")).doesNotExist();
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            assertThat(w.start()).isEqualTo(12);
        }
    }

    @Test
    void cutsShardsByIndexAndFinishSealsTheShortLastOne() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            assertThat(w.start()).isZero();
            write(w, 0, 12);
            // two full shards sealed, the third still hidden
            assertThat(listing(data).keySet()).containsExactly(".part-00002.jsonl.partial", "part-00000.jsonl", "part-00001.jsonl");
            w.finish();
        }
        assertThat(listing(data)).containsExactly(
                java.util.Map.entry("part-00000.jsonl", lines(0, 5)),
                java.util.Map.entry("part-00001.jsonl", lines(5, 10)),
                java.util.Map.entry("part-00002.jsonl", lines(10, 12)));
    }

    @Test
    void aFullLastShardLeavesNoEmptyShardBehind() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            write(w, 0, 10);
            w.finish();
        }
        assertThat(listing(data).keySet()).containsExactly("part-00000.jsonl", "part-00001.jsonl");
    }

    @Test
    void finishWithNothingWrittenWritesNothing() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            w.finish();
        }
        assertThat(listing(data)).isEmpty();
    }

    @Test
    void resumeKeepsCompleteLinesDropsATornOneAndEndsLikeAnUninterruptedRun() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            write(w, 0, 8);
            // closed without finish(): as after a crash, part-00000 sealed and 3 lines in the partial
        }
        Path partial = data.resolve(".part-00001.jsonl.partial");
        assertThat(partial).hasContent(lines(5, 8).stripTrailing());
        Files.write(partial, "{\"id\":\"r-8\",\"ha".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);

        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            assertThat(w.start()).isEqualTo(8);
            assertThat(Files.readString(partial)).isEqualTo(lines(5, 8));
            write(w, 8, 13);
            w.finish();
        }

        Path clean = tmp.resolve("clean");
        try (ShardWriter w = ShardWriter.resume(clean, 5)) {
            write(w, 0, 13);
            w.finish();
        }
        assertThat(listing(data)).isEqualTo(listing(clean));
    }

    @Test
    void aPartialHoldingOnlyATornLineIsEmptiedAndReused() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 3)) {
            write(w, 0, 3);
        }
        Path partial = data.resolve(".part-00001.jsonl.partial");
        Files.writeString(partial, "{\"id\":");

        try (ShardWriter w = ShardWriter.resume(data, 3)) {
            assertThat(w.start()).isEqualTo(3);
            assertThat(partial).isEmptyFile();
            write(w, 3, 4);
            w.finish();
        }
        assertThat(listing(data)).containsExactly(
                java.util.Map.entry("part-00000.jsonl", lines(0, 3)),
                java.util.Map.entry("part-00001.jsonl", lines(3, 4)));
    }

    @Test
    void resumeAfterASealedShardWithNoPartialStartsTheNextShard() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 4)) {
            write(w, 0, 4);
        }
        try (ShardWriter w = ShardWriter.resume(data, 4)) {
            assertThat(w.start()).isEqualTo(4);
            write(w, 4, 6);
            w.finish();
        }
        assertThat(listing(data).get("part-00001.jsonl")).isEqualTo(lines(4, 6));
    }

    @Test
    void stalePartialsOfOtherShardsAreRemoved() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 2)) {
            write(w, 0, 3);
        }
        Files.writeString(data.resolve(".part-00000.jsonl.partial"), rec(0) + "\n");
        Files.writeString(data.resolve(".part-00007.jsonl.partial"), rec(14) + "\n");

        try (ShardWriter w = ShardWriter.resume(data, 2)) {
            assertThat(w.start()).isEqualTo(3);
        }
        assertThat(listing(data).keySet()).containsExactly(".part-00001.jsonl.partial", "part-00000.jsonl");
    }

    @Test
    void aFinishedDirectoryResumesAtItsEnd() throws IOException {
        Path data = tmp.resolve("data");
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            write(w, 0, 7);
            w.finish();
        }
        TreeMap<String, String> before = listing(data);
        try (ShardWriter w = ShardWriter.resume(data, 5)) {
            assertThat(w.start()).isEqualTo(7);
            w.finish();
        }
        assertThat(listing(data)).isEqualTo(before);
    }

    @Test
    void missingShardsAreAnError() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("part-00000.jsonl"), lines(0, 2));
        Files.writeString(data.resolve("part-00002.jsonl"), lines(4, 6));

        assertThatThrownBy(() -> ShardWriter.resume(data, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not contiguous").hasMessageContaining("part-00001.jsonl");
    }

    @Test
    void shardsMustStartAtZero() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("part-00001.jsonl"), lines(2, 4));

        assertThatThrownBy(() -> ShardWriter.resume(data, 2))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("part-00000.jsonl");
    }

    @Test
    void otherFilesInTheDataFolderAreLeftAlone() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "hi");
        try (ShardWriter w = ShardWriter.resume(data, 2)) {
            write(w, 0, 3);
            w.finish();
        }
        assertThat(listing(data).keySet()).isEqualTo(new java.util.TreeSet<>(List.of("notes.txt", "part-00000.jsonl", "part-00001.jsonl")));
    }
}
