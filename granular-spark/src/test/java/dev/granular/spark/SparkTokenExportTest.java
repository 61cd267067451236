package dev.granular.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.export.Truncation;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Spark export against the single-machine export on the same records: the same rows in the
 * same order and the same Parquet schema, for the input's own split and for one and three partitions. One SparkSession (local[2]) for the class.
 */
class SparkTokenExportTest {
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

    static TrainingRecord rec(String id, Message... ms) {
        return new TrainingRecord(id, List.of(ms), null, Map.of("design", "test"));
    }

    static String context(int paragraphs) {
        StringBuilder sb = new StringBuilder("Read the document and answer.\n\n");
        for (int i = 0; i < paragraphs; i++) {
            sb.append("Paragraph ").append(i).append(": the river Seine flows through Paris. Bridges number thirty-seven.\n\n");
        }
        return sb.append("Question: how many bridges?").toString();
    }

    /** Varied records, several long enough for left-context truncation, one with nothing trained (rejected). */
    static List<TrainingRecord> records() {
        List<TrainingRecord> r = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            r.add(rec("r" + i, Message.system("Be brief."), Message.user("Question " + i + ": capital of France? 日本語 " + "x".repeat(i)),
                    Message.assistant("Paris, " + i + " 👋")));
        }
        r.add(rec("spans", Message.user("Q?"), new Message(Role.ASSISTANT, "Answer: 巴黎 😀!", true,
                List.of(new TrainSpan(0, 8, false), new TrainSpan(8, 13, true)), null)));
        r.add(rec("untrained", Message.user("Q?"), Message.of(Role.ASSISTANT, "A.", false)));
        for (int i = 0; i < 5; i++) {
            r.add(rec("long" + i, Message.user(context(20 + i * 10)), Message.assistant("Thirty-seven.")));
        }
        r.add(rec("z", Message.user("1+1?"), Message.assistant("2")));
        return r;
    }

    /** Two record files, so that the order across files counts too. */
    Path writeInput(List<TrainingRecord> records) throws IOException {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("data"));
        int half = records.size() / 2;
        for (int f = 0; f < 2; f++) {
            StringBuilder sb = new StringBuilder();
            for (TrainingRecord r : f == 0 ? records.subList(0, half) : records.subList(half, records.size())) {
                sb.append(RecordJson.toJson(r)).append('\n');
            }
            Files.writeString(in.resolve("data/part-0000" + f + ".jsonl"), sb.toString());
        }
        return in;
    }

    /** Rows of all Parquet shards in file-name then row order, each column as its text (DuckDB's list rendering). */
    static List<List<String>> duck(Path out, List<String> columns) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + String.join(", ", columns) + " FROM read_parquet('"
                     + out.resolve("data").toAbsolutePath() + "/*.parquet', filename = true) ORDER BY filename, file_row_number")) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (String col : columns) {
                    Array a = rs.getArray(col);
                    row.add(java.util.Arrays.toString((Object[]) a.getArray()));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The Parquet schema of the first shard: name, type, repetition, logical type of every node. */
    static List<String> parquetSchema(Path out) throws SQLException, IOException {
        Path first;
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            first = s.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
        }
        List<String> nodes = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, type, repetition_type, converted_type, num_children FROM parquet_schema('"
                     + first.toAbsolutePath() + "')")) {
            while (rs.next()) {
                nodes.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4) + " " + rs.getString(5));
            }
        }
        return nodes.subList(1, nodes.size()); // the root's name differs (schema vs spark_schema) and no reader sees it
    }

    @Test
    void sameRowsAndSchemaAsTheSingleMachineExportWhateverThePartitioning() throws Exception {
        Path in = writeInput(records());
        Path single = tmp.resolve("single");
        TokenExportJob.Result expected = TokenExportJob.run(new TokenExportJob.Spec(List.of(in), TokenFormat.TOKENS, single, qwenDir, null,
                120, Truncation.LEFT_CONTEXT, 0, TokenExportJob.FileFormat.PARQUET, 10, 2, false, false, List.of("export")));
        List<String> columns = TokenFormat.TOKENS.columns(false);
        List<List<String>> want = duck(single, columns);
        assertThat(want).hasSize((int) expected.rows());
        assertThat(expected.truncated()).as("the input exercises left-context truncation").isPositive();
        assertThat(expected.rejected()).as("and a rejected record").isPositive();

        for (int partitions : new int[]{0, 1, 3}) { // 0: the files' own splits, unshuffled
            Path out = tmp.resolve("spark-" + partitions);
            SparkTokenExport.Result got = SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(in), out, qwenDir)
                    .withMaxLength(120).withTruncation(Truncation.LEFT_CONTEXT).withShardSize(10).withPartitions(partitions));
            assertThat(duck(out, columns)).as("rows with %d partitions", partitions).isEqualTo(want);
            assertThat(parquetSchema(out)).isEqualTo(parquetSchema(single));
            assertThat(List.of(got.records(), got.examples(), got.rows(), got.tokens(), got.trainedTokens(), got.truncated(), got.dropped(),
                    got.rejected()))
                    .isEqualTo(List.of(expected.records(), expected.examples(), expected.rows(), expected.tokens(), expected.trainedTokens(),
                            expected.truncated(), expected.dropped(), expected.rejected()));
            assertThat(Files.readString(out.resolve("rejected.jsonl"))).isEqualTo(Files.readString(single.resolve("rejected.jsonl")));
            JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
            assertThat(manifest.get("engine").asText()).isEqualTo("spark");
            assertThat(out.resolve(".granular/work")).doesNotExist();
        }
    }

    /** Rows of all Parquet shards as {@link #duck}, each led by its file's name: the rows and how they are split into files. */
    static List<List<String>> duckByFile(Path out, List<String> columns) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT parse_filename(filename) AS f, " + String.join(", ", columns) + " FROM read_parquet('"
                     + out.resolve("data").toAbsolutePath() + "/*.parquet', filename = true) ORDER BY filename, file_row_number")) {
            while (rs.next()) {
                List<String> row = new ArrayList<>(List.of(rs.getString("f")));
                for (String col : columns) {
                    row.add(java.util.Arrays.toString((Object[]) rs.getArray(col).getArray()));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    static List<String> dataFiles(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The card, with the Spark run's command line put back as the single-machine one (the only words that differ). */
    static String card(Path out) throws IOException {
        return Files.readString(out.resolve("README.md")).replace("`granular spark export", "`granular export");
    }

    static TokenExportJob.Result single(Path in, Path out, TokenFormat format, int pack, TokenExportJob.FileFormat fileFormat, int shardSize) {
        return TokenExportJob.run(new TokenExportJob.Spec(List.of(in), format, out, qwenDir, null, 120, Truncation.LEFT_CONTEXT, pack,
                fileFormat, shardSize, 2, false, false, List.of("export")));
    }

    static SparkTokenExport.Result spark(Path in, Path out, TokenFormat format, int pack, TokenExportJob.FileFormat fileFormat, int shardSize,
                                         int partitions) {
        return SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(in), out, qwenDir).withFormat(format).withMaxLength(120)
                .withTruncation(Truncation.LEFT_CONTEXT).withPack(pack).withFileFormat(fileFormat).withShardSize(shardSize)
                .withPartitions(partitions));
    }

    @Test
    void packedRowsFilesReportAndCardAsTheSingleMachineExportWhateverThePartitioning() throws Exception {
        Path in = writeInput(records());
        Path single = tmp.resolve("single");
        TokenExportJob.Result expected = single(in, single, TokenFormat.TOKENS, 256, TokenExportJob.FileFormat.PARQUET, 4);
        List<String> columns = TokenFormat.TOKENS.columns(true);
        List<List<String>> want = duckByFile(single, columns);
        assertThat(expected.rows()).as("examples share rows").isLessThan(expected.examples() / 2);
        assertThat(dataFiles(single)).as("several shards").hasSizeGreaterThan(2);
        JsonNode summary = JSON.readTree(single.resolve("report/summary.json").toFile());

        for (int partitions : new int[]{0, 1, 3}) {
            Path out = tmp.resolve("spark-" + partitions);
            SparkTokenExport.Result got = spark(in, out, TokenFormat.TOKENS, 256, TokenExportJob.FileFormat.PARQUET, 4, partitions);
            assertThat(dataFiles(out)).as("files with %d partitions", partitions).isEqualTo(dataFiles(single));
            assertThat(duckByFile(out, columns)).as("rows with %d partitions", partitions).isEqualTo(want);
            assertThat(parquetSchema(out)).isEqualTo(parquetSchema(single));
            assertThat(List.of(got.records(), got.examples(), got.rows(), got.tokens(), got.trainedTokens(), got.truncated(), got.dropped(),
                    got.rejected()))
                    .isEqualTo(List.of(expected.records(), expected.examples(), expected.rows(), expected.tokens(), expected.trainedTokens(),
                            expected.truncated(), expected.dropped(), expected.rejected()));
            assertThat(JSON.readTree(out.resolve("report/summary.json").toFile())).isEqualTo(summary);
            assertThat(card(out)).isEqualTo(card(single));
            assertThat(out.resolve("report/lengths.png")).isNotEmptyFile();
            assertThat(Files.readString(out.resolve("rejected.jsonl"))).isEqualTo(Files.readString(single.resolve("rejected.jsonl")));
            JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
            assertThat(manifest.get("pack").asInt()).isEqualTo(256);
            assertThat(manifest.get("counts")).isEqualTo(summary);
            assertThat(out.resolve(".granular/work")).doesNotExist();
        }
    }

    @Test
    void jsonlRowsAreByteForByteTheSingleMachineExportsPackedOrNot() throws Exception {
        Path in = writeInput(records());
        Path single = tmp.resolve("single-packed");
        single(in, single, TokenFormat.TRL_TOKENS, 200, TokenExportJob.FileFormat.JSONL, 3);
        Path out = tmp.resolve("spark-packed");
        spark(in, out, TokenFormat.TRL_TOKENS, 200, TokenExportJob.FileFormat.JSONL, 3, 3);
        assertThat(dataFiles(out)).isEqualTo(dataFiles(single)).allMatch(f -> f.endsWith(".jsonl")).hasSizeGreaterThan(2);
        for (String f : dataFiles(single)) {
            assertThat(Files.readString(out.resolve("data").resolve(f))).as(f).isEqualTo(Files.readString(single.resolve("data").resolve(f)));
        }
        assertThat(Files.readString(out.resolve("data").resolve(dataFiles(out).getFirst()))).contains("\"position_ids\":[0,");
        assertThat(card(out)).isEqualTo(card(single)).contains("data/part-*.jsonl");

        // Unpacked, the rows are the same too; only their split into files may differ (a Spark task writes its own files).
        Path singleRows = tmp.resolve("single-rows");
        single(in, singleRows, TokenFormat.TRL_TOKENS, 0, TokenExportJob.FileFormat.JSONL, 10);
        Path rows = tmp.resolve("spark-rows");
        spark(in, rows, TokenFormat.TRL_TOKENS, 0, TokenExportJob.FileFormat.JSONL, 10, 3);
        assertThat(allLines(rows)).isEqualTo(allLines(singleRows)).isNotEmpty();
        assertThat(card(rows)).isEqualTo(card(singleRows));
    }

    static List<String> allLines(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String f : dataFiles(out)) {
            lines.addAll(Files.readAllLines(out.resolve("data").resolve(f)));
        }
        return lines;
    }

    /** The Python with Hugging Face datasets (GRANULAR_HF_PYTHON, else the repository's .hf-venv made by scripts/hf-venv), or null. */
    static Path hfPython() {
        String env = System.getenv("GRANULAR_HF_PYTHON");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path root = repoRoot();
        Path venv = root == null ? null : root.resolve(".hf-venv/bin/python");
        return venv != null && Files.isExecutable(venv) ? venv : null;
    }

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/hf_load_check.py"))) {
                return p;
            }
        }
        return null;
    }

    /** As HuggingFaceLoadTest for the single-machine commands: the Spark output folders load with datasets.load_dataset(DIR). */
    @Test
    void theOutputLoadsWithHuggingFaceDatasets() throws Exception {
        Path python = hfPython();
        Assumptions.assumeTrue(python != null, "no Python with Hugging Face datasets: set GRANULAR_HF_PYTHON or run scripts/hf-venv");
        Path in = writeInput(records());
        Path parquet = tmp.resolve("hf-parquet");
        SparkTokenExport.Result packed = spark(in, parquet, TokenFormat.TOKENS, 256, TokenExportJob.FileFormat.PARQUET, 4, 3);
        Path jsonl = tmp.resolve("hf-jsonl");
        SparkTokenExport.Result rows = spark(in, jsonl, TokenFormat.TRL_TOKENS, 0, TokenExportJob.FileFormat.JSONL, 10, 0);
        Process proc = new ProcessBuilder(python.toString(), repoRoot().resolve("scripts/hf_load_check.py").toString(),
                parquet.toString(), jsonl.toString()).redirectErrorStream(true).start();
        String output = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(proc.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue()).as(output).isZero();
        Map<String, JsonNode> byDir = new java.util.HashMap<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{")) {
                JsonNode n = JSON.readTree(line);
                byDir.put(n.path("dir").asText(), n);
            }
        }
        assertThat(byDir.get(parquet.toString()).path("splits").path("train").asLong()).isEqualTo(packed.rows());
        assertThat(byDir.get(parquet.toString()).path("columns").path("train")).extracting(JsonNode::asText)
                .containsExactly("input_ids", "attention_mask", "labels", "position_ids");
        assertThat(byDir.get(jsonl.toString()).path("splits").path("train").asLong()).isEqualTo(rows.rows());
        assertThat(byDir.get(jsonl.toString()).path("columns").path("train")).extracting(JsonNode::asText)
                .containsExactly("input_ids", "completion_mask");
    }

    @Test
    void theWithersBuildTheCanonicalSpecAndOfHasTheCliDefaults() {
        Path in = tmp.resolve("in");
        Path out = tmp.resolve("out");
        SparkTokenExport.Spec canonical = new SparkTokenExport.Spec(List.of(in), TokenFormat.TRL_TOKENS, out, qwenDir, tmp.resolve("t.jinja"),
                100, Truncation.DROP, 200, TokenExportJob.FileFormat.JSONL, 7, 3, true, true, List.of("spark", "export", "--x"));
        assertThat(SparkTokenExport.Spec.of(List.of(in), out, qwenDir).withFormat(TokenFormat.TRL_TOKENS)
                .withChatTemplate(tmp.resolve("t.jinja")).withMaxLength(100).withTruncation(Truncation.DROP).withPack(200)
                .withFileFormat(TokenExportJob.FileFormat.JSONL).withShardSize(7).withPartitions(3).withAllowSpecialText(true)
                .withOverwrite(true).withCommandLine(List.of("spark", "export", "--x"))).isEqualTo(canonical);
        assertThat(SparkTokenExport.Spec.of(List.of(in), out, qwenDir)).isEqualTo(new SparkTokenExport.Spec(List.of(in), TokenFormat.TOKENS,
                out, qwenDir, null, 0, Truncation.ERROR, 0, TokenExportJob.FileFormat.PARQUET, 10_000, 0, false, false,
                List.of("spark", "export")));
        assertThatThrownBy(() -> SparkTokenExport.Spec.of(List.of(in), out, qwenDir).withPack(100).withMaxLength(200))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLength 200 > pack 100");
    }

    @Test
    void aRecordOverTheLimitWithTruncationErrorIsAConfigurationErrorNamingTheField() throws Exception {
        Path in = writeInput(records());
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(in), out, qwenDir)
                .withMaxLength(120).withTruncation(Truncation.ERROR).withPack(256).withShardSize(10).withPartitions(2)))
                .isInstanceOfSatisfying(dev.granular.io.InvalidConfigException.class, e -> {
                    assertThat(e.fields()).containsExactly("maxLength", "truncation");
                    assertThat(e.message(SparkCli::flag)).startsWith("record long0 has ").contains("> --max-length 120");
                });
        assertThat(out).doesNotExist();
    }

    @Test
    void aBadLineIsReportedWithItsFileAndLineAndLeavesNoRows() throws Exception {
        Path in = writeInput(records());
        Path bad = in.resolve("data/part-00001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(bad));
        lines.set(2, "{\"id\": \"broken\"");
        Files.write(bad, lines);
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(in), out, qwenDir)
                .withShardSize(10).withPartitions(2)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(bad + ":3");
        assertThat(out).doesNotExist();
    }
}
