package dev.granular.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.InvalidConfigException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TokenExportJob.Spec#of} has the CLI's defaults, and each wither sets its own field (granular-cli's JobSpecDefaultsTest ties them to the flags). */
class TokenExportJobSpecTest {
    private static final Path IN = Path.of("out/in2");
    private static final Path OUT = Path.of("out/in2-tokens");
    private static final Path TOKENIZER = Path.of("models/qwen3");

    @Test
    void ofHasTheDefaultsOfGranularExportFormatTokens() {
        TokenExportJob.Spec positional = new TokenExportJob.Spec(List.of(IN), TokenFormat.TOKENS, OUT, TOKENIZER, null, 0,
                Truncation.ERROR, 0, TokenExportJob.FileFormat.PARQUET, 10_000, 0, false, false, List.of("export"));
        assertThat(TokenExportJob.Spec.of(IN, OUT, TOKENIZER)).isEqualTo(positional);
        assertThat(TokenExportJob.Spec.of(List.of(IN), OUT, TOKENIZER)).isEqualTo(positional);
    }

    @Test
    void everyWitherSetsItsOwnField() {
        // Every field away from its default, with values no two fields share, so a wither writing the wrong field fails.
        TokenExportJob.Spec positional = new TokenExportJob.Spec(List.of(IN), TokenFormat.TRL_TOKENS, OUT, TOKENIZER,
                Path.of("chat.jinja"), 4096, Truncation.LEFT_CONTEXT, 8192, TokenExportJob.FileFormat.JSONL, 77, 3, true, true,
                List.of("export", "--pack", "8192"));
        TokenExportJob.Spec withers = TokenExportJob.Spec.of(IN, OUT, TOKENIZER)
                .withFormat(TokenFormat.TRL_TOKENS)
                .withChatTemplate(Path.of("chat.jinja"))
                .withMaxLength(4096)
                .withTruncation(Truncation.LEFT_CONTEXT)
                .withPack(8192)
                .withFileFormat(TokenExportJob.FileFormat.JSONL)
                .withShardSize(77)
                .withThreads(3)
                .withAllowSpecialText(true)
                .withOverwrite(true)
                .withCommandLine(List.of("export", "--pack", "8192"));
        assertThat(withers).isEqualTo(positional);
    }

    @Test
    void aWitherChecksAsTheConstructorDoes() {
        assertThatThrownBy(() -> TokenExportJob.Spec.of(IN, OUT, TOKENIZER).withPack(2048).withMaxLength(4096))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("maxLength 4096 > pack 2048");
    }
}
