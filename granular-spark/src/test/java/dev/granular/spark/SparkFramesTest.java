package dev.granular.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.DedupJob;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.export.Truncation;
import dev.granular.io.BadInputException;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DataFrames in and out: {@link SparkTokenExport#tokens} and {@link SparkDedup#dedup} on a DataFrame of records against
 * the file commands on the same records, for both shapes a user has (struct columns from {@code spark.read().json},
 * JSON text from {@code spark.read().text}), shuffled into 1 and 3 partitions. One SparkSession (local[2]) for the class.
 */
class SparkFramesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static SparkSession spark;
    static Path qwenDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        qwenDir = Reference.tokenizerDir("qwen3");
        spark = SparkSession.builder().master("local[2]").appName("granular-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The records as JSON lines, each with {@code "n": its place} first (a column of the frame, not of the record). */
    static List<String> numbered(List<TrainingRecord> records) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            lines.add("{\"n\":" + (i * 10 + 5) + "," + RecordJson.toJson(records.get(i)).substring(1));
        }
        return lines;
    }

    /** Struct columns, as spark.read().json infers them (plus the order n), shuffled into {@code partitions}. */
    static Dataset<Row> structs(List<String> numbered, int partitions) {
        return spark.read().json(spark.createDataset(numbered, Encoders.STRING())).repartition(partitions);
    }

    /** JSON text in value (as spark.read().text gives) and the order n, shuffled into {@code partitions}. */
    static Dataset<Row> texts(List<TrainingRecord> records, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            rows.add(RowFactory.create((long) i * 10 + 5, RecordJson.toJson(records.get(i))));
        }
        return spark.createDataFrame(rows, DataTypes.createStructType(List.of(
                DataTypes.createStructField("n", DataTypes.LongType, false),
                DataTypes.createStructField("value", DataTypes.StringType, false)))).repartition(partitions);
    }

    static Path file(Path dir, List<TrainingRecord> records) throws IOException {
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        records.forEach(r -> sb.append(RecordJson.toJson(r)).append('\n'));
        Path f = dir.resolve("records.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    /** Each row's columns from {@code from} on as text ([1, 2] for lists), in the order of the first column. */
    static List<List<String>> sorted(Dataset<Row> rows, int from) {
        List<List<String>> out = new ArrayList<>();
        for (Row r : rows.orderBy(rows.columns()[0]).collectAsList()) {
            List<String> row = new ArrayList<>();
            for (int c = from; c < r.size(); c++) {
                row.add(String.valueOf(r.get(c) instanceof scala.collection.Seq<?> s
                        ? scala.jdk.javaapi.CollectionConverters.asJava(s) : r.get(c)));
            }
            out.add(row);
        }
        return out;
    }

    static List<Object> counts(SparkTokenExport.Result r) {
        return List.of(r.records(), r.examples(), r.rows(), r.tokens(), r.trainedTokens(), r.truncated(), r.dropped(), r.rejected());
    }

    static List<Object> counts(TokenExportJob.Result r) {
        return List.of(r.records(), r.examples(), r.rows(), r.tokens(), r.trainedTokens(), r.truncated(), r.dropped(), r.rejected());
    }

    @Test
    void tokenRowsOfBothShapesAreTheFileExportsPackedOrNotWhateverThePartitioning() throws Exception {
        List<TrainingRecord> records = SparkTokenExportTest.records();
        Path in = file(tmp.resolve("in"), records);
        List<String> numbered = numbered(records);
        for (int pack : new int[] {0, 256}) {
            Path single = tmp.resolve("single-" + pack);
            TokenExportJob.Result expected = TokenExportJob.run(new TokenExportJob.Spec(List.of(in), TokenFormat.TOKENS, single, qwenDir,
                    null, 120, Truncation.LEFT_CONTEXT, pack, TokenExportJob.FileFormat.PARQUET, 4, 2, false, false, List.of("export")));
            List<List<String>> want = SparkTokenExportTest.duck(single, TokenFormat.TOKENS.columns(pack > 0));
            assertThat(expected.truncated()).isPositive();
            assertThat(expected.rejected()).isPositive();
            List<String> rejected = Files.readAllLines(single.resolve("rejected.jsonl"));
            List<String> keptIds = records.stream().map(TrainingRecord::id)
                    .filter(id -> rejected.stream().noneMatch(l -> l.contains("\"" + id + "\""))).toList();
            SparkTokenExport.Spec spec = SparkTokenExport.Spec.of(qwenDir).withMaxLength(120).withTruncation(Truncation.LEFT_CONTEXT)
                    .withPack(pack).withShardSize(4);
            for (int partitions : new int[] {1, 3}) {
                for (Dataset<Row> frame : List.of(structs(numbered, partitions), texts(records, partitions))) {
                    String shape = (frame.schema().getFieldIndex("value").isDefined() ? "text" : "structs") + ", " + partitions
                            + " partitions, pack " + pack;
                    try (TokenFrame got = SparkTokenExport.tokens(spark, RecordFrame.of(frame).withOrder("n"), spec)) {
                        assertThat(counts(got.result())).as(shape).isEqualTo(counts(expected));
                        Dataset<Row> rows = got.rows();
                        assertThat(sorted(rows, 2)).as(shape).isEqualTo(want);
                        if (pack == 0) {
                            assertThat(rows.columns()).containsExactly("n", "id", "input_ids", "attention_mask", "labels");
                            assertThat(sorted(rows.select("n", "id"), 1)).as(shape).isEqualTo(keptIds.stream().map(List::of).toList());
                        } else {
                            assertThat(rows.columns()).containsExactly("row", "ids", "input_ids", "attention_mask", "labels",
                                    "position_ids");
                            assertThat(rows.select("ids").collectAsList().stream().mapToInt(r -> r.getList(0).size()).sum())
                                    .isEqualTo(keptIds.size());
                        }
                        assertThat(got.rejected().orderBy("n").collectAsList().stream()
                                .map(r -> "{\"id\":\"" + r.getString(1) + "\",\"reason\":\"" + r.getString(2) + "\"}").toList())
                                .as(shape).isEqualTo(rejected);
                    }
                }
            }
        }
    }

    @Test
    void aWrittenTokenFrameIsTheFileExportsFolder() throws Exception {
        List<TrainingRecord> records = SparkTokenExportTest.records();
        Path in = file(tmp.resolve("in"), records);
        Path single = tmp.resolve("single");
        TokenExportJob.run(new TokenExportJob.Spec(List.of(in), TokenFormat.TOKENS, single, qwenDir, null, 120, Truncation.LEFT_CONTEXT,
                256, TokenExportJob.FileFormat.PARQUET, 4, 2, false, false, List.of("export")));
        // Default order: one file read by spark.read().json is one partition, in line order.
        Dataset<Row> frame = spark.read().json(in.toString());
        Path out = tmp.resolve("out");
        try (TokenFrame got = SparkTokenExport.tokens(spark, RecordFrame.of(frame), SparkTokenExport.Spec.of(qwenDir).withMaxLength(120)
                .withTruncation(Truncation.LEFT_CONTEXT).withPack(256).withShardSize(4))) {
            got.write(out);
        }
        assertThat(SparkTokenExportTest.dataFiles(out)).isEqualTo(SparkTokenExportTest.dataFiles(single));
        List<String> columns = TokenFormat.TOKENS.columns(true);
        assertThat(SparkTokenExportTest.duckByFile(out, columns)).isEqualTo(SparkTokenExportTest.duckByFile(single, columns));
        assertThat(JSON.readTree(out.resolve("report/summary.json").toFile()))
                .isEqualTo(JSON.readTree(single.resolve("report/summary.json").toFile()));
        assertThat(Files.readString(out.resolve("rejected.jsonl"))).isEqualTo(Files.readString(single.resolve("rejected.jsonl")));
        assertThat(Files.readString(out.resolve("README.md"))).contains("from `Spark DataFrame`").contains("data/part-*.parquet");
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.get("input").asText()).isEqualTo("Spark DataFrame");
        assertThat(manifest.get("input_fingerprint").asText()).matches("[0-9a-f]{16}:" + records.size());
        assertThat(out.resolve(".granular/work")).doesNotExist();

        // Other records into the same folder: another run's folder, refused without overwrite, as the file export's.
        Dataset<Row> fewer = spark.read().json(in.toString()).limit(10);
        try (TokenFrame got = SparkTokenExport.tokens(spark, RecordFrame.of(fewer), SparkTokenExport.Spec.of(qwenDir).withMaxLength(120)
                .withTruncation(Truncation.LEFT_CONTEXT).withPack(256).withShardSize(4))) {
            assertThatThrownBy(() -> got.write(out)).hasMessageContaining("--overwrite");
        }
    }

    @Test
    void aBadRecordARepeatedIdOrOrderNamesTheRow() {
        List<TrainingRecord> records = SparkTokenExportTest.records().subList(0, 12);
        List<String> numbered = new ArrayList<>(numbered(records));
        // n=35: a train_detail that does not tile the content (valid JSON, wrong record); n=75: not JSON.
        numbered.set(3, numbered.get(3).replace("\"train\":true}", "\"train\":true,\"train_detail\":[{\"begin_offset\":0,"
                + "\"end_offset\":1,\"train\":true}]}"));
        List<Row> text = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            text.add(RowFactory.create(i * 10 + 5, i == 7 ? "{\"id\": \"broken\"" : RecordJson.toJson(records.get(i))));
        }
        Dataset<Row> texts = spark.createDataFrame(text, DataTypes.createStructType(List.of(
                DataTypes.createStructField("n", DataTypes.IntegerType, false),
                DataTypes.createStructField("value", DataTypes.StringType, false)))).repartition(3);
        SparkTokenExport.Spec spec = SparkTokenExport.Spec.of(qwenDir);
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(structs(numbered, 3)).withOrder("n"), spec))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("row n=35 (id \"" + records.get(3).id() + "\"): messages[2].train_detail");
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(texts).withOrder("n"), spec))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("row n=75: ");
        assertThatThrownBy(() -> SparkDedup.dedup(spark, RecordFrame.of(texts).withOrder("n"), DedupConfig.DEFAULT))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("row n=75: ");

        // A line spark.read().json could not read: with the frame's own order it is parsed again and named by row; with
        // an order column it has none (the line was not read), so its text names it.
        List<String> corrupt = new ArrayList<>(numbered(records));
        corrupt.set(4, "{\"n\": 45, \"id\": \"cut");
        Dataset<Row> json = spark.read().json(spark.createDataset(corrupt, Encoders.STRING())).coalesce(1);
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(json), spec))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("row 4 (monotonically_increasing_id): ");
        assertThatThrownBy(() -> SparkDedup.dedup(spark, RecordFrame.of(json).withOrder("n"), DedupConfig.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessage("a record Spark's JSON reader could not read (_corrupt_record): {\"n\": 45, \"id\": \"cut");

        Dataset<Row> noOrder = texts(records, 2).withColumn("n", org.apache.spark.sql.functions.when(
                org.apache.spark.sql.functions.col("n").equalTo(65L), null).otherwise(org.apache.spark.sql.functions.col("n")));
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(noOrder).withOrder("n"), spec))
                .isInstanceOf(BadInputException.class).hasMessage("a record has no place in the order: its 'n' is null");

        List<TrainingRecord> repeated = new ArrayList<>(records);
        repeated.set(9, records.get(2));
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(structs(numbered(repeated), 2)).withOrder("n"), spec))
                .isInstanceOf(BadInputException.class)
                .hasMessage("row n=95: duplicate id '" + records.get(2).id() + "' (first at row n=25)");
        assertThatThrownBy(() -> SparkDedup.dedup(spark, RecordFrame.of(texts(repeated, 2)).withOrder("n"), DedupConfig.DEFAULT))
                .isInstanceOf(BadInputException.class)
                .hasMessage("row n=95: duplicate id '" + records.get(2).id() + "' (first at row n=25)");

        Dataset<Row> sameOrder = texts(records, 1).withColumn("n", org.apache.spark.sql.functions.lit(7L));
        assertThatThrownBy(() -> SparkTokenExport.tokens(spark, RecordFrame.of(sameOrder).withOrder("n"), spec))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("row n=7: the order value 7 is repeated");
        assertThatThrownBy(() -> RecordFrame.of(texts(records, 1)).withOrder("value"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("'value' is string, expected int or long");
        assertThatThrownBy(() -> RecordFrame.of(texts(records, 1).select("n")))
                .isInstanceOf(BadInputException.class).hasMessageContaining("needs a 'messages' column");
    }

    @Test
    void dedupOfBothShapesDecidesAsTheFileJobWhateverThePartitioning() throws IOException {
        List<TrainingRecord> records = SparkDedupTest.records();
        Path in = file(tmp.resolve("in"), records);
        Path eval = tmp.resolve("eval.jsonl");
        Files.writeString(eval, "{\"q\": \"The quick brown fox jumps over the lazy dog and the cat.\"}\n");
        DedupConfig config = DedupConfig.DEFAULT.withNearThreshold(0.8).withDecontaminate(List.of(eval));
        DedupJob.Result local = DedupJob.run(DedupJob.Spec.of(List.of(in), tmp.resolve("local")).withConfig(config));
        Dedup.Counts c = local.counts();
        assertThat(c.contaminated()).isPositive();
        assertThat(c.duplicates()).isPositive();
        assertThat(c.nearDuplicates()).isPositive();
        // removed.jsonl without its source (file:line), which a frame has not: id, reason, of, jaccard.
        List<String> removed = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("local/removed.jsonl"))) {
            com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(line);
            n.remove("source");
            removed.add(n.toString());
        }
        List<String> kept = new ArrayList<>();
        try (var s = Files.list(tmp.resolve("local/data"))) {
            for (Path p : s.sorted().toList()) {
                Files.readAllLines(p).forEach(l -> kept.add(RecordJson.parse(l, p.toString(), 0).id()));
            }
        }
        List<String> numbered = numbered(records);
        for (int partitions : new int[] {1, 3}) {
            for (Dataset<Row> frame : List.of(structs(numbered, partitions), texts(records, partitions))) {
                String shape = (frame.schema().getFieldIndex("value").isDefined() ? "text" : "structs") + ", " + partitions + " partitions";
                try (DedupFrame got = SparkDedup.dedup(spark, RecordFrame.of(frame).withOrder("n"), config, partitions)) {
                    assertThat(got.counts()).as(shape).isEqualTo(c);
                    List<String> gone = new ArrayList<>();
                    for (Row r : got.removed().orderBy("n").collectAsList()) {
                        com.fasterxml.jackson.databind.node.ObjectNode n = JSON.createObjectNode();
                        n.put("id", r.getString(1));
                        n.put("reason", r.getString(2));
                        if (!r.isNullAt(3)) {
                            n.put("of", r.getString(3));
                        }
                        if (!r.isNullAt(4)) {
                            n.put("jaccard", r.getDouble(4));
                        }
                        gone.add(n.toString());
                    }
                    assertThat(gone).as(shape).isEqualTo(removed);
                    assertThat(got.kept().orderBy("n").select("n").collectAsList().stream().map(r -> records.get((int) (r.getLong(0) / 10)).id())
                            .toList()).as(shape).isEqualTo(kept);
                    assertThat(got.kept().columns()).as("the frame's own columns").contains(frame.columns());
                }
            }
        }
    }

    @Test
    void structColumnsReadBackAsTheSameRecords() {
        // Tool calls (null content, object and string arguments), tools, text parts, a meta key only one record has.
        List<String> lines = List.of(
                "{\"id\":\"t1\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\",\"train\":false},{\"role\":\"assistant\","
                        + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        + "\"arguments\":{\"city\":\"Paris\"}}}],\"train\":true},{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":"
                        + "\"call_1\",\"name\":\"get_weather\",\"train\":false},{\"role\":\"assistant\",\"content\":\"18 C in Paris.\","
                        + "\"train\":true}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                        + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}],\"meta\":{\"design\":\"import\",\"seed\":7}}",
                "{\"id\":\"t2\",\"messages\":[{\"role\":\"user\",\"content\":\"Q?\",\"train\":false},{\"role\":\"assistant\",\"content\":"
                        + "\"Answer: 巴黎 😀!\",\"train\":true,\"train_detail\":[{\"begin_offset\":0,\"end_offset\":8,\"train\":false},"
                        + "{\"begin_offset\":8,\"end_offset\":13,\"train\":true}]}],\"meta\":{\"design\":\"in2\",\"source\":\"wiki/Paris.txt\","
                        + "\"score\":0.25}}");
        Dataset<Row> frame = spark.read().json(spark.createDataset(lines, Encoders.STRING()));
        List<Row> rows = frame.select("id", "messages", "tools", "meta").orderBy("id").collectAsList();
        org.apache.spark.sql.types.StructType schema = frame.select("id", "messages", "tools", "meta").schema();
        for (int i = 0; i < lines.size(); i++) {
            String json = RowJson.record(rows.get(i), schema, 0);
            assertThat(RecordJson.parse(json, "row", 0)).isEqualTo(RecordJson.parse(lines.get(i), "line", i + 1));
        }
    }
}
