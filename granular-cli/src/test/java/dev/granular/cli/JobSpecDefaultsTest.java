package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.DedupJob;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.erasure.DistillJob;
import dev.granular.erasure.EraseFormat;
import dev.granular.erasure.EraseJob;
import dev.granular.erasure.Selection;
import dev.granular.export.ExportFormat;
import dev.granular.export.ExportJob;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.in2.QaMix;
import dev.granular.in2.PromptTemplate;
import dev.granular.io.InvalidConfigException;
import dev.granular.corpus.CorpusOptions;
import dev.granular.probe.EvalJob;
import dev.granular.probe.Needle;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeJob;
import dev.granular.probe.ProbeTask;
import dev.granular.selfcorrect.SelfCorrectJob;
import dev.granular.teacher.GenerateJob;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The library's {@code Spec.of} defaults are the CLI's: {@code granular in2}, {@code granular export --format tokens} and
 * {@code granular dedup}, {@code granular distill}, {@code granular self-correct}, {@code granular probe} and
 * {@code granular eval} with no optional flag build the spec a library user gets from {@code Spec.of} (only the command line differs), so
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
    void in2WithATeacherIsTeacherOf() throws Exception {
        In2Command in2 = parsed("in2", "in2", "--out", "o", "--qa", "teacher", "--teacher", "openai:m@http://localhost:8000/v1");
        In2Job.Spec of = In2Job.Spec.of(List.of(), In2Config.DEFAULT.withQa(QaMix.parse("teacher")), Path.of("o"));
        assertThat(in2.jobSpec()).isEqualTo(of.withTeacher(In2Job.Teacher.of(ModelSpec.parse("openai:m@http://localhost:8000/v1", null)))
                .withCommandLine(List.of("in2", "--out", "o", "--qa", "teacher", "--teacher", "openai:m@http://localhost:8000/v1")));
        In2Command flags = parsed("in2", "in2", "--out", "o", "--qa", "teacher", "--teacher", "openai:m@http://localhost:8000/v1",
                "--teacher-temperature", "0.5", "--teacher-concurrency", "8", "--no-cache", "--max-cost", "3");
        assertThat(flags.jobSpec().teacher()).isEqualTo(In2Job.Teacher.of(ModelSpec.parse("openai:m@http://localhost:8000/v1", null))
                .withParams(GenerationParams.DEFAULT.withMaxTokens(1024).withTemperature(0.5)).withLimits(ClientLimits.DEFAULT.withConcurrency(8))
                .withCache(null).withMaxCost(3.0));
        refusedAs(() -> In2Job.Teacher.of(ModelSpec.parse("openai:m", null)).withMaxCost(0.0), "maxCost",
                "--max-cost must be a positive number of USD, got 0.0");
    }

    @Test
    void exportOfARowFormatIsExportJobSpecOf() {
        ExportCommand plain = parsed("export", "export", "--in", "out/in2", "--format", "axolotl", "--out", "out/ax");
        List<String> line = List.of("export", "--in", "out/in2", "--format", "axolotl", "--out", "out/ax");
        assertThat(plain.plainSpec(ExportFormat.AXOLOTL, line)).isEqualTo(
                ExportJob.Spec.of(List.of(Path.of("out/in2")), ExportFormat.AXOLOTL, Path.of("out/ax")).withCommandLine(line));
        ExportCommand flags = parsed("export", "export", "--in", "a", "b", "--format", "trl", "--out", "o", "--shard-size", "7", "--overwrite");
        assertThat(flags.plainSpec(ExportFormat.TRL, line)).isEqualTo(ExportJob.Spec.of(List.of(Path.of("a"), Path.of("b")), ExportFormat.TRL,
                Path.of("o")).withShardSize(7).withOverwrite(true).withCommandLine(line));
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

    @Test
    void eraseWithoutOptionsIsEraseJobSpecOf() {
        EraseCommand erase = parsed("erase", "erase", "--in", "orca.jsonl", "--out", "out/e");
        assertThat(erase.jobSpec()).isEqualTo(EraseJob.Spec.of(List.of(Path.of("orca.jsonl")), Path.of("out/e"))
                .withCommandLine(List.of("erase", "--in", "orca.jsonl", "--out", "out/e")));
    }

    @Test
    void eraseFlagsMapOntoTheirWithers() {
        String[] args = {"erase", "--in", "a.jsonl", "b", "--out", "o", "--input-format", "sharegpt", "--system-message", "Be careful.",
                "--top", "3", "--limit", "9", "--shard-size", "4", "--overwrite"};
        EraseCommand erase = parsed("erase", args);
        assertThat(erase.jobSpec()).isEqualTo(EraseJob.Spec.of(List.of(Path.of("a.jsonl"), Path.of("b")), Path.of("o"))
                .withFormat(EraseFormat.SHAREGPT).withSystemMessage("Be careful.").withTop(3).withLimit(9).withShardSize(4)
                .withOverwrite(true).withCommandLine(List.of(args)));
    }

    @Test
    void generateWithoutOptionsIsGenerateJobSpecOf() {
        GenerateCommand gen = parsed("generate", "generate", "--in", "p.jsonl", "--model", "openai:m@http://localhost:8000/v1",
                "--out", "out/g");
        assertThat(gen.jobSpec()).isEqualTo(GenerateJob.Spec.of(List.of(Path.of("p.jsonl")),
                        ModelSpec.parse("openai:m@http://localhost:8000/v1", null), Path.of("out/g"))
                .withCommandLine(List.of("generate", "--in", "p.jsonl", "--model", "openai:m@http://localhost:8000/v1", "--out", "out/g")));
    }

    @Test
    void generateFlagsMapOntoTheirWithers() {
        String[] args = {"generate", "--in", "p", "--model", "openai:m", "--out", "o", "--n", "3", "--temperature", "0.2", "--top-p", "0.9",
                "--max-tokens", "100", "--seed", "5", "--stop", "END", "--extra-body", "{\"top_k\": 20}", "--limit", "7", "--shard-size", "2",
                "--overwrite", "--no-cache", "--max-cost", "1.5", "--prices", "prices.yaml", "--concurrency", "8", "--timeout", "30s"};
        GenerateCommand gen = parsed("generate", args);
        assertThat(gen.jobSpec()).isEqualTo(GenerateJob.Spec.of(List.of(Path.of("p")), ModelSpec.parse("openai:m", null), Path.of("o"))
                .withN(3).withParams(GenerationParams.DEFAULT.withTemperature(0.2).withTopP(0.9).withMaxTokens(100).withSeed(5L)
                        .withStop(List.of("END")).withExtraBody(Map.of("top_k", 20)))
                .withLimit(7).withShardSize(2).withOverwrite(true).withCachePath(null).withMaxCost(1.5).withPrices(Path.of("prices.yaml"))
                .withLimits(ClientLimits.DEFAULT.withConcurrency(8).withTimeout(Duration.ofSeconds(30)))
                .withCommandLine(List.of(args)));
    }

    @Test
    void eraseAndGenerateErrorsNameTheFieldAndTheCliShowsTheFlag() {
        EraseJob.Spec erase = EraseJob.Spec.of(List.of(Path.of("i")), Path.of("o"));
        refusedAs(() -> erase.withTop(0), "top", "--top must be at least 1, got 0");
        refusedAs(() -> erase.withSystemMessage(""), "systemMessage", "--system-message must not be empty");
        refusedAs(() -> erase.withLimit(-1), "limit", "--limit must be 0 (all rows) or more, got -1");
        refusedAs(() -> erase.withShardSize(0), "shardSize", "--shard-size must be at least 1, got 0");
        GenerateJob.Spec gen = GenerateJob.Spec.of(List.of(Path.of("i")), ModelSpec.parse("openai:m", null), Path.of("o"));
        refusedAs(() -> gen.withN(0), "n", "--n must be at least 1, got 0");
        refusedAs(() -> gen.withMaxCost(0.0), "maxCost", "--max-cost must be a positive number of USD, got 0.0");
        refusedAs(() -> gen.withLimit(-2), "limit", "--limit must be 0 (all rows) or more, got -2");
    }

    /** Errors raised past the spec (while the job reads its configuration) reach the CLI as flags too, with exit 2. */
    @Test
    void errorsRaisedInsideTheJobsNameTheFlagWithExitTwo() {
        String[][] runs = {
                {"erase", "--in", "t.jsonl", "--out", "o", "--top", "0"},
                {"generate", "--in", "t.jsonl", "--model", "openai:m", "--out", "o", "--no-cache", "--n", "0"},
                {"distill", "--tasks", "t.jsonl", "--teacher", "openai:m", "--out", "o", "--no-cache", "--select", "best"},
                {"distill", "--tasks", "t.jsonl", "--teacher", "openai:m", "--out", "o", "--no-cache", "--judge", "regex:("},
                {"distill", "--tasks", "t.jsonl", "--teacher", "openai:m", "--out", "o", "--no-cache", "--calibration", "0"}};
        String[] said = {"granular: --top must be at least 1, got 0", "granular: --n must be at least 1, got 0",
                "granular: --select best: expected auto, fixed:NAME or map:FILE",
                "granular: --judge regex:(: not a valid regular expression",
                "granular: --calibration must be at least 1, got 0"};
        for (int k = 0; k < runs.length; k++) {
            StringWriter err = new StringWriter();
            int code = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true)).execute(runs[k]);
            assertThat(code).as(String.join(" ", runs[k])).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", runs[k])).contains(said[k]);
        }
    }

    @Test
    void distillWithoutOptionsIsDistillJobSpecOf() {
        DistillCommand distill = parsed("distill", "distill", "--tasks", "t.jsonl", "--teacher", "openai:gpt-4o-mini", "--out", "out/d");
        assertThat(distill.jobSpec()).isEqualTo(DistillJob.Spec.of(List.of(Path.of("t.jsonl")), ModelSpec.parse("openai:gpt-4o-mini", null),
                        Path.of("out/d"))
                .withCommandLine(List.of("distill", "--tasks", "t.jsonl", "--teacher", "openai:gpt-4o-mini", "--out", "out/d")));
    }

    @Test
    void distillFlagsMapOntoTheirWithers() {
        String[] args = {"distill", "--tasks", "t", "--teacher", "openai:m", "--out", "o", "--require-correct", "--attempts", "2",
                "--judge", "exact", "--select", "fixed:direct-answer", "--default-strategy", "direct-answer", "--system-message", "Be brief.",
                "--temperature", "0.3", "--seed", "7", "--limit", "5", "--shard-size", "3", "--overwrite", "--no-cache", "--max-cost", "2.5",
                "--teacher-concurrency", "4"};
        DistillCommand distill = parsed("distill", args);
        DistillJob.Spec of = DistillJob.Spec.of(List.of(Path.of("t")), ModelSpec.parse("openai:m", null), Path.of("o"));
        assertThat(distill.jobSpec()).isEqualTo(of
                .withRequireCorrect(true).withAttempts(2).withJudge("exact")
                .withSelection(Selection.parse("fixed:direct-answer", 32, of.library())).withDefaultStrategy("direct-answer")
                .withSystemMessage("Be brief.").withParams(GenerationParams.DEFAULT.withTemperature(0.3).withSeed(7L)).withSeed(7)
                .withLimit(5).withShardSize(3).withOverwrite(true).withCachePath(null).withMaxCost(2.5)
                .withLimits(new ClientLimits(4, 0, 0, 8, Duration.ofSeconds(120), 2))
                .withCommandLine(List.of(args)));
    }

    @Test
    void selfCorrectWithoutOptionsIsSelfCorrectJobSpecOf() {
        SelfCorrectCommand sc = parsed("self-correct", "self-correct", "--tasks", "t.jsonl", "--student", "openai:s@http://localhost:8000/v1",
                "--teacher", "anthropic:claude-sonnet-4-5", "--out", "out/isc");
        assertThat(sc.jobSpec()).isEqualTo(SelfCorrectJob.Spec.of(List.of(Path.of("t.jsonl")),
                        ModelSpec.parse("openai:s@http://localhost:8000/v1", null), ModelSpec.parse("anthropic:claude-sonnet-4-5", null),
                        Path.of("out/isc"))
                .withCommandLine(List.of("self-correct", "--tasks", "t.jsonl", "--student", "openai:s@http://localhost:8000/v1",
                        "--teacher", "anthropic:claude-sonnet-4-5", "--out", "out/isc")));
    }

    @Test
    void selfCorrectFlagsMapOntoTheirWithers() {
        String[] args = {"self-correct", "--tasks", "t", "--student", "openai:s", "--teacher", "openai:t", "--out", "o", "--samples", "8",
                "--temperature", "0.5", "--judge", "choice", "--bad-ratio", "0.4", "--max-per-question", "3", "--mask-good-initial",
                "--max-tokens", "256", "--seed", "9", "--limit", "10", "--shard-size", "4", "--overwrite", "--no-cache",
                "--student-concurrency", "8", "--teacher-max-retries", "2"};
        SelfCorrectCommand sc = parsed("self-correct", args);
        SelfCorrectJob.Spec of = SelfCorrectJob.Spec.of(List.of(Path.of("t")), ModelSpec.parse("openai:s", null),
                ModelSpec.parse("openai:t", null), Path.of("o"));
        assertThat(sc.jobSpec()).isEqualTo(of
                .withSamples(8).withTemperature(0.5).withJudge("choice").withBadRatio(0.4).withMaxPerQuestion(3)
                .withMaskGoodInitial(true).withMaxTokens(256).withSeed(9).withLimit(10).withShardSize(4).withOverwrite(true)
                .withCachePath(null)
                .withStudent(new SelfCorrectJob.ModelRole(of.student().model(), new ClientLimits(8, 0, 0, 8, Duration.ofSeconds(120), 2)))
                .withTeacher(new SelfCorrectJob.ModelRole(of.teacher().model(), new ClientLimits(16, 0, 0, 2, Duration.ofSeconds(120), 2)))
                .withCommandLine(List.of(args)));
    }

    /** The core names the record component; the CLI's flag for it is the option the user typed. */
    private static void refusedAs(Executable bad, String field, String cliMessage) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, bad);
        assertThat(e.fields()).containsExactly(field);
        assertThat(e.getMessage()).startsWith(field + " ");
        assertThat(e.message(ConfigFlags::flag)).isEqualTo(cliMessage);
    }

    @Test
    void distillErrorsNameTheFieldAndTheCliShowsTheFlag() {
        DistillJob.Spec of = DistillJob.Spec.of(List.of(Path.of("t")), ModelSpec.parse("openai:m", null), Path.of("o"));
        refusedAs(() -> of.withAttempts(0), "attempts", "--attempts must be at least 1, got 0");
        refusedAs(() -> of.withMaxCost(0.0), "maxCost", "--max-cost must be a positive number of USD, got 0.0");
        refusedAs(() -> of.withSystemMessage(" "), "systemMessage", "--system-message must not be empty");
        refusedAs(() -> of.withJudge("fuzzy"), "judge", "--judge fuzzy: expected auto, exact, choice, number, regex:PATTERN or model:SPEC");
    }

    @Test
    void selfCorrectErrorsNameTheFieldAndTheCliShowsTheFlag() {
        SelfCorrectJob.Spec of = SelfCorrectJob.Spec.of(List.of(Path.of("t")), ModelSpec.parse("openai:s", null),
                ModelSpec.parse("openai:t", null), Path.of("o"));
        refusedAs(() -> of.withSamples(0), "samples", "--samples must be at least 1, got 0");
        refusedAs(() -> of.withBadRatio(1.5), "badRatio", "--bad-ratio must be between 0 and 1, got 1.5");
        refusedAs(() -> of.withMaxPerQuestion(0), "maxPerQuestion", "--max-per-question must be at least 1, got 0");
        refusedAs(() -> of.withMaxCost(-1.0), "maxCost", "--max-cost must be a positive number of USD, got -1.0");
        refusedAs(() -> of.withMaxTokens(0), "maxTokens", "--max-tokens must be at least 1, got 0");
    }

    @Test
    void distillWithABadAttemptsCountExitsTwoNamingTheFlag() {
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true))
                .execute("distill", "--tasks", "t.jsonl", "--teacher", "openai:m", "--out", "o", "--attempts", "0", "--no-cache");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("granular: --attempts must be at least 1, got 0");
    }

    @Test
    void clientLimitsErrorsNameTheFieldAndEachCommandItsOwnFlag() {
        refusedAs(() -> ClientLimits.DEFAULT.withConcurrency(0), "concurrency", "--concurrency must be at least 1, got 0");
        refusedAs(() -> ClientLimits.DEFAULT.withMaxRetries(-1), "maxRetries", "--max-retries must not be negative, got -1");
        refusedAs(() -> ClientLimits.DEFAULT.withTimeout(Duration.ZERO), "timeout", "--timeout must be a positive duration, got PT0S");
        String[][] runs = {
                {"distill", "--tasks", "t.jsonl", "--teacher", "openai:m", "--out", "o", "--no-cache", "--teacher-concurrency", "0"},
                {"self-correct", "--tasks", "t.jsonl", "--student", "openai:s", "--teacher", "openai:t", "--out", "o", "--no-cache",
                        "--student-max-retries", "-1"},
                {"generate", "--in", "t.jsonl", "--model", "openai:m", "--out", "o", "--no-cache", "--rpm", "-5"}};
        String[] said = {"granular: --teacher-concurrency must be at least 1, got 0",
                "granular: --student-max-retries must not be negative, got -1", "granular: --rpm must not be negative, got -5"};
        for (int k = 0; k < runs.length; k++) {
            StringWriter err = new StringWriter();
            int code = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true)).execute(runs[k]);
            assertThat(code).as(String.join(" ", runs[k])).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", runs[k])).contains(said[k]);
        }
    }

    @TempDir
    Path tmp;

    @Test
    void probeWithoutOptionsIsProbeJobSpecOf() throws Exception {
        for (String task : List.of("document", "code", "database", "needle")) {
            ProbeCommand probe = parsed("probe", "probe", "--task", task, "--out", "out/p");
            assertThat(probe.jobSpec()).as(task).isEqualTo(ProbeJob.Spec.of(ProbeTask.parse(task), Path.of("out/p"))
                    .withCommandLine(List.of("probe", "--task", task, "--out", "out/p")));
        }
        assertThat(ProbeJob.Spec.of(ProbeTask.DATABASE, Path.of("o")).config())
                .isEqualTo(new ProbeConfig(32_000, 750, 50, 4, 42, PromptTemplate.DEFAULT));
        assertThat(ProbeJob.Spec.of(ProbeTask.NEEDLE, Path.of("o")).config().bin()).as("needle has no bins").isEqualTo(1);
    }

    @Test
    void probeFlagsMapOntoTheirWithers() throws Exception {
        Path template = Files.writeString(tmp.resolve("t.txt"), "{context}\n\nQ: {question}");
        String[] args = {"probe", "--task", "document", "--out", "o", "--pieces", "p.jsonl", "--corpus", "c1", "c2",
                "--text-field", "body", "--context-tokens", "8000", "--positions", "40", "--bin", "10", "--sets", "2", "--seed", "7",
                "--template", template.toString(), "--tokenizer", "cl100k_base", "--chat-template", "t.jinja",
                "--lengths", "100,200", "--depths", "0,50", "--shard-size", "5", "--overwrite"};
        ProbeCommand probe = parsed("probe", args);
        ProbeConfig layout = ProbeConfig.defaults(ProbeTask.DOCUMENT).withContextTokens(8000).withPositions(40, 10).withSets(2)
                .withSeed(7).withTemplate(new PromptTemplate("{context}\n\nQ: {question}"));
        assertThat(probe.jobSpec()).isEqualTo(ProbeJob.Spec.of(ProbeTask.DOCUMENT, Path.of("o"))
                .withPieces(Path.of("p.jsonl")).withCorpus(List.of(Path.of("c1"), Path.of("c2")))
                .withCorpusOptions(CorpusOptions.defaults().withTextField("body")).withConfig(layout).withTokenizer("cl100k_base")
                .withChatTemplate("t.jinja").withLengths(List.of(100, 200)).withDepths(List.of(0, 50)).withShardSize(5)
                .withOverwrite(true).withCommandLine(List.of(args)));
    }

    @Test
    void probeNeedleFlagsMapOntoTheirWithers() throws Exception {
        Path needle = Files.writeString(tmp.resolve("n.json"),
                "{\"sentence\": \"The key is under the blue stone.\", \"question\": \"Where is the key?\", \"answer\": \"blue stone\"}");
        String[] args = {"probe", "--task", "needle", "--out", "o", "--needle", needle.toString(), "--lengths", "300",
                "--depths", "25,75", "--bin", "10"};
        ProbeCommand probe = parsed("probe", args);
        assertThat(probe.jobSpec()).as("--bin is for VAL tasks: needle keeps bins of 1").isEqualTo(
                ProbeJob.Spec.of(ProbeTask.NEEDLE, Path.of("o"))
                        .withNeedle(new Needle("The key is under the blue stone.", "Where is the key?", "blue stone"))
                        .withLengths(List.of(300)).withDepths(List.of(25, 75)).withCommandLine(List.of(args)));
    }

    @Test
    void evalWithoutOptionsIsEvalJobSpecOf() {
        EvalCommand eval = parsed("eval", "eval", "--probes", "out/p", "--model", "openai:m@http://localhost:8000/v1", "--out", "out/e");
        assertThat(eval.jobSpec()).isEqualTo(EvalJob.Spec.of(Path.of("out/p"), ModelSpec.parse("openai:m@http://localhost:8000/v1", null),
                        Path.of("out/e"))
                .withCommandLine(List.of("eval", "--probes", "out/p", "--model", "openai:m@http://localhost:8000/v1", "--out", "out/e")));
        EvalCommand predictions = parsed("eval", "eval", "--probes", "p", "--predictions", "a.jsonl", "b", "--out", "e");
        assertThat(predictions.jobSpec()).isEqualTo(EvalJob.Spec.ofPredictions(Path.of("p"), List.of(Path.of("a.jsonl"), Path.of("b")),
                        Path.of("e"))
                .withCommandLine(List.of("eval", "--probes", "p", "--predictions", "a.jsonl", "b", "--out", "e")));
    }

    @Test
    void evalFlagsMapOntoTheirWithers() {
        String[] args = {"eval", "--probes", "p", "--model", "openai:m", "--out", "o", "--max-tokens", "64", "--shard-size", "5",
                "--overwrite", "--no-cache", "--max-cost", "2.5", "--prices", "prices.yaml", "--concurrency", "4", "--max-retries", "1"};
        EvalCommand eval = parsed("eval", args);
        assertThat(eval.jobSpec()).isEqualTo(EvalJob.Spec.of(Path.of("p"), ModelSpec.parse("openai:m", null), Path.of("o"))
                .withMaxTokens(64).withShardSize(5).withOverwrite(true).withCachePath(null).withMaxCost(2.5)
                .withPrices(Path.of("prices.yaml")).withLimits(ClientLimits.DEFAULT.withConcurrency(4).withMaxRetries(1))
                .withCommandLine(List.of(args)));
    }

    @Test
    void probeErrorsNameTheFieldAndTheCliShowsTheFlag() {
        ProbeJob.Spec of = ProbeJob.Spec.of(ProbeTask.DOCUMENT, Path.of("o"));
        refusedAs(() -> of.withDepths(List.of(0, 120)), "depths", "--depths are percentages from 0 to 100, got 120");
        refusedAs(() -> of.withLengths(List.of(0)), "lengths", "--lengths must be positive token counts, got 0");
        refusedAs(() -> ProbeJob.Spec.of(ProbeTask.NEEDLE, Path.of("o")).withPieces(Path.of("p.jsonl")), "pieces",
                "--pieces is for document, code and database, not needle");
        ProbeConfig layout = ProbeConfig.defaults(ProbeTask.DOCUMENT);
        refusedAs(() -> layout.withContextTokens(0), "contextTokens", "--context-tokens must be at least 1, got 0");
        refusedAs(() -> layout.withSets(0), "sets", "--sets must be at least 1, got 0");
        InvalidConfigException bin = assertThrows(InvalidConfigException.class, () -> layout.withPositions(40, 50));
        assertThat(bin.fields()).containsExactly("bin", "positions");
        assertThat(bin.message(ConfigFlags::flag)).isEqualTo("--bin must be between 1 and --positions (40), got 50");
    }

    @Test
    void evalErrorsNameTheFieldAndTheCliShowsTheFlag() {
        EvalJob.Spec of = EvalJob.Spec.of(Path.of("p"), ModelSpec.parse("openai:m", null), Path.of("o"));
        refusedAs(() -> of.withMaxTokens(0), "maxTokens", "--max-tokens must be at least 1, got 0");
        refusedAs(() -> of.withMaxCost(0.0), "maxCost", "--max-cost must be a positive number of USD, got 0.0");
        InvalidConfigException neither = assertThrows(InvalidConfigException.class,
                () -> EvalJob.Spec.ofPredictions(Path.of("p"), List.of(), Path.of("o")));
        assertThat(neither.fields()).containsExactly("model", "predictions");
        assertThat(neither.message(ConfigFlags::flag)).isEqualTo("give either --model or --predictions");
    }

    @Test
    void probeAndEvalWithABadValueExitTwoNamingTheFlag() {
        String[][] runs = {
                {"probe", "--task", "needle", "--out", "o", "--depths", "0,120"},
                {"probe", "--task", "document", "--out", "o", "--positions", "20", "--bin", "30"},
                {"eval", "--probes", "p", "--model", "openai:m", "--out", "o", "--no-cache", "--max-tokens", "0"},
                {"eval", "--probes", "p", "--model", "openai:m", "--out", "o", "--no-cache", "--max-cost", "-1"}};
        String[] said = {"granular: --depths are percentages from 0 to 100, got 120",
                "granular: --bin must be between 1 and --positions (20), got 30",
                "granular: --max-tokens must be at least 1, got 0",
                "granular: --max-cost must be a positive number of USD, got -1.0"};
        for (int k = 0; k < runs.length; k++) {
            StringWriter err = new StringWriter();
            int code = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err, true)).execute(runs[k]);
            assertThat(code).as(String.join(" ", runs[k])).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", runs[k])).contains(said[k]);
        }
    }
}
