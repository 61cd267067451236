package dev.granular.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TokenExport} gives the rows {@link TokenExportJob} writes, without files. */
class TokenExportLibraryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static Tokenizer tokenizer;
    static Labeler labeler;
    static Path qwenDir;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        qwenDir = Reference.tokenizerDir("qwen3");
        tokenizer = Tokenizers.huggingFace(qwenDir);
        labeler = new Labeler(ChatTemplate.load(qwenDir), tokenizer);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static List<TrainingRecord> records() {
        return TokenExportJobTest.records();
    }

    private Path writeInput(List<TrainingRecord> records) throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("data"));
        StringBuilder sb = new StringBuilder();
        for (TrainingRecord r : records) {
            sb.append(RecordJson.toJson(r)).append('\n');
        }
        Files.writeString(in.resolve("data/part-00000.jsonl"), sb.toString());
        return in;
    }

    private TokenExportJob.Spec spec(Path in, String out, TokenFormat f, int maxLength, Truncation t, int pack,
                                     TokenExportJob.FileFormat ff) {
        return TokenExportJob.Spec.of(in, tmp.resolve(out), qwenDir).withFormat(f).withMaxLength(maxLength).withTruncation(t)
                .withPack(pack).withFileFormat(ff).withShardSize(3).withThreads(2);
    }

    private List<List<int[]>> jobRows(String out, TokenFormat format, int maxLength, Truncation t, int pack) throws Exception {
        Path in = writeInput(records());
        TokenExportJob.run(spec(in, out, format, maxLength, t, pack, TokenExportJob.FileFormat.JSONL), labeler);
        List<List<int[]>> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(tmp.resolve(out).resolve("data"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    JsonNode row = JSON.readTree(line);
                    List<int[]> cols = new ArrayList<>();
                    row.fields().forEachRemaining(e -> {
                        int[] v = new int[e.getValue().size()];
                        for (int i = 0; i < v.length; i++) {
                            v[i] = e.getValue().get(i).asInt();
                        }
                        cols.add(v);
                    });
                    rows.add(cols);
                }
            }
        }
        return rows;
    }

    private static List<List<int[]>> libraryRows(TokenExport export, TokenFormat format, List<TokenExport.Skipped> skipped) {
        try (Stream<TokenRow> rows = export.rows(records().stream(), skipped::add)) {
            return rows.map(r -> List.of(r.columns(format))).toList();
        }
    }

    @Test
    void rowsEqualTheJobsRowsOneExamplePerRow() throws Exception {
        List<List<int[]>> job = jobRows("one", TokenFormat.TOKENS, 600, Truncation.DROP, 0);
        List<TokenExport.Skipped> skipped = new ArrayList<>();
        List<List<int[]>> lib = libraryRows(TokenExport.of(labeler.template(), tokenizer).withMaxLength(600)
                .withTruncation(Truncation.DROP), TokenFormat.TOKENS, skipped);
        assertThat(lib).hasSize(4).usingRecursiveComparison().isEqualTo(job);
        assertThat(skipped).extracting(TokenExport.Skipped::id).containsExactly("untrained", "long");
        assertThat(skipped.get(1).dropped()).isTrue();
    }

    @Test
    void packedRowsEqualTheJobsRows() throws Exception {
        List<List<int[]>> job = jobRows("packed", TokenFormat.TRL_TOKENS, 0, Truncation.LEFT_CONTEXT, 700);
        List<List<int[]>> lib = libraryRows(TokenExport.of(labeler).withPack(700).withTruncation(Truncation.LEFT_CONTEXT),
                TokenFormat.TRL_TOKENS, new ArrayList<>());
        assertThat(lib).isNotEmpty().usingRecursiveComparison().isEqualTo(job);
        assertThat(lib.get(0)).hasSize(3); // input_ids, completion_mask, position_ids
    }

    @Test
    void aRecordOverTheLimitWithTruncationErrorIsATypedConfigError() {
        TokenExport export = TokenExport.of(labeler).withMaxLength(600);
        TrainingRecord tooLong = records().get(4);
        assertThatThrownBy(() -> export.label(tooLong))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
                    assertThat(e.fields()).containsExactly("maxLength", "truncation");
                    assertThat(e.message(f -> f.equals("maxLength") ? "--max-length" : "--truncation"))
                            .contains("> --max-length 600 (use --truncation drop");
                });
        assertThatThrownBy(() -> export.withPack(500)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("maxLength 600 > pack 500: an example longer than a packed row fits nowhere");
    }
}
