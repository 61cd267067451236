package dev.granular.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.In2Job;
import dev.granular.io.BadInputException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.granular.spark.SparkIn2Test.CONFIG;
import static dev.granular.spark.SparkIn2Test.assertSameData;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code SparkIn2} with its corpus in a DataFrame ({@link CorpusFrame}) against {@code granular in2} ({@link In2Job}) with
 * the same documents in a JSONL file: the same data files byte for byte and the same corpus figures, whatever the frame's
 * partitioning or the order its rows come in. One SparkSession (local[2]) for the class.
 */
class SparkIn2FrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StructType SCHEMA = new StructType().add("n", DataTypes.LongType).add("doc_id", DataTypes.StringType)
            .add("body", DataTypes.StringType);
    static SparkSession spark;

    @TempDir
    Path tmp;

    /** The first documents of the bundled corpus, with ids; one with Windows line ends (normalised by both readers). */
    static List<String[]> docs = new ArrayList<>();
    static Path corpus;

    @BeforeAll
    static void start() throws IOException {
        int[] n = {0};
        dev.granular.corpus.Corpus.bundled().forEach(d -> {
            if (n[0] < 8) {
                docs.add(new String[]{"sotu-" + n[0], n[0] == 3 ? d.text().replace("\n", "\r\n") : d.text()});
            }
            n[0]++;
        });
        corpus = Files.createTempFile("granular-spark-in2-frame-", ".jsonl");
        Files.writeString(corpus, jsonl(docs));
        spark = SparkSession.builder().master("local[2]").appName("granular-test").config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() throws IOException {
        spark.stop();
        Files.deleteIfExists(corpus);
    }

    static String jsonl(List<String[]> rows) {
        StringBuilder sb = new StringBuilder();
        for (String[] d : rows) {
            ObjectNode o = JSON.createObjectNode();
            if (d[0] != null) {
                o.put("id", d[0]);
            }
            sb.append(o.put("text", d[1])).append('\n');
        }
        return sb.toString();
    }

    /** Rows (n = place * 10, doc_id, body) in {@code partitions} partitions. */
    static Dataset<Row> frame(List<String[]> rows, int partitions) {
        List<Row> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            out.add(RowFactory.create(i * 10L, rows.get(i)[0], rows.get(i)[1]));
        }
        return spark.createDataFrame(out, SCHEMA).repartition(partitions);
    }

    static CorpusFrame corpusFrame(Dataset<Row> frame) {
        return CorpusFrame.of(frame).withText("body").withId("doc_id").withOrder("n");
    }

    static In2Job.Spec local(Path corpus, Path out) {
        return new In2Job.Spec(List.of(corpus), CorpusOptions.defaults(), List.of(), null, "o200k_base", CONFIG, out, 25, false, 2,
                List.of("in2"), null, null);
    }

    static SparkIn2.Spec spec(CorpusFrame frame, Path out) {
        return SparkIn2.Spec.of(frame, CONFIG, out).withShardSize(25);
    }

    private JsonNode manifest(Path out) throws IOException {
        return JSON.readTree(out.resolve("manifest.json").toFile());
    }

    @Test
    void theSameDataFilesAsGranularIn2OnTheFileWhateverThePartitioning() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(local(corpus, local), In2Job.Listener.NONE);
        JsonNode lm = manifest(local);
        record Case(String name, Dataset<Row> frame, int tasks, long waveChars) {
        }
        // One partition, one task, one wave; three partitions, three tasks, waves of ~40K characters; the rows shuffled.
        List<Case> cases = List.of(new Case("one", frame(docs, 1), 1, SparkIn2.WAVE_CHARS),
                new Case("three", frame(docs, 3), 3, 40_000),
                new Case("shuffled", frame(docs, 3).orderBy(rand(42)).repartition(3), 2, 40_000));
        String sha = null;
        for (Case c : cases) {
            Path out = tmp.resolve(c.name());
            In2Job.Result r = SparkIn2.run(spark, spec(corpusFrame(c.frame()), out).withPartitions(c.tasks()).withWaveChars(c.waveChars()));
            assertThat(r.written()).as(c.name()).isEqualTo(60);
            assertSameData(local, out);
            JsonNode m = manifest(out);
            assertThat(m.get("corpus")).as(c.name()).isEqualTo(lm.get("corpus"));
            assertThat(m.get("counts")).as(c.name()).isEqualTo(lm.get("counts"));
            assertThat(m.get("shards")).as(c.name()).isEqualTo(lm.get("shards"));
            JsonNode in = m.path("inputs");
            assertThat(in.path("corpus").asText()).isEqualTo("dataframe");
            assertThat(in.path("corpus_rows").asLong()).isEqualTo(8);
            assertThat(in.path("corpus_columns").toString()).isEqualTo("{\"text\":\"body\",\"id\":\"doc_id\",\"order\":\"n\"}");
            assertThat(in.path("corpus_sha256").asText()).hasSize(64);
            // The content fingerprint does not depend on the partitioning.
            if (sha != null) {
                assertThat(in.path("corpus_sha256").asText()).as(c.name()).isEqualTo(sha);
            }
            sha = in.path("corpus_sha256").asText();
            assertThat(Files.readString(out.resolve("README.md"))).contains("a Spark DataFrame of 8 rows");
            assertThat(Files.readString(out.resolve("report/summary.json"))).isEqualTo(Files.readString(local.resolve("report/summary.json")));
        }
        // The same rows and order in another partitioning: the same run, found finished.
        In2Job.Result again = SparkIn2.run(spark, spec(corpusFrame(frame(docs, 2)), tmp.resolve("three")).withPartitions(3));
        assertThat(again.alreadyComplete()).isTrue();
    }

    /** A JSONL file read by Spark, in its own order (one file, read in order): ids from its "id" field, as the corpus reader's. */
    @Test
    void aFileReadInOrderNeedsNoOrderColumn() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(local(corpus, local), In2Job.Listener.NONE);
        Path out = tmp.resolve("own");
        CorpusFrame frame = CorpusFrame.of(spark.read().json(corpus.toString()));
        assertThat(frame.id()).isEqualTo("id");
        assertThat(frame.order()).isNull();
        SparkIn2.run(spark, spec(frame, out).withPartitions(2));
        assertSameData(local, out);
        assertThat(manifest(out).get("corpus")).isEqualTo(manifest(local).get("corpus"));
    }

    /** Rows without ids are named after their place ("n=30"); the examples come out as a DataFrame. */
    @Test
    void rowsWithoutIdsAreNamedByTheirPlace() throws Exception {
        Path out = tmp.resolve("noid");
        List<String[]> noIds = docs.stream().map(d -> new String[]{null, d[1]}).toList();
        Dataset<Row> examples = SparkIn2.examples(spark, spec(CorpusFrame.of(frame(noIds, 3)).withText("body").withOrder("n"), out));
        assertThat(examples.count()).isEqualTo(60);
        List<String> sources = examples.select(col("record")).collectAsList().stream()
                .map(r -> readTree(r.getString(0)).path("meta").path("source").asText()).distinct().toList();
        assertThat(sources).isNotEmpty().isSubsetOf(java.util.stream.IntStream.range(0, 8).mapToObj(i -> "n=" + i * 10).toList());
    }

    private static JsonNode readTree(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Bad rows and bad columns are named as RecordFrame names them, before anything is written. */
    @Test
    void badRowsAreReportedWithTheirPlaceAndNothingIsWritten() {
        List<String[]> rows = new ArrayList<>(docs);
        rows.set(5, new String[]{"r5", null});
        Path out = tmp.resolve("bad");
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(frame(rows, 3)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("row n=50 (id \"r5\")").hasMessageContaining("text column 'body' is null");
        assertThat(out).doesNotExist();
        rows.set(5, new String[]{"r5", " \r\n "});
        rows.set(6, new String[]{"r6", ""});
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(frame(rows, 3)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("row n=50 (id \"r5\"): empty document (whitespace only)");
        assertThat(out).doesNotExist();
        // A repeated place, a null place.
        Dataset<Row> repeated = frame(docs, 3).withColumn("n", col("n").divide(20).cast("long"));
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(repeated), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("row n=0").hasMessageContaining("the order value 0 is repeated");
        Dataset<Row> nullPlace = frame(docs, 3).withColumn("n", org.apache.spark.sql.functions.when(col("doc_id").equalTo("sotu-4"),
                org.apache.spark.sql.functions.lit(null).cast("long")).otherwise(col("n")));
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(nullPlace), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("a row (id \"sotu-4\") has no place in the order: its 'n' is null");
        assertThat(out).doesNotExist();
        // Columns: missing, of the wrong type.
        assertThatThrownBy(() -> spec(CorpusFrame.of(frame(docs, 1)).withOrder("n"), out))
                .isInstanceOf(BadInputException.class).hasMessageContaining("text column 'text' is not in the DataFrame");
        assertThatThrownBy(() -> spec(CorpusFrame.of(frame(docs, 1)).withText("n"), out))
                .isInstanceOf(BadInputException.class).hasMessageContaining("text column 'n' is bigint, expected string");
        assertThatThrownBy(() -> spec(corpusFrame(frame(docs, 1)).withOrder("doc_id"), out))
                .isInstanceOf(BadInputException.class).hasMessageContaining("order column 'doc_id' is string, expected int or long");
        assertThat(out).doesNotExist();
    }

    /** With bad rows skipped, the frame's skipped rows are counted by reason as granular in2 counts a file's. */
    @Test
    void skippedRowsAreCountedAsTheFileRunCountsThem() throws Exception {
        List<String[]> rows = new ArrayList<>(docs);
        rows.add(2, new String[]{"blank", "  \n "});
        rows.add(6, new String[]{"empty", ""});
        Path file = tmp.resolve("skips.jsonl");
        Files.writeString(file, jsonl(rows));
        Path local = tmp.resolve("local");
        CorpusOptions skip = CorpusOptions.defaults().withOnBadRow(BadRowPolicy.SKIP);
        In2Job.run(local(file, local).withCorpusOptions(skip), In2Job.Listener.NONE);
        Path out = tmp.resolve("frame");
        SparkIn2.run(spark, spec(corpusFrame(frame(rows, 3)), out).withCorpusOptions(skip).withPartitions(3));
        assertSameData(local, out);
        JsonNode corpusFigures = manifest(out).get("corpus");
        assertThat(corpusFigures).isEqualTo(manifest(local).get("corpus"));
        assertThat(corpusFigures.path("documents").asLong()).isEqualTo(8);
        assertThat(corpusFigures.path("skipped_rows").path("empty-document").asLong()).isEqualTo(2);
    }

    /** A run of one frame is not resumed (nor its output replaced) with another: its content fingerprint differs. */
    @Test
    void anotherFrameIsRefusedAsAChangedCorpusFileIs() throws Exception {
        Path out = tmp.resolve("out");
        SparkIn2.run(spark, spec(corpusFrame(frame(docs, 2)), out));
        String sha = manifest(out).path("inputs").path("corpus_sha256").asText();
        List<String[]> changed = new ArrayList<>(docs);
        changed.set(7, new String[]{"sotu-7", docs.get(7)[1] + " One more sentence."});
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(frame(changed, 2)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("holds a run with a different configuration");
        // The same rows in another order are another corpus too.
        List<String[]> swapped = new ArrayList<>(docs);
        swapped.set(0, docs.get(1));
        swapped.set(1, docs.get(0));
        assertThatThrownBy(() -> SparkIn2.run(spark, spec(corpusFrame(frame(swapped, 2)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("holds a run with a different configuration");
        assertThat(manifest(out).path("inputs").path("corpus_sha256").asText()).isEqualTo(sha);
    }

    /** {@code --exclude} and {@code --general} with a frame corpus: granular in2's output with the same files. */
    @Test
    void excludeAndGeneralWorkWithAFrame() throws Exception {
        Path eval = tmp.resolve("eval.txt");
        String[] words = docs.get(2)[1].split("\\s+");
        Files.writeString(eval, String.join(" ", java.util.Arrays.asList(words).subList(words.length / 2, words.length / 2 + 12)));
        Path general = SparkIn2Test.generalRows(tmp.resolve("general.jsonl"));
        Path local = tmp.resolve("local");
        In2Job.run(local(corpus, local).withExclude(List.of(eval)).withGeneral(List.of(general)), In2Job.Listener.NONE);
        JsonNode lm = manifest(local);
        assertThat(lm.path("corpus").path("decontaminated").asLong()).isEqualTo(1);
        assertThat(lm.path("counts").path("by_kind").path("general").asLong()).isEqualTo(6);
        Path out = tmp.resolve("frame");
        SparkIn2.run(spark, spec(corpusFrame(frame(docs, 3)), out).withExclude(List.of(eval)).withGeneral(List.of(general))
                .withPartitions(3).withWaveChars(40_000));
        assertSameData(local, out);
        JsonNode m = manifest(out);
        assertThat(m.get("corpus")).isEqualTo(lm.get("corpus"));
        assertThat(m.get("counts")).isEqualTo(lm.get("counts"));
        assertThat(m.path("inputs").get("exclude_sha256")).isEqualTo(lm.path("inputs").get("exclude_sha256"));
        assertThat(m.path("inputs").get("general_sha256")).isEqualTo(lm.path("inputs").get("general_sha256"));
    }
}
