package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import dev.granular.selfcorrect.SelfCorrectCounts;
import dev.granular.selfcorrect.SelfCorrectJob;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular self-correct}: maps options onto {@link SelfCorrectJob}. */
@Command(name = "self-correct",
        header = "Self-correction data (answer, self-check, verdict, correction) with Partial Answer Masking.",
        description = {
                "Tasks (JSONL): {\"id\", \"question\" or \"messages\", \"answer\", \"choices\"?}, OpenBookQA / "
                        + "CommonsenseQA rows (question stem, labelled choices, answerKey) or GSM8K rows (answer ending in "
                        + "\"#### N\"). The student answers each task --samples times; a judge marks the answers; the balance "
                        + "picks good and bad cases; the teacher confirms good answers and corrects bad ones. In bad cases the "
                        + "wrong initial answer is masked (train_detail), so the model learns to check and fix, not to be "
                        + "wrong. Failed rows go to DIR/failed.jsonl and the run exits 3; rerun the same command to continue.",
                "",
                "Examples:",
                "  granular self-correct --tasks gsm8k.jsonl \\",
                "      --student openai:qwen3-8b@http://localhost:8000/v1 \\",
                "      --teacher openai:gpt-4o --out out/isc",
                "  granular self-correct --tasks obqa.jsonl \\",
                "      --student openai:m@http://localhost:8000/v1 \\",
                "      --teacher anthropic:claude-sonnet-4-5 \\",
                "      --judge choice --bad-ratio 0.4 --samples 8 --out out/isc-obqa",
                "Docs: docs/self-correction.md"},
        mixinStandardHelpOptions = true)
public final class SelfCorrectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Mixin
    SpendOptions spend;

    @Mixin
    BatchOptions batch;

    @Mixin
    DryRunOptions dryRun;

    @Option(names = "--tasks", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Questions with ground truth: .jsonl/.jsonl.gz files or directories of them (an output directory "
                    + "reads its data/); several paths, or --tasks repeated, are read in order.")
    List<Path> tasks;

    @Option(names = "--student", required = true, paramLabel = "SPEC", description = "The model to fine-tune: openai:MODEL@URL, openai:MODEL or anthropic:MODEL.")
    String student;

    @Option(names = "--teacher", required = true, paramLabel = "SPEC", description = "The model that writes verifications and corrections.")
    String teacher;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--samples", defaultValue = "4", paramLabel = "K", description = "Student answers per task. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T", description = "Student temperature. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--judge", defaultValue = "auto", paramLabel = "SPEC",
            description = "auto, exact, choice, number, regex:PATTERN or model:SPEC. Default: ${DEFAULT-VALUE}.")
    String judge;

    @Option(names = "--bad-ratio", defaultValue = "0.5", paramLabel = "R", description = "Share of bad (corrected) cases. Default: ${DEFAULT-VALUE}.")
    double badRatio;

    @Option(names = "--verify-phrases", paramLabel = "FILE", description = "Self-check phrases, one a line, replacing the built-in 24.")
    Path verifyPhrases;

    @Option(names = "--max-per-question", defaultValue = "2", paramLabel = "N",
            description = "Most good and most bad cases per task. Default: ${DEFAULT-VALUE}.")
    int maxPerQuestion;

    @Option(names = "--mask-good-initial", description = "Mask the initial answer of good cases too.")
    boolean maskGoodInitial;

    @Option(names = "--student-api-key-env", paramLabel = "NAME", description = "Environment variable holding the student's API key.")
    String studentKeyEnv;

    @Option(names = "--student-concurrency", defaultValue = "64", paramLabel = "N",
            description = "Student requests in flight at once. Default: ${DEFAULT-VALUE}.")
    int studentConcurrency;

    @Option(names = "--student-rpm", defaultValue = "0", paramLabel = "N", description = "0: no limit.")
    int studentRpm;

    @Option(names = "--student-tpm", defaultValue = "0", paramLabel = "N", description = "0: no limit.")
    int studentTpm;

    @Option(names = "--student-max-retries", defaultValue = "8", paramLabel = "N",
            description = "Retries per student request. Default: ${DEFAULT-VALUE}.")
    int studentMaxRetries;

    @Option(names = "--student-timeout", defaultValue = "120s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "Per attempt. Default: ${DEFAULT-VALUE}.")
    Duration studentTimeout;

    @Option(names = "--teacher-api-key-env", paramLabel = "NAME", description = "Environment variable holding the teacher's API key.")
    String teacherKeyEnv;

    @Option(names = "--teacher-concurrency", defaultValue = "16", paramLabel = "N",
            description = "Teacher requests in flight at once. Default: ${DEFAULT-VALUE}.")
    int teacherConcurrency;

    @Option(names = "--teacher-rpm", defaultValue = "0", paramLabel = "N", description = "0: no limit.")
    int teacherRpm;

    @Option(names = "--teacher-tpm", defaultValue = "0", paramLabel = "N", description = "0: no limit.")
    int teacherTpm;

    @Option(names = "--teacher-max-retries", defaultValue = "8", paramLabel = "N",
            description = "Retries per teacher request. Default: ${DEFAULT-VALUE}.")
    int teacherMaxRetries;

    @Option(names = "--teacher-timeout", defaultValue = "120s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "Per attempt. Default: ${DEFAULT-VALUE}.")
    Duration teacherTimeout;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Completion limit for both models.")
    Integer maxTokens;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seeds the phrase draw, caps and balance. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Only the first N tasks.")
    long limit;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() {
        SelfCorrectJob.Spec job = jobSpec();
        if (dryRun.on()) {
            return dryRun.print(SelfCorrectJob.estimate(job), spec.commandLine().getOut());
        }
        RowProgress listener = new RowProgress(System.err);
        SelfCorrectJob.Result r;
        try {
            r = SelfCorrectJob.run(job, listener);
        } finally {
            listener.close();
        }
        SelfCorrectCounts c = r.counts();
        spec.commandLine().getOut().printf(Locale.ROOT,
                "self-correct: %,d records (%,d good, %,d bad; bad share %.2f, target %.2f) to %s; student accuracy %.3f, "
                        + "teacher corrections %.3f right; %s%n",
                c.records(), c.rightToRight(), c.wrongToRight(), c.achievedRatio(), c.targetRatio(), out, c.studentAccuracy(),
                c.correctionSuccess(), r.costSummary());
        return Granular.OK;
    }

    /**
     * The library job the flags stand for: no optional flag gives {@code SelfCorrectJob.Spec.of(tasks, student, teacher, out)}
     * (JobSpecDefaultsTest).
     */
    SelfCorrectJob.Spec jobSpec() {
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("self-correct");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        Path cachePath = spend.cachePath();
        return new SelfCorrectJob.Spec(tasks,
                new SelfCorrectJob.ModelRole(ModelSpec.parse(student, studentKeyEnv),
                        batch.apply(ConfigFlags.limits("student-", () -> new ClientLimits(studentConcurrency, studentRpm, studentTpm, studentMaxRetries, studentTimeout, 2)))),
                new SelfCorrectJob.ModelRole(ModelSpec.parse(teacher, teacherKeyEnv),
                        batch.apply(ConfigFlags.limits("teacher-", () -> new ClientLimits(teacherConcurrency, teacherRpm, teacherTpm, teacherMaxRetries, teacherTimeout, 2)))),
                judge, samples, temperature, maxTokens, badRatio, verifyPhrases, maxPerQuestion, maskGoodInitial, cachePath,
                spend.maxCost, spend.prices, seed, limit, out, shardSize, overwrite, commandLine, System.getenv());
    }

}
