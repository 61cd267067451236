package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.DedupJob;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The library's {@code Spec.of} defaults are the CLI's: {@code granular in2}, {@code granular export --format tokens} and
 * {@code granular dedup} with no optional flag build the spec a library user gets from {@code Spec.of} (only the command line differs), so
 * neither side's defaults can drift from the other's.
 */
class JobSpecDefaultsTest {
    private static <T> T parsed(String command, String... args) {
        CommandLine root = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        root.parseArgs(args);
        return root.getSubcommands().get(command).getCommand();
    }

    @Test
    void in2WithoutOptionsIsIn2JobSpecOf() throws Exception {
        In2Command in2 = parsed("in2", "in2", "--out", "out/in2");
        assertThat(in2.jobSpec()).isEqualTo(In2Job.Spec.of(List.of(), In2Config.DEFAULT, Path.of("out/in2"))
                .withCommandLine(List.of("in2", "--out", "out/in2")));
    }

    @Test
    void in2FlagsMapOntoTheirWithers() throws Exception {
        In2Command in2 = parsed("in2", "in2", "--out", "o", "--corpus", "c", "--tokenizer", "cl100k_base", "--threads", "3",
                "--shard-size", "5", "--overwrite", "--chat-template", "t.jinja", "--examples", "9", "--seed", "1");
        assertThat(in2.jobSpec()).isEqualTo(In2Job.Spec.of(List.of(Path.of("c")), In2Config.DEFAULT.withExamples(9).withSeed(1), Path.of("o"))
                .withTokenizer("cl100k_base").withThreads(3).withShardSize(5).withOverwrite(true).withChatTemplate("t.jinja")
                .withCommandLine(List.of("in2", "--out", "o", "--corpus", "c", "--tokenizer", "cl100k_base", "--threads", "3",
                        "--shard-size", "5", "--overwrite", "--chat-template", "t.jinja", "--examples", "9", "--seed", "1")));
    }

    @Test
    void exportTokensWithoutOptionsIsTokenExportJobSpecOf() {
        ExportCommand export = parsed("export", "export", "--in", "out/in2", "--format", "tokens", "--tokenizer", "models/qwen3",
                "--out", "out/tokens");
        List<String> line = List.of("export", "--in", "out/in2", "--format", "tokens");
        assertThat(export.tokenSpec(TokenFormat.TOKENS, line)).isEqualTo(
                TokenExportJob.Spec.of(Path.of("out/in2"), Path.of("out/tokens"), Path.of("models/qwen3")).withCommandLine(line));
    }

    @Test
    void dedupWithoutOptionsIsDedupJobSpecOf() {
        DedupCommand dedup = parsed("dedup", "dedup", "--in", "a.jsonl", "b", "--out", "out/clean");
        assertThat(dedup.jobSpec()).isEqualTo(DedupJob.Spec.of(List.of(Path.of("a.jsonl"), Path.of("b")), Path.of("out/clean"))
                .withCommandLine(List.of("dedup", "--in", "a.jsonl", "b", "--out", "out/clean")));
    }

    @Test
    void dedupFlagsMapOntoTheirWithers() {
        DedupCommand dedup = parsed("dedup", "dedup", "--in", "a", "--out", "o", "--near", "0.85", "--shingle", "3",
                "--decontaminate", "eval.jsonl", "--ngram", "8", "--shard-size", "5", "--overwrite");
        assertThat(dedup.jobSpec()).isEqualTo(DedupJob.Spec.of(List.of(Path.of("a")), Path.of("o"))
                .withConfig(DedupConfig.DEFAULT.withNear(NearDedupConfig.DEFAULT.withThreshold(0.85).withShingle(3))
                        .withDecontaminate(List.of(Path.of("eval.jsonl"))).withNgram(8))
                .withShardSize(5).withOverwrite(true)
                .withCommandLine(List.of("dedup", "--in", "a", "--out", "o", "--near", "0.85", "--shingle", "3",
                        "--decontaminate", "eval.jsonl", "--ngram", "8", "--shard-size", "5", "--overwrite")));
    }
}
