package dev.granular.cli;

import static dev.granular.cli.ChatTemplateFixtures.PLAIN;
import static dev.granular.cli.ChatTemplateFixtures.qwen3;
import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.export.TokenExportBenchmark;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hidden {@code granular bench tokens-export} renders with --chat-template when given. */
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
}
