package dev.granular.cli;

import dev.granular.report.Json;
import dev.granular.teacher.RunSpend;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granular cost DIR}: a thin layer over {@link RunSpend}. */
@Command(name = "cost",
        header = "What a run paid, by model and step, over every attempt (docs/spend.md).",
        description = {
                "Reads the paid replies journalled in DIR/.granular/replies.jsonl (and in DIR/steps/NAME/ for a recipe) "
                        + "and prints the run's spend by step and model: paid replies, prompt and completion tokens, USD, "
                        + "real-time vs batch, and the replies served free from the cache in the latest finished attempt. "
                        + "Every attempt of the run counts (interrupted, resumed). Reads only. Exit code 2 when DIR is not a "
                        + "granular output.",
                "",
                "Examples:",
                "  granular cost out/gen",
                "  granular cost out/gen --json"},
        mixinStandardHelpOptions = true)
public final class CostCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "A granular output directory.")
    Path dir;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Override
    public Integer call() {
        RunSpend spend = RunSpend.read(dir);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.toCompactString(spend.toJson()));
        } else {
            out.print(spend.table());
        }
        out.flush();
        return Granular.OK;
    }
}
