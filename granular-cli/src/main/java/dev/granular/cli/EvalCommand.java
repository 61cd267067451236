package dev.granular.cli;

import dev.granular.probe.EvalJob;
import dev.granular.probe.ScoreSheet;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular eval}: maps options onto {@link EvalJob}. */
@Command(name = "eval",
        header = "Score a model on probes: accuracy by position, Avg and Gap, plots.",
        description = {
                "Asks --model for a reply to every probe (greedy, cached, resumable, cost-tracked), or scores "
                        + "replies produced elsewhere (--predictions: JSONL {\"samples\": [\"…\"]} or {\"prediction\": "
                        + "\"…\"}). Writes the scored records, report/scores.json, report/positions.png and report/index.html.",
                "",
                "Examples:",
                "  granular eval --probes out/probe-doc \\",
                "      --model openai:my-model@http://localhost:8000/v1 --out out/eval-base",
                "  granular eval --probes out/probe-doc \\",
                "      --predictions sample_document_bi_32k.jsonl --out out/eval-film",
                "Docs: docs/eval.md"},
        mixinStandardHelpOptions = true)
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SpendOptions spend;

    @Mixin
    BatchOptions batch;

    @Mixin
    LimitOptions limits;

    @Mixin
    DryRunOptions dryRun;

    @Option(names = "--probes", required = true, paramLabel = "DIR", description = "Probes made by granular probe.")
    Path probes;

    static final class Source {
        @Option(names = "--model", required = true, paramLabel = "SPEC", description = "openai:MODEL, openai:MODEL@URL or anthropic:MODEL.")
        String model;

        @Option(names = "--predictions", required = true, paramLabel = "PATH", arity = "1..*",
                description = "Replies produced elsewhere: JSONL files or folders of them (several are read in order); repeatable.")
        List<Path> predictions;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--max-tokens", defaultValue = "128", paramLabel = "N", description = "Reply budget per probe. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() throws InterruptedException {
        EvalJob.Spec job = jobSpec();
        if (dryRun.on()) {
            return dryRun.print(EvalJob.estimate(job), spec.commandLine().getOut());
        }
        RowProgress listener = new RowProgress(System.err);
        EvalJob.Result r;
        try {
            r = EvalJob.run(job, listener);
        } finally {
            listener.close();
        }
        ScoreSheet s = r.sheet();
        var pw = spec.commandLine().getOut();
        s.tasks().forEach((t, x) -> pw.printf(Locale.ROOT, "%-9s Avg %5.1f  Gap %5.1f%n", t.id(), x.avg() * 100, x.gap() * 100));
        if (s.allAvg() != null) {
            pw.printf(Locale.ROOT, "%-9s Avg %5.1f  Gap %5.1f%n", "All", s.allAvg() * 100, s.allGap() * 100);
        }
        if (s.needle() != null) {
            pw.printf(Locale.ROOT, "%-9s Avg %5.1f  Gap %5.1f%n", "needle", s.needle().avg() * 100, s.needle().gap() * 100);
        }
        pw.printf(Locale.ROOT, "eval: %,d probes scored; report in %s%n", r.scored(), out.resolve("report").resolve("index.html"));
        return Granular.OK;
    }

    /**
     * The library job the flags stand for: no optional flag gives {@code EvalJob.Spec.of(probes, model, out)} (or
     * {@code Spec.ofPredictions}) (JobSpecDefaultsTest); each flag maps onto its wither.
     */
    EvalJob.Spec jobSpec() {
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("eval");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        EvalJob.Spec of = source.model == null ? EvalJob.Spec.ofPredictions(probes, source.predictions, out)
                : EvalJob.Spec.of(probes, ModelSpec.parse(source.model, limits.apiKeyEnv), out);
        return of.withMaxTokens(maxTokens).withLimits(batch.apply(limits.limits())).withCachePath(spend.cachePath())
                .withMaxCost(spend.maxCost).withPrices(spend.prices).withShardSize(shardSize).withOverwrite(overwrite)
                .withCommandLine(commandLine);
    }
}
