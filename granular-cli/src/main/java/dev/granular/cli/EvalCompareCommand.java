package dev.granular.cli;

import dev.granular.probe.EvalComparison;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granular eval-compare}: several eval runs on one plot and in one table. */
@Command(name = "eval-compare",
        header = "Compare eval runs (models, or checkpoints before and after training) in one plot and table.",
        description = {"Example:", "  granular eval-compare out/eval-base out/eval-in2 --out out/compare", "Docs: docs/eval.md"},
        mixinStandardHelpOptions = true)
public final class EvalCompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Output directories of granular eval.")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where compare.png, compare.md and compare.html go.")
    Path out;

    @Override
    public Integer call() {
        List<EvalComparison.Run> rs = EvalComparison.write(runs, out);
        spec.commandLine().getOut().printf("eval-compare: %d runs; table in %s%n", rs.size(), out.resolve("compare.md"));
        return Granular.OK;
    }
}
