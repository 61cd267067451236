package dev.granular.cli;

import dev.granular.export.ExportFormat;
import dev.granular.export.ExportJob;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular export}: maps options onto {@link ExportJob}. */
@Command(name = "export",
        header = "Deliver records in a trainer's format: exact, or refused with a reason.",
        description = {
                "Formats: openai (weight on assistant messages), axolotl (chat_template rows with train and",
                "train_detail, plus axolotl.yaml), trl (prompt/completion or messages rows), llamafactory",
                "(sharegpt rows plus dataset_info.json). A record whose loss mask a format cannot carry",
                "(e.g. a partly trained message for openai, trl and llamafactory) goes to DIR/rejected.jsonl.",
                "",
                "Examples:",
                "  granular export --in out/demo --format axolotl --out out/demo-axolotl",
                "  granular export --in out/demo --format openai --out out/demo-openai",
                "Docs: docs/export.md"},
        mixinStandardHelpOptions = true)
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "DIR|FILE", description = "Canonical records (an output folder or .jsonl files).")
    Path in;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "openai, axolotl, trl or llamafactory.")
    ExportFormat format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Rows per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = "Replace a different export in --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("export");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        ExportJob.Result r = ExportJob.run(new ExportJob.Spec(in, format, out, shardSize, overwrite, commandLine));
        spec.commandLine().getOut().printf(Locale.ROOT, "export: %d of %d records as %s to %s%s%n", r.exported(), r.records(),
                format.wireName(), out, r.rejected() > 0 ? "; " + r.rejected() + " rejected (see " + out.resolve("rejected.jsonl") + ")" : "");
        return Granular.OK;
    }
}
