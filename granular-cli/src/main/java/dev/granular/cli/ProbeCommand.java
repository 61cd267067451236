package dev.granular.cli;

import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.PromptTemplate;
import dev.granular.io.BadInputException;
import dev.granular.probe.Needle;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeJob;
import dev.granular.probe.ProbeTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular probe}: maps options onto {@link ProbeJob}. */
@Command(name = "probe",
        header = "Make lost-in-the-middle probes: VAL probing (document, code, database) or a needle-in-a-haystack grid.",
        description = {
                "Each probe is a long context plus a question about one position in it; score a model on them with "
                        + "'granular eval'. VAL items come from a pieces file in the public VAL-probing format (--pieces) or "
                        + "from --corpus.",
                "",
                "Examples:",
                "  granular probe --task document --pieces document_sentences.jsonl \\",
                "      --out out/probe-doc",
                "  granular probe --task needle --lengths 4000,8000,16000 \\",
                "      --depths 0,25,50,75,100 --out out/needle",
                "Docs: docs/eval.md"},
        mixinStandardHelpOptions = true)
public final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Option(names = "--task", required = true, paramLabel = "TASK", description = "document, code, database or needle.")
    String task;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--pieces", paramLabel = "FILE", description = "Pieces file (JSONL) in the public VAL-probing format.")
    Path pieces;

    @Option(names = "--corpus", paramLabel = "PATH", arity = "1..*",
            description = "Corpus files or folders (.txt/.md/.jsonl/.parquet; .py for code). Default: the bundled sample corpus.")
    List<Path> corpus = new ArrayList<>();

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = "text", description = "Text field of JSONL rows / Parquet column.")
    String textField;

    @Option(names = "--context-tokens", paramLabel = "N", defaultValue = "32000", description = "Tokens per VAL context. Default: ${DEFAULT-VALUE}.")
    int contextTokens;

    @Option(names = "--positions", paramLabel = "N", description = "Target positions per set. Default: 800 (document, code), 750 (database).")
    Integer positions;

    @Option(names = "--bin", paramLabel = "N", defaultValue = "50", description = "Positions per bin for Avg/Gap. Default: ${DEFAULT-VALUE}.")
    int bin;

    @Option(names = "--sets", paramLabel = "N", defaultValue = "4", description = "Independent contexts. Default: ${DEFAULT-VALUE}.")
    int sets;

    @Option(names = "--tokenizer", paramLabel = "T", defaultValue = "o200k_base",
            description = "o200k_base, cl100k_base, or a Hugging Face tokenizer.json (or its folder). Default: ${DEFAULT-VALUE}.")
    String tokenizer;

    @Option(names = "--chat-template", paramLabel = "FILE|tokenizer",
            description = "The model's chat template, as in2 and export --format tokens take it: a .jinja file, a .json file with a "
                    + "\"chat_template\" entry, or 'tokenizer' for the --tokenizer directory's own. With it, --context-tokens and "
                    + "--lengths count the whole prompt rendered with the generation prompt, in --tokenizer's tokens.")
    String chatTemplate;

    @Option(names = "--template", paramLabel = "FILE", description = "User message template with {context} and {question}.")
    Path template;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--lengths", paramLabel = "N,...", split = ",", defaultValue = "4000,8000,16000,32000",
            description = "needle: haystack lengths in tokens. Default: ${DEFAULT-VALUE}.")
    List<Integer> lengths;

    @Option(names = "--depths", paramLabel = "P,...", split = ",", defaultValue = "0,10,20,30,40,50,60,70,80,90,100",
            description = "needle: depths in percent. Default: ${DEFAULT-VALUE}.")
    List<Integer> depths;

    @Option(names = "--needle", paramLabel = "FILE", description = "needle: {\"sentence\", \"question\", \"answer\"}. Default: a built-in one.")
    Path needle;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        ProbeJob.Spec job = jobSpec();
        ProbeJob.Result r;
        try (Progress progress = Progress.start("probe", 0, System.err, true)) {
            r = ProbeJob.run(job, n -> progress.step(n, 0));
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "probe: wrote %,d %s probes to %s (%,d ambiguous targets swapped), context tokens %s%n",
                r.probes(), job.task().id(), out, r.swaps(), r.contextTokens());
        return Granular.OK;
    }

    /**
     * The library job the flags stand for: no optional flag gives {@code ProbeJob.Spec.of(task, out)}
     * (JobSpecDefaultsTest); each flag maps onto its wither. The VAL layout flags make one {@link ProbeConfig}, as
     * {@code --positions} and {@code --bin} are checked together (needle has no bins: its bin is 1).
     */
    ProbeJob.Spec jobSpec() throws IOException {
        ProbeTask t = ProbeTask.parse(task);
        PromptTemplate tpl = PromptTemplate.DEFAULT;
        if (template != null) {
            if (!Files.isReadable(template)) {
                throw new BadInputException(template.toString(), 0, "--template file cannot be read");
            }
            tpl = new PromptTemplate(Files.readString(template));
        }
        int p = positions != null ? positions : Math.max(1, t.defaultPositions());
        ProbeConfig cfg = new ProbeConfig(contextTokens, p, t.isVal() ? bin : 1, sets, seed, tpl);
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("probe");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        return ProbeJob.Spec.of(t, out).withPieces(pieces).withCorpus(corpus)
                .withCorpusOptions(CorpusOptions.defaults().withTextField(textField)).withConfig(cfg).withTokenizer(tokenizer)
                .withLengths(lengths).withDepths(depths).withNeedle(needle == null ? Needle.BUILTIN : Needle.read(needle))
                .withShardSize(shardSize).withOverwrite(overwrite).withCommandLine(commandLine).withChatTemplate(chatTemplate);
    }
}
