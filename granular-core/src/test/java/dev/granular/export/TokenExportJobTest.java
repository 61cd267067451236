package dev.granular.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token export end to end: rows read back with DuckDB (Parquet) and Jackson (JSONL), packing, truncation, report. */
class TokenExportJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static Path qwenDir;
    static Tokenizer tokenizer;
    static Labeler labeler;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        qwenDir = Reference.tokenizerDir("qwen3");
        tokenizer = Tokenizers.load(qwenDir.toString());
        labeler = new Labeler(ChatTemplate.load(qwenDir), tokenizer);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    static TrainingRecord rec(String id, Message... ms) {
        return new TrainingRecord(id, List.of(ms), null, Map.of("design", "test"));
    }

    /** A long IN2-style context: numbered paragraphs, the question last. */
    static String context(int paragraphs) {
        StringBuilder sb = new StringBuilder("Read the document and answer.\n\n");
        for (int i = 0; i < paragraphs; i++) {
            sb.append("Paragraph ").append(i).append(": the river Seine flows through Paris, and its banks are a UNESCO site. ")
                    .append("Bridges number thirty-seven within the city limits.\n\n");
        }
        return sb.append("Question: how many bridges?").toString();
    }

    static List<TrainingRecord> records() {
        List<TrainingRecord> r = new ArrayList<>();
        r.add(rec("a", Message.system("Be brief."), Message.user("Capital of France?"), Message.assistant("Paris.")));
        r.add(rec("b", Message.user("Bonjour 👋"), Message.of(Role.ASSISTANT, "Salut !", false), Message.user("Ça va ?"),
                Message.assistant("Très bien, merci. 日本語も。")));
        r.add(rec("c", Message.user("Q?"), new Message(Role.ASSISTANT, "Answer: 巴黎 😀!", true,
                List.of(new TrainSpan(0, 8, false), new TrainSpan(8, 13, true)), null)));
        r.add(rec("untrained", Message.user("Q?"), Message.of(Role.ASSISTANT, "A.", false)));
        r.add(rec("long", Message.user(context(40)), Message.assistant("Thirty-seven.")));
        r.add(rec("d", Message.user("1+1?"), Message.assistant("2")));
        return r;
    }

    Path writeInput(List<TrainingRecord> records) throws IOException {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("data"));
        StringBuilder sb = new StringBuilder();
        for (TrainingRecord r : records) {
            sb.append(RecordJson.toJson(r)).append('\n');
        }
        Files.writeString(in.resolve("data/part-00000.jsonl"), sb.toString());
        return in;
    }

    TokenExportJob.Spec spec(Path in, String out, TokenFormat f, int maxLength, Truncation t, int pack, TokenExportJob.FileFormat ff) {
        return TokenExportJob.Spec.of(in, tmp.resolve(out), qwenDir).withFormat(f).withMaxLength(maxLength).withTruncation(t)
                .withPack(pack).withFileFormat(ff).withShardSize(3).withThreads(2);
    }

    static LossMask mask(TrainingRecord r) {
        return (LossMask) labeler.label(r);
    }

    /** Rows of all Parquet shards, read by DuckDB; list columns as int arrays. */
    static List<Map<String, int[]>> duck(Path out, List<String> columns) throws SQLException {
        List<Map<String, int[]>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + String.join(", ", columns) + " FROM read_parquet('"
                     + out.resolve("data").toAbsolutePath() + "/*.parquet', filename = true) ORDER BY filename, file_row_number")) {
            while (rs.next()) {
                Map<String, int[]> row = new HashMap<>();
                for (String col : columns) {
                    Array a = rs.getArray(col);
                    Object[] values = (Object[]) a.getArray();
                    int[] ints = new int[values.length];
                    for (int i = 0; i < values.length; i++) {
                        assertThat(values[i]).as("list elements come back as integers").isInstanceOf(Integer.class);
                        ints[i] = (Integer) values[i];
                    }
                    row.put(col, ints);
                }
                rows.add(row);
            }
        }
        return rows;
    }

    @Test
    void reportsEveryRecordReadToTheProgress() throws Exception {
        Path in = writeInput(records());
        java.util.concurrent.atomic.LongAdder seen = new java.util.concurrent.atomic.LongAdder();
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "progress", TokenFormat.TOKENS, 0, Truncation.ERROR, 0,
                TokenExportJob.FileFormat.JSONL), labeler, seen::add);
        assertThat(seen.sum()).isEqualTo(r.records()).isEqualTo(6);
    }

    @Test
    void parquetRowsReadBackWithDuckDbEqualTheLossMasks() throws Exception {
        List<TrainingRecord> records = records();
        Path in = writeInput(records);
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "tok", TokenFormat.TOKENS, 0, Truncation.ERROR, 0,
                TokenExportJob.FileFormat.PARQUET), labeler);
        assertThat(r.records()).isEqualTo(6);
        assertThat(r.examples()).isEqualTo(5);
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(r.rejectedByReason()).containsEntry("nothing is trained", 1L);
        Path out = tmp.resolve("tok");
        try (var files = Files.list(out.resolve("data"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("part-00000.parquet", "part-00001.parquet");
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('"
                     + out.resolve("data").toAbsolutePath() + "/*.parquet'))")) {
            List<String> schema = new ArrayList<>();
            while (rs.next()) {
                schema.add(rs.getString(1) + " " + rs.getString(2));
            }
            assertThat(schema).containsExactly("input_ids INTEGER[]", "attention_mask INTEGER[]", "labels INTEGER[]");
        }
        List<Map<String, int[]>> rows = duck(out, List.of("input_ids", "attention_mask", "labels"));
        List<TrainingRecord> exported = records.stream().filter(x -> !x.id().equals("untrained")).toList();
        assertThat(rows).hasSize(exported.size());
        long tokens = 0;
        long trained = 0;
        for (int i = 0; i < rows.size(); i++) {
            LossMask m = mask(exported.get(i));
            assertThat(rows.get(i).get("input_ids")).isEqualTo(m.ids());
            assertThat(rows.get(i).get("labels")).isEqualTo(m.labels());
            assertThat(rows.get(i).get("attention_mask")).hasSize(m.size()).containsOnly(1);
            tokens += m.size();
            trained += m.trainedTokens();
        }
        assertThat(r.tokens()).isEqualTo(tokens);
        assertThat(r.trainedTokens()).isEqualTo(trained);
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.at("/counts/rejected").asLong()).isEqualTo(1);
        assertThat(manifest.at("/counts/rejected_by_reason/nothing is trained").asLong()).isEqualTo(1);
        assertThat(manifest.at("/counts/tokens").asLong()).isEqualTo(tokens);
        assertThat(manifest.at("/tokenizer").asText()).isEqualTo("qwen3");
        assertThat(Files.readString(out.resolve("rejected.jsonl"))).isEqualTo("{\"id\":\"untrained\",\"reason\":\"nothing is trained\"}\n");
        assertThat(Files.size(out.resolve("report/lengths.png"))).isGreaterThan(1000);
        assertThat(Files.readString(out.resolve("README.md"))).contains("| trained tokens | " + trained);
    }

    @Test
    void jsonlTrlTokensCarryTheCompletionMask() throws Exception {
        List<TrainingRecord> records = records().subList(0, 3);
        Path in = writeInput(records);
        TokenExportJob.run(spec(in, "trl", TokenFormat.TRL_TOKENS, 0, Truncation.ERROR, 0, TokenExportJob.FileFormat.JSONL), labeler);
        List<String> lines = new ArrayList<>();
        for (String shard : List.of("part-00000.jsonl")) {
            lines.addAll(Files.readAllLines(tmp.resolve("trl/data").resolve(shard)));
        }
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            assertThat(row.fieldNames()).toIterable().containsExactly("input_ids", "completion_mask");
            LossMask m = mask(records.get(i));
            int[] ids = JSON.treeToValue(row.get("input_ids"), int[].class);
            int[] completion = JSON.treeToValue(row.get("completion_mask"), int[].class);
            assertThat(ids).isEqualTo(m.ids());
            for (int t = 0; t < ids.length; t++) {
                assertThat(completion[t]).isEqualTo(m.isTrained(t) ? 1 : 0);
            }
        }
    }

    @Test
    void packedRowsHoldEveryExampleOnceWholeWithRestartingPositions() throws Exception {
        List<TrainingRecord> records = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            records.add(rec("p" + i, Message.user("Question " + i + ": " + "why? ".repeat(i % 7)),
                    Message.assistant("Because " + "reasons ".repeat(i % 5) + i + ".")));
        }
        Path in = writeInput(records);
        int n = 128;
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "packed", TokenFormat.TOKENS, 0, Truncation.ERROR, n,
                TokenExportJob.FileFormat.PARQUET), labeler);
        List<Map<String, int[]>> rows = duck(tmp.resolve("packed"), List.of("input_ids", "attention_mask", "labels", "position_ids"));
        assertThat(rows).hasSize((int) r.rows());
        Map<String, Integer> expected = new HashMap<>();
        int total = 0;
        for (TrainingRecord rec : records) {
            LossMask m = mask(rec);
            expected.merge(Arrays.toString(m.ids()) + Arrays.toString(m.labels()), 1, Integer::sum);
            total += m.size();
        }
        assertThat(rows.size()).as("packing saves rows").isLessThan(records.size()).isGreaterThanOrEqualTo((total + n - 1) / n);
        Map<String, Integer> seen = new HashMap<>();
        for (Map<String, int[]> row : rows) {
            int[] ids = row.get("input_ids");
            int[] labels = row.get("labels");
            int[] pos = row.get("position_ids");
            assertThat(ids.length).isLessThanOrEqualTo(n);
            assertThat(pos[0]).isZero();
            assertThat(row.get("attention_mask")).containsOnly(1);
            int start = 0;
            for (int t = 1; t <= ids.length; t++) {
                if (t == ids.length || pos[t] == 0) {
                    for (int k = start; k < t; k++) {
                        assertThat(pos[k]).isEqualTo(k - start);
                    }
                    String key = Arrays.toString(Arrays.copyOfRange(ids, start, t)) + Arrays.toString(Arrays.copyOfRange(labels, start, t));
                    seen.merge(key, 1, Integer::sum);
                    start = t;
                }
            }
        }
        assertThat(seen).as("every example once, none split").isEqualTo(expected);
    }

    @Test
    void tooLongErrorNamesTheRecord() throws Exception {
        Path in = writeInput(records());
        int longTokens = mask(records().get(4)).size();
        assertThat(longTokens).isGreaterThan(600);
        assertThatThrownBy(() -> TokenExportJob.run(spec(in, "err", TokenFormat.TOKENS, 600, Truncation.ERROR, 0,
                TokenExportJob.FileFormat.JSONL), labeler))
                .isInstanceOf(BadInputException.class)
                .hasMessage("record long has " + longTokens + " tokens > maxLength 600 (use truncation drop or left-context to go on)");
    }

    /**
     * Stopped after shards were sealed (shard size 3, the long record fifth): nothing is left, not even
     * the directory, and the same export with the cause fixed (--truncation drop) runs into the same
     * --out without --overwrite. It used to leave part-00000 behind, which refused the rerun as
     * "a run with a different configuration".
     */
    @Test
    void aStoppedExportLeavesNothingAndTheFixedRerunIntoTheSameOutRuns() throws Exception {
        Path in = writeInput(records());
        for (TokenExportJob.FileFormat ff : TokenExportJob.FileFormat.values()) {
            String out = "stopped-" + ff.wireName();
            assertThatThrownBy(() -> TokenExportJob.run(spec(in, out, TokenFormat.TOKENS, 600, Truncation.ERROR, 0, ff), labeler))
                    .isInstanceOf(BadInputException.class).hasMessageStartingWith("record long has ");
            assertThat(tmp.resolve(out)).as(ff.wireName()).doesNotExist();
            TokenExportJob.Result r = TokenExportJob.run(spec(in, out, TokenFormat.TOKENS, 600, Truncation.DROP, 0, ff), labeler);
            assertThat(r.examples()).as(ff.wireName()).isEqualTo(4);
            assertThat(tmp.resolve(out).resolve("manifest.json")).exists();
        }
    }

    /** Into a directory that already exists (made by the user), a stopped export leaves it as it found it: empty. */
    @Test
    void aStoppedExportIntoAnEmptyDirectoryLeavesItEmpty() throws Exception {
        Path in = writeInput(records());
        Files.createDirectories(tmp.resolve("mine"));
        assertThatThrownBy(() -> TokenExportJob.run(spec(in, "mine", TokenFormat.TOKENS, 600, Truncation.ERROR, 0,
                TokenExportJob.FileFormat.PARQUET), labeler)).isInstanceOf(BadInputException.class);
        try (var files = Files.list(tmp.resolve("mine"))) {
            assertThat(files.toList()).isEmpty();
        }
    }

    @Test
    void tooLongDropIsCounted() throws Exception {
        Path in = writeInput(records());
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "drop", TokenFormat.TOKENS, 600, Truncation.DROP, 0,
                TokenExportJob.FileFormat.JSONL), labeler);
        assertThat(r.dropped()).isEqualTo(1);
        assertThat(r.examples()).isEqualTo(4);
        assertThat(r.rejectedByReason()).containsEntry("longer than --max-length 600 (truncating would cut trained tokens)", 1L);
        assertThat(Files.readString(tmp.resolve("drop/rejected.jsonl"))).contains("\"id\":\"long\"");
        assertThat(JSON.readTree(tmp.resolve("drop/report/summary.json").toFile()).get("dropped").asLong()).isEqualTo(1);
    }

    @Test
    void leftContextRemovesMiddleParagraphsAndKeepsTheTrainedAnswer() throws Exception {
        List<TrainingRecord> records = records();
        Path in = writeInput(records);
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "left", TokenFormat.TOKENS, 600, Truncation.LEFT_CONTEXT, 0,
                TokenExportJob.FileFormat.JSONL), labeler);
        assertThat(r.truncated()).isEqualTo(1);
        assertThat(r.dropped()).isZero();
        List<String> lines = new ArrayList<>();
        try (var files = Files.list(tmp.resolve("left/data"))) {
            for (Path p : files.sorted().toList()) {
                lines.addAll(Files.readAllLines(p));
            }
        }
        JsonNode row = JSON.readTree(lines.get(3)); // a, b, c, long (untrained is rejected)
        int[] ids = JSON.treeToValue(row.get("input_ids"), int[].class);
        int[] labels = JSON.treeToValue(row.get("labels"), int[].class);
        assertThat(ids.length).isLessThanOrEqualTo(600).isGreaterThan(400);
        String text = tokenizer.decode(ids);
        // Removed from the middle leftwards: paragraphs 0..k-1 are gone (segment 0 is the instruction), the rest stays.
        assertThat(text).contains("Read the document and answer.", "Paragraph 39:", "Question: how many bridges?")
                .doesNotContain("Paragraph 0:");
        int[] trained = Arrays.stream(labels).filter(l -> l != LossMask.IGNORE).toArray();
        assertThat(tokenizer.decode(trained)).isEqualTo("Thirty-seven.<|im_end|>");
        int firstKept = 0;
        while (!text.contains("Paragraph " + firstKept + ":")) {
            firstKept++;
        }
        for (int p = firstKept; p < 40; p++) {
            assertThat(text).contains("Paragraph " + p + ":");
        }
        // The fewest paragraphs were removed: putting the last removed one back does not fit.
        List<String> segments = LeftContext.segments(records.get(4).messages().get(0).content());
        StringBuilder oneFewer = new StringBuilder(segments.get(0));
        for (int i = firstKept; i < segments.size(); i++) {
            oneFewer.append(segments.get(i));
        }
        TrainingRecord back = rec("long", Message.user(oneFewer.toString()), Message.assistant("Thirty-seven."));
        assertThat(mask(back).size()).isGreaterThan(600);
        assertThat(LeftContext.removalOrder(7)).containsExactly(3, 2, 1, 4, 5);
    }

    @Test
    void leftContextThatCannotFitDropsWithoutCuttingTrainedText() throws Exception {
        Path in = writeInput(List.of(rec("x", Message.user("Short question?"), Message.assistant("word ".repeat(300)))));
        TokenExportJob.Result r = TokenExportJob.run(spec(in, "nofit", TokenFormat.TOKENS, 100, Truncation.LEFT_CONTEXT, 0,
                TokenExportJob.FileFormat.JSONL), labeler);
        assertThat(r.dropped()).isEqualTo(1);
        assertThat(r.rejectedByReason().keySet()).containsExactly("left-context: cannot fit --max-length 100 without cutting trained text");
    }

    @Test
    void packSmallerThanMaxLengthIsRefused() {
        assertThatThrownBy(() -> spec(tmp, "x", TokenFormat.TOKENS, 200, Truncation.ERROR, 100, TokenExportJob.FileFormat.PARQUET))
                .isInstanceOf(BadInputException.class).hasMessageContaining("maxLength 200 > pack 100");
    }

    @Test
    void theManifestAndCardNameTheTemplateAndAnotherTemplateIsAnotherExport() throws Exception {
        Path in = writeInput(records().subList(0, 2));
        Path mine = tmp.resolve("mine.jinja");
        Files.writeString(mine, "{% for m in messages %}{{ m.role }}: {{ m.content }}<|im_end|>\n{% endfor %}");
        TokenExportJob.Spec withDir = TokenExportJob.Spec.of(in, tmp.resolve("o"), qwenDir)
                .withFileFormat(TokenExportJob.FileFormat.JSONL).withShardSize(10).withThreads(1);
        TokenExportJob.Spec withFile = withDir.withChatTemplate(mine);
        TokenExportJob.run(withFile);
        JsonNode manifest = JSON.readTree(tmp.resolve("o/manifest.json").toFile());
        String fingerprint = ChatTemplate.load(qwenDir, mine).fingerprint();
        assertThat(manifest.at("/chat_template").asText()).isEqualTo(mine.toString());
        assertThat(manifest.at("/chat_template_fingerprint").asText()).isEqualTo(fingerprint);
        assertThat(Files.readString(tmp.resolve("o/README.md")))
                .contains("rendered with the chat template of `" + mine + "` (" + fingerprint + ")");
        String row = Files.readAllLines(tmp.resolve("o/data/part-00000.jsonl")).get(0);
        int[] ids = JSON.readValue(JSON.readTree(row).get("input_ids").toString(), int[].class);
        assertThat(tokenizer.decode(ids)).isEqualTo("system: Be brief.<|im_end|>\nuser: Capital of France?<|im_end|>\n"
                + "assistant: Paris.<|im_end|>\n");

        // The directory's own template into the same --out: another configuration, refused without overwrite.
        assertThatThrownBy(() -> TokenExportJob.run(withDir)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("holds a run with a different configuration");
        TokenExportJob.run(withFile); // the same template again: the same export
    }

    @Test
    void aTokenizerDirectoryWithoutChatTemplateIsBadInput() throws Exception {
        Path in = writeInput(records());
        Path bare = tmp.resolve("bare");
        Files.createDirectories(bare);
        Files.copy(qwenDir.resolve("tokenizer.json"), bare.resolve("tokenizer.json"));
        Files.writeString(bare.resolve("tokenizer_config.json"), "{}");
        assertThatThrownBy(() -> TokenExportJob.run(new TokenExportJob.Spec(in, TokenFormat.TOKENS, tmp.resolve("o"), bare, null, 0,
                Truncation.ERROR, 0, TokenExportJob.FileFormat.PARQUET, 10, 1, false, false, List.of("export"))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("no chat template");
    }
}
