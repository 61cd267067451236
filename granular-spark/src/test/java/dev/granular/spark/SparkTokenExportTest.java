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
            SparkTokenExport.Result got = SparkTokenExport.run(spark, new SparkTokenExport.Spec(List.of(in), TokenFormat.TOKENS, out,
                    qwenDir, null, 120, Truncation.LEFT_CONTEXT, 10, partitions, false, false, List.of("spark", "export")));
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

    @Test
    void aBadLineIsReportedWithItsFileAndLineAndLeavesNoRows() throws Exception {
        Path in = writeInput(records());
        Path bad = in.resolve("data/part-00001.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(bad));
        lines.set(2, "{\"id\": \"broken\"");
        Files.write(bad, lines);
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> SparkTokenExport.run(spark, new SparkTokenExport.Spec(List.of(in), TokenFormat.TOKENS, out, qwenDir, null,
                0, Truncation.ERROR, 10, 2, false, false, List.of("spark", "export"))))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(bad + ":3");
        assertThat(out).doesNotExist();
    }
}
