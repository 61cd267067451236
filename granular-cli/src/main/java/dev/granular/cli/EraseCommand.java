package dev.granular.cli;

import dev.granular.erasure.EraseFormat;
import dev.granular.erasure.EraseJob;
import dev.granular.erasure.Erasure;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular erase}: maps options onto {@link EraseJob}. */
@Command(name = "erase",
        header = "Replace detailed system prompts of existing data with one generic system message (Prompt Erasure).",
        description = {
                "Input rows (JSONL): OpenOrca {id, system_prompt, question, response}, ShareGPT {conversations: "
                        + "[{from, value, weight?}]} or {messages: [...]}. Output: the generic system message, the "
                        + "conversation, assistant turns trained; meta.erased_sha256 and meta.erased_label keep track of the "
                        + "erased prompt. report/summary.json counts the distinct erased prompts.",
                "",
                "Example:",
                "  granular erase --in openorca.jsonl --out out/erased",
                "Docs: docs/erasure.md"},
        mixinStandardHelpOptions = true)
public final class EraseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Input rows: .jsonl/.jsonl.gz files or directories of them (an output directory reads its data/); "
                    + "several paths, or --in repeated, are read in order.")
    List<Path> in;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--input-format", defaultValue = "auto", paramLabel = "FORMAT",
            description = "auto, openorca, sharegpt or messages. Default: ${DEFAULT-VALUE}.")
    EraseFormat format;

    @Option(names = "--system-message", paramLabel = "TEXT|@FILE", description = "The generic system message (default: a careful assistant).")
    String systemMessage;

    @Option(names = "--top", defaultValue = "20", paramLabel = "N", description = "Erased prompts listed in the report. Default: ${DEFAULT-VALUE}.")
    int top;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Only the first N rows.")
    long limit;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() {
        EraseJob.Result r = EraseJob.run(jobSpec());
        spec.commandLine().getOut().printf(Locale.ROOT, "erase: %,d records to %s; %,d distinct system prompts erased%n", r.records(), out,
                r.prompts().stream().filter(p -> p.sha256() != null).count());
        return Granular.OK;
    }

    /** The library job the flags stand for: no optional flag gives {@code EraseJob.Spec.of(in, out)} (JobSpecDefaultsTest). */
    EraseJob.Spec jobSpec() {
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("erase");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        return new EraseJob.Spec(in, format, SystemMessages.resolve(systemMessage, Erasure.DEFAULT_SYSTEM_MESSAGE), limit, top, out,
                shardSize, overwrite, commandLine);
    }
}
