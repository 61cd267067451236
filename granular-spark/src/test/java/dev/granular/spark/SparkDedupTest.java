package dev.granular.spark;

import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.DedupFixtures;
import dev.granular.dedup.DedupJob;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Spark dedup against the single-machine {@link DedupJob} on the same records: the same kept rows (same order,
 * same bytes), the same removed.jsonl and counts, for the input's own split and for one and three partitions. One
 * SparkSession (local[2]) for the class.
 */
class SparkDedupTest {
    static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("granular-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TrainingRecord rec(String id, String user, String answer) {
        return new TrainingRecord(id, List.of(Message.user(user), Message.assistant(answer)), null, Map.of("design", "test"));
    }

    /**
     * 300 rows: distinct stories; exact duplicates up to spacing and Unicode form; near duplicates (one to three words
     * of 120 changed) of rows in either file, some before their original's file position in the other file; chains;
     * contaminated rows; rows without words.
     */
    static List<TrainingRecord> records() {
        SplittableRandom r = new SplittableRandom(5);
        List<TrainingRecord> out = new ArrayList<>();
        List<List<String>> stories = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int kind = i < 40 ? 0 : r.nextInt(10);
            String id = "row" + i;
            if (kind <= 4) {
                List<String> w = DedupFixtures.words(1000 + i, 120);
                stories.add(w);
                out.add(rec(id, "Story " + i + ", café?", String.join(" ", w)));
            } else if (kind == 5) {
                TrainingRecord of = out.get(r.nextInt(out.size()));
                out.add(rec(id, of.messages().get(0).content().replace("é", "e\u0301") + "  ", " " + of.messages().get(1).content()));
            } else if (kind <= 7) {
                List<String> base = stories.get(r.nextInt(stories.size()));
                List<String> w = DedupFixtures.edited(base, 1 + r.nextInt(3));
                stories.add(w); // later rows may be near this one: chains
                out.add(rec(id, "Story again " + i, String.join(" ", w)));
            } else if (kind == 8) {
                out.add(rec(id, "As the benchmark says: the quick brown fox jumps over the lazy dog and the cat (question " + i
                        + ").", "ok " + i));
            } else {
                out.add(rec(id, "?!", "... " + "!".repeat(1 + i % 3)));
            }
        }
        return out;
    }

    Path input(List<TrainingRecord> records) throws IOException {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("data"));
        int third = records.size() / 3;
        List<List<TrainingRecord>> parts = List.of(records.subList(0, third), records.subList(third, 2 * third),
                records.subList(2 * third, records.size()));
        for (int f = 0; f < parts.size(); f++) {
            StringBuilder sb = new StringBuilder();
            parts.get(f).forEach(t -> sb.append(RecordJson.toJson(t)).append('\n'));
            Files.writeString(in.resolve("data/part-0000" + f + ".jsonl"), sb.toString());
        }
        return in;
    }

    Path eval() throws IOException {
        Path f = tmp.resolve("eval.jsonl");
        Files.writeString(f, "{\"q\": \"The quick brown fox jumps over the lazy dog and the cat.\"}\n");
        return f;
    }

    /** The data files' bytes, concatenated in file-name order. */
    static String data(Path out) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            for (Path p : s.sorted().toList()) {
                sb.append(Files.readString(p));
            }
        }
        return sb.toString();
    }

    @Test
    void keepsAndRemovesExactlyWhatTheSingleMachineJobDoesWhateverThePartitioning() throws IOException {
        Path in = input(records());
        DedupConfig config = DedupConfig.DEFAULT.withNearThreshold(0.8).withDecontaminate(List.of(eval()));
        DedupJob.Result local = DedupJob.run(DedupJob.Spec.of(List.of(in), tmp.resolve("local")).withConfig(config).withShardSize(50));
        Dedup.Counts c = local.counts();
        assertThat(c.contaminated()).isPositive();
        assertThat(c.duplicates()).isPositive();
        assertThat(c.nearDuplicates()).isPositive();
        assertThat(c.kept()).isEqualTo(c.read() - c.contaminated() - c.duplicates() - c.nearDuplicates());
        String expected = data(tmp.resolve("local"));
        String expectedRemoved = Files.readString(tmp.resolve("local/removed.jsonl"));

        for (int partitions : new int[] {0, 1, 3}) {
            Path out = tmp.resolve("spark" + partitions);
            Dedup.Counts s = SparkDedup.run(spark, new SparkDedup.Spec(DedupJob.Spec.of(List.of(in), out).withConfig(config)
                    .withShardSize(50), partitions));
            assertThat(s).as("partitions %d", partitions).isEqualTo(c);
            assertThat(data(out)).as("partitions %d", partitions).isEqualTo(expected);
            assertThat(Files.readString(out.resolve("removed.jsonl"))).as("partitions %d", partitions).isEqualTo(expectedRemoved);
            try (Stream<Path> files = Files.list(out.resolve("data"))) {
                assertThat(files).allSatisfy(p -> assertThat(Files.readAllLines(p)).hasSizeLessThanOrEqualTo(50));
            }
            assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"engine\" : \"spark\"");
        }
    }

    @Test
    void withoutNearDedupTheSameHoldsForExactDedup() throws IOException {
        Path in = input(records());
        DedupJob.Result local = DedupJob.run(DedupJob.Spec.of(List.of(in), tmp.resolve("local")));
        Dedup.Counts s = SparkDedup.run(spark, new SparkDedup.Spec(DedupJob.Spec.of(List.of(in), tmp.resolve("spark")), 3));
        assertThat(s).isEqualTo(local.counts());
        assertThat(s.nearDuplicates()).isZero();
        assertThat(data(tmp.resolve("spark"))).isEqualTo(data(tmp.resolve("local")));
        assertThat(Files.readString(tmp.resolve("spark/removed.jsonl"))).isEqualTo(Files.readString(tmp.resolve("local/removed.jsonl")));
    }

    @Test
    void nearDedupWithoutExactDedupFindsExactCopiesAsNearDuplicates() throws IOException {
        Path in = input(records());
        DedupConfig config = DedupConfig.DEFAULT.withExact(false).withNearThreshold(0.8);
        DedupJob.Result local = DedupJob.run(DedupJob.Spec.of(List.of(in), tmp.resolve("local")).withConfig(config));
        assertThat(local.counts().duplicates()).isZero();
        Dedup.Counts s = SparkDedup.run(spark, new SparkDedup.Spec(DedupJob.Spec.of(List.of(in), tmp.resolve("spark")).withConfig(config), 3));
        assertThat(s).isEqualTo(local.counts());
        assertThat(data(tmp.resolve("spark"))).isEqualTo(data(tmp.resolve("local")));
        assertThat(Files.readString(tmp.resolve("spark/removed.jsonl"))).isEqualTo(Files.readString(tmp.resolve("local/removed.jsonl")));
    }

    @Test
    void theFirstBadLineOrRepeatedIdIsReportedAndNothingIsLeft() throws IOException {
        Path in = tmp.resolve("bad.jsonl");
        List<TrainingRecord> rs = records().subList(0, 20);
        StringBuilder sb = new StringBuilder();
        rs.forEach(t -> sb.append(RecordJson.toJson(t)).append('\n'));
        Files.writeString(in, sb + "{broken\n" + RecordJson.toJson(rs.getFirst()) + "\n{broken again\n");
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> SparkDedup.run(spark, new SparkDedup.Spec(DedupJob.Spec.of(List.of(in), out), 3)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(in + ":21");
        assertThat(out.resolve("manifest.json")).doesNotExist();

        Files.writeString(in, sb + RecordJson.toJson(rs.get(3)) + "\n");
        assertThatThrownBy(() -> SparkDedup.run(spark, new SparkDedup.Spec(DedupJob.Spec.of(List.of(in), out), 2)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(in + ":21").hasMessageContaining("row3");
        assertThat(out.resolve("manifest.json")).doesNotExist();
    }
}
