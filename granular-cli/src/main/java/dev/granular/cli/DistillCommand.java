package dev.granular.cli;

import dev.granular.erasure.DistillJob;
import dev.granular.erasure.Erasure;
import dev.granular.erasure.Selection;
import dev.granular.erasure.StrategyChoice;
import dev.granular.erasure.StrategyLibrary;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular distill}: maps options onto {@link DistillJob}. */
@Command(name = "distill",
        header = "Teacher answers under per-category reasoning strategies, erased behind one system message (Orca 2).",
        description = {
                "Tasks (JSONL): {id, category, question | messages, answer?, choices?}, OpenOrca or ShareGPT rows. "
                        + "Each category gets a strategy (--select); the teacher answers under its instruction; the records "
                        + "carry only the generic system message. Rerun the same command to resume; exit 3 when stopped early.",
                "",
                "Example:",
                "  granular distill --tasks tasks.jsonl --teacher openai:gpt-4o-mini \\",
                "      --out out/distill --require-correct",
                "Docs: docs/erasure.md"},
        mixinStandardHelpOptions = true)
public final class DistillCommand implements Callable<Integer> {
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

    @Mixin
    TeacherLimitOptions teacherLimits;

    @Option(names = "--tasks", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Tasks: .jsonl/.jsonl.gz files or directories of them (an output directory reads its data/); "
                    + "several paths, or --tasks repeated, are read in order.")
    List<Path> tasks;

    @Option(names = "--teacher", required = true, paramLabel = "SPEC", description = "openai:MODEL, openai:MODEL@URL or anthropic:MODEL.")
    String teacher;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--strategies", paramLabel = "FILE", description = "YAML list of {name, instruction, extract?} adding to or replacing the built-ins.")
    Path strategies;

    @Option(names = "--select", defaultValue = "auto", paramLabel = "auto|fixed:NAME|map:FILE", description = "How categories get strategies. Default: ${DEFAULT-VALUE}.")
    String select;

    @Option(names = "--calibration", defaultValue = "32", paramLabel = "N", description = "Answered tasks per category each strategy answers under auto. Default: ${DEFAULT-VALUE}.")
    int calibration;

    @Option(names = "--default-strategy", defaultValue = "step-by-step", paramLabel = "NAME", description = "For categories the selection cannot decide. Default: ${DEFAULT-VALUE}.")
    String defaultStrategy;

    @Option(names = "--system-message", paramLabel = "TEXT|@FILE", description = "The generic system message of the records (default: a careful assistant).")
    String systemMessage;

    @Option(names = "--require-correct", description = "Regenerate answers judged wrong (up to --attempts), then drop them.")
    boolean requireCorrect;

    @Option(names = "--attempts", defaultValue = "4", paramLabel = "N", description = "Answers asked per task at most with --require-correct. Default: ${DEFAULT-VALUE}.")
    int attempts;

    @Option(names = "--judge", defaultValue = "auto", paramLabel = "SPEC", description = "auto, exact, choice, number, regex:PATTERN or model:SPEC. Default: ${DEFAULT-VALUE}.")
    String judge;

    @Option(names = "--temperature", paramLabel = "T", description = "The teacher's sampling temperature. Default: the server's.")
    Double temperature;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Most tokens per teacher reply. Default: the server's.")
    Integer maxTokens;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds the calibration sample (default 0) and, when given, sampling.")
    Long seed;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Only the first N tasks.")
    long limit;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() throws InterruptedException {
        DistillJob.Spec job = jobSpec();
        if (dryRun.on()) {
            return dryRun.print(DistillJob.estimate(job), spec.commandLine().getOut());
        }
        RowProgress listener = new RowProgress(System.err);
        DistillJob.Result r;
        try {
            r = DistillJob.run(job, listener);
        } finally {
            listener.close();
        }
        var pw = spec.commandLine().getOut();
        for (StrategyChoice c : r.choices()) {
            pw.printf("  %s -> %s (%s)%n", c.category(), c.strategy(), c.reason());
        }
        pw.printf(Locale.ROOT, "distill: %,d records to %s (dropped: %,d wrong, %,d leaking) in %.1fs; %s%n", r.records(), out,
                r.droppedWrong(), r.droppedLeak(), r.elapsed().toMillis() / 1000.0, r.costSummary());
        return Granular.OK;
    }

    /**
     * The library job the flags stand for: no optional flag gives {@code DistillJob.Spec.of(tasks, teacher, out)}
     * (JobSpecDefaultsTest). Built with the canonical constructor so that each flag maps onto its component.
     */
    DistillJob.Spec jobSpec() {
        ModelSpec model = ModelSpec.parse(teacher, teacherLimits.apiKeyEnv);
        StrategyLibrary library = StrategyLibrary.builtIn();
        if (strategies != null) {
            library = library.withFile(strategies);
        }
        Selection selection = Selection.parse(select, calibration, library);
        GenerationParams params = new GenerationParams(temperature, null, maxTokens, seed, List.of(), Map.of());
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("distill");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        Path cachePath = spend.cachePath();
        return new DistillJob.Spec(tasks, model, params, library, selection, defaultStrategy,
                SystemMessages.resolve(systemMessage, Erasure.DEFAULT_SYSTEM_MESSAGE), requireCorrect, attempts, judge,
                seed == null ? 0 : seed, batch.apply(teacherLimits.limits()), cachePath, spend.maxCost,
                spend.prices, limit, out, shardSize, overwrite, commandLine, System.getenv());
    }

}
