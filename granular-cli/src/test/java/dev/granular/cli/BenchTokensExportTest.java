package dev.granular.cli;

import static dev.granular.cli.ChatTemplateFixtures.PLAIN;
import static dev.granular.cli.ChatTemplateFixtures.qwen3;
import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.bench.TokenExportBenchmark;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden {@code granular bench tokens-export}: renders with --chat-template when given, exports --in records when given. */
class BenchTokensExportTest {
    @TempDir
    Path tmp;

    private static long tokens(ChatTemplate template, int records) {
        long n = 0;
        try (Tokenizer t = Tokenizers.load(qwen3().toString())) {
            for (TrainingRecord r : TokenExportBenchmark.records(records)) {
                n += t.encode(template.render(r, false)).length;
            }
        }
        return n;
    }

    @Test
    void countsTheTokensOfTheGivenTemplatesRenderings() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.jinja"), PLAIN);
        In2Fixtures.Run run = granular("bench", "tokens-export", "--tokenizer", qwen3().toString(), "--chat-template", file.toString(),
                "--records", "8", "--rounds", "1", "--threads", "1");
        assertThat(run.code()).as(run.all()).isZero();
        long expected = tokens(ChatTemplate.load(qwen3(), file), 8);
        assertThat(expected).isNotEqualTo(tokens(ChatTemplate.load(qwen3()), 8));
        assertThat(run.out()).startsWith(String.format(Locale.ROOT, "tokenizer qwen3, 8 records, %,d tokens, 1 threads", expected));
    }

    @Test
    void exportsGivenRecordsAndCountsTheirTokens() throws IOException {
        Path in = tmp.resolve("records.jsonl");
        StringBuilder sb = new StringBuilder();
        List<TrainingRecord> records = TokenExportBenchmark.records(20).subList(10, 15); // not the first ones --records would make
        for (TrainingRecord r : records) {
            sb.append(RecordJson.toJson(r)).append('\n');
        }
        Files.writeString(in, sb.toString());
        In2Fixtures.Run run = granular("bench", "tokens-export", "--tokenizer", qwen3().toString(), "--in", in.toString(),
                "--rounds", "1", "--threads", "1");
        assertThat(run.code()).as(run.all()).isZero();
        long expected = 0;
        ChatTemplate template = ChatTemplate.load(qwen3());
        try (Tokenizer t = Tokenizers.load(qwen3().toString())) {
            for (TrainingRecord r : records) {
                expected += t.encode(template.render(r, false)).length;
            }
        }
        assertThat(run.out()).startsWith(String.format(Locale.ROOT, "tokenizer qwen3, 5 records, %,d tokens, 1 threads", expected));
    }
}
