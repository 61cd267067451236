package dev.granular.cli;

import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.in2.Mix;
import dev.granular.in2.PromptTemplate;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular in2}: maps options onto {@link In2Job}. */
@Command(name = "in2",
        header = "Make IN2 long-context training data (FILM-7B) from a text corpus.",
        description = {
                "Cuts the corpus into segments, writes questions that need one segment (single) or two segments of "
                        + "one document (multi), and hides them at uniformly random depths of 4K-32K token contexts made of "
                        + "segments from other documents. Only the answer is trained. Without --corpus the bundled sample "
                        + "corpus is used. Rerunning into the same --out resumes.",
                "",
                "Examples:",
                "  granular in2 --out out/demo",
                "  granular in2 --corpus news/ --text-field text --examples 50000 \\",
                "      --tokenizer models/qwen3 --out out/in2",
                "  granular in2 --tokenizer models/qwen3 --chat-template tokenizer \\",
                "      --out out/in2-qwen3",
                "Docs: docs/in2.md"},
        mixinStandardHelpOptions = true)
public final class In2Command implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Mixin
    SpendOptions spend;

    @Mixin
    BatchOptions batch;

    @Mixin
    TeacherLimitOptions teacherLimits;

    @Mixin
    DryRunOptions dryRun;

    @Option(names = "--corpus", paramLabel = "PATH", arity = "1..*",
            description = "Corpus files or folders: .txt/.md (a document per file), .jsonl/.jsonl.gz (a document per line), .parquet. Default: the bundled sample corpus.")
    List<Path> corpus = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "T", defaultValue = "o200k_base",
            description = "o200k_base, cl100k_base, or a Hugging Face tokenizer.json (or its folder). Default: ${DEFAULT-VALUE}.")
    String tokenizer;

    @Option(names = "--chat-template", paramLabel = "FILE|tokenizer",
            description = "The trained model's chat template, as export --format tokens takes it: a .jinja file, a .json file with a "
                    + "\"chat_template\" entry, or 'tokenizer' for the --tokenizer directory's own. With it, --min-tokens, --max-tokens "
                    + "and the drawn lengths count the whole rendered row (template, question, answer) in --tokenizer's tokens, "
                    + "and the context ids are kept in DIR/tokens/ for a fast export --format tokens.")
    String chatTemplate;

    @Option(names = "--examples", paramLabel = "N", defaultValue = "1000", description = "Number of examples. Default: ${DEFAULT-VALUE}.")
    long examples;

    @Option(names = "--segment-tokens", paramLabel = "N", defaultValue = "128", description = "Tokens per segment. Default: ${DEFAULT-VALUE}.")
    int segmentTokens;

    @Option(names = "--min-tokens", paramLabel = "N", defaultValue = "4096", description = "Shortest long context, tokens. Default: ${DEFAULT-VALUE}.")
    int minTokens;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "32768", description = "Longest long context, tokens. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--mix", paramLabel = "SPEC", defaultValue = "single=0.63,multi=0.17,short=0.10,general=0.10",
            description = "Shares of each kind, summing to 1. Default: ${DEFAULT-VALUE}.")
    String mix;

    @Option(names = "--general", paramLabel = "PATH", arity = "1..*",
            description = "General instruction rows (canonical records or {\"messages\": [...]}) for the general share: "
                    + "JSONL files, folders of them or another command's output folder; repeatable.")
    List<Path> general = new ArrayList<>();

    @Option(names = "--qa", paramLabel = "MODE", defaultValue = "programmatic",
            description = "Who writes the questions: programmatic (no LLM), teacher (--teacher), or a mix such as teacher=0.7,programmatic=0.3. Default: ${DEFAULT-VALUE}.")
    String qa;

    @Option(names = "--teacher", paramLabel = "SPEC", description = "Teacher model for --qa teacher: openai:MODEL, openai:MODEL@URL or anthropic:MODEL (docs/models.md).")
    String teacherSpec;

    @Option(names = "--teacher-temperature", paramLabel = "T", description = "Teacher sampling temperature (server default if unset).")
    Double teacherTemperature;

    @Option(names = "--exclude", paramLabel = "FILE", arity = "1..*",
            description = "Evaluation data to decontaminate against: corpus documents sharing a word 10-gram with it are not used.")
    List<Path> exclude = new ArrayList<>();

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = "text", description = "Text field of JSONL rows / Parquet column. Default: ${DEFAULT-VALUE}.")
    String textField;

    @Option(names = "--max-doc-tokens", paramLabel = "N", defaultValue = "1024",
            description = "Longer documents are split into pseudo-documents at paragraph, else sentence, boundaries. Default: ${DEFAULT-VALUE}.")
    int maxDocTokens;

    @Option(names = "--template", paramLabel = "FILE", description = "User message template with {context} and {question}.")
    Path template;

    @Option(names = "--system-message", paramLabel = "TEXT", description = "A system message for every example (default: none).")
    String systemMessage;

    @Option(names = "--on-bad-row", paramLabel = "fail|skip", defaultValue = "fail",
            description = "Bad corpus rows: fail (exit 2 naming file:line) or skip (counted in the manifest). Default: ${DEFAULT-VALUE}.")
    String onBadRow;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (never changes the output). Default: the number of cores.")
    Integer threads;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "10000", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        In2Job.Spec jobSpec = jobSpec();
        if (dryRun.on()) {
            return dryRun.print(In2Job.estimate(jobSpec), spec.commandLine().getOut());
        }

        PrintStream err = System.err;
        CliListener listener = new CliListener(err, jobSpec.config().examples());
        In2Job.Result r;
        try {
            r = In2Job.run(jobSpec, listener);
        } finally {
            listener.close();
        }
        String kinds = r.byKind().entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> e.getKey() + " " + dev.granular.report.Numbers.human(e.getValue())).collect(Collectors.joining(", "));
        if (r.alreadyComplete()) {
            spec.commandLine().getOut().printf("in2: %s is already complete (%s); nothing to do%n", out, kinds);
        } else {
            double secs = Math.max(0.001, r.elapsed().toMillis() / 1000.0);
            spec.commandLine().getOut().printf(Locale.ROOT, "in2: wrote %,d examples (%s) to %s in %.1fs%s, %,d context tokens (%,.0f tokens/s)%n",
                    r.examples(), kinds, out, secs, r.resumed() ? " (resumed)" : "", r.contextTokens(), r.contextTokens() / secs);
        }
        return Granular.OK;
    }

    /** The options as the library's run: {@link In2Job.Spec#of} with a wither per option (the defaults are the same). */
    In2Job.Spec jobSpec() throws IOException {
        dev.granular.in2.QaMix qaMix = dev.granular.in2.QaMix.parse(qa);
        In2Job.Teacher teacher = null;
        if (qaMix.usesTeacher()) {
            if (teacherSpec == null) {
                throw new BadInputException("--qa " + qa + " needs --teacher SPEC (e.g. openai:gpt-4o-mini)");
            }
            var model = dev.granular.teacher.ModelSpec.parse(teacherSpec, teacherLimits.apiKeyEnv);
            if (!dryRun.on()) {
                model.key(System.getenv()); // a missing required key is bad input, found before any work (a dry run needs none)
            }
            var params = new dev.granular.teacher.GenerationParams(teacherTemperature, null, 1024, null, List.of(), java.util.Map.of());
            var limits = batch.apply(teacherLimits.limits());
            Path cachePath = spend.cachePath();
            teacher = new In2Job.Teacher(model, params, limits, cachePath, spend.maxCost, spend.prices, System.getenv());
        } else if (teacherSpec != null) {
            throw new BadInputException("--teacher is given but --qa is programmatic; use --qa teacher (or a mix) to use it");
        }
        BadRowPolicy policy = switch (onBadRow.toLowerCase(Locale.ROOT)) {
            case "fail" -> BadRowPolicy.FAIL;
            case "skip" -> BadRowPolicy.SKIP;
            default -> throw new BadInputException("--on-bad-row must be fail or skip, got '" + onBadRow + "'");
        };
        PromptTemplate tpl = PromptTemplate.DEFAULT;
        if (template != null) {
            if (!Files.isReadable(template)) {
                throw new BadInputException(template.toString(), 0, "--template file cannot be read");
            }
            tpl = new PromptTemplate(Files.readString(template));
        }
        In2Config config = new In2Config(examples, segmentTokens, minTokens, maxTokens, Mix.parse(mix), maxDocTokens, tpl,
                systemMessage, seed, qaMix);
        // The arguments after "granular": originalArgs() are the whole command line's, "in2" included,
        // unless this command runs on its own.
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("in2");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        In2Job.Spec job = In2Job.Spec.of(corpus, config, out)
                .withCorpusOptions(new CorpusOptions(textField, policy))
                .withExclude(exclude)
                .withGeneral(general)
                .withTokenizer(tokenizer)
                .withShardSize(shardSize)
                .withOverwrite(overwrite)
                .withCommandLine(commandLine)
                .withTeacher(teacher)
                .withChatTemplate(chatTemplate);
        return threads == null ? job : job.withThreads(threads); // Spec.of's default: a thread per core
    }

    /** Shows stages and a progress bar on a terminal; warnings always. */
    private static final class CliListener implements In2Job.Listener {
        private final PrintStream err;
        private final long total;
        private Progress progress;

        CliListener(PrintStream err, long total) {
            this.err = err;
            this.total = total;
        }

        @Override
        public synchronized void stage(String name, long n) {
            close();
            // every stage shows it is alive (reading and tokenizing a large corpus takes minutes), the
            // generate stage with its counts
            progress = name.equals("generate") ? Progress.start("in2", n > 0 ? n : total, err, true)
                    : Progress.start("in2 " + name, n, err, true);
        }

        @Override
        public void progress(long examples, long tokens) {
            Progress p = progress;
            if (p != null) {
                p.step(examples, tokens);
            }
        }

        @Override
        public void warn(String message) {
            err.println("granular: warning: " + message);
        }

        synchronized void close() {
            if (progress != null) {
                progress.close();
                progress = null;
            }
        }
    }
}
