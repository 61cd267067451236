package dev.granular.spark;

import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.in2.Mix;
import dev.granular.in2.PromptTemplate;
import dev.granular.in2.QaMix;
import dev.granular.io.BadInputException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code granular spark in2}: {@code granular in2} with segmentation and assembly on Spark ({@link SparkIn2}); the
 * options are {@code in2}'s, less those of the teacher, --threads and --dry-run, plus --master and --partitions.
 */
@Command(name = "in2", mixinStandardHelpOptions = true,
        header = "IN2 (granular in2) with corpus segmentation and example assembly as Spark jobs: the same records, byte for byte.",
        description = {
                "The driver reads the corpus; Spark tasks segment and tokenize the documents, assemble the examples and write the "
                        + "data shards, which the driver publishes into the output directory as 'granular in2' does. Same seed and inputs: the same data files as 'granular in2', "
                        + "whatever the partitioning. Programmatic questions only (no --qa teacher).",
                "",
                "Example:",
                "  granular spark in2 --corpus news/ --examples 50000 \\",
                "      --tokenizer models/qwen3 --chat-template tokenizer --out out/in2",
                "Docs: docs/spark.md"})
final class SparkIn2Command implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", paramLabel = "PATH", arity = "1..*",
            description = "Corpus files or folders (.txt/.md, .jsonl/.jsonl.gz, .parquet), read by the driver. Default: the bundled sample corpus.")
    List<Path> corpus = new ArrayList<>();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory. On a cluster it must be on a file system that the driver and every "
                    + "executor see (the executors write the shards into its work folder).")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "T", defaultValue = "o200k_base",
            description = "o200k_base, cl100k_base, or a Hugging Face tokenizer.json (or its folder), shipped to the executors. Default: ${DEFAULT-VALUE}.")
    String tokenizer;

    @Option(names = "--chat-template", paramLabel = "FILE|tokenizer",
            description = "As in2 --chat-template: lengths count the rendered row's tokens; context ids kept in DIR/tokens/.")
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
            description = "Shares of each kind; without --general the general share is spread over the others. Default: ${DEFAULT-VALUE}.")
    String mix;

    @Option(names = "--general", paramLabel = "PATH", arity = "1..*",
            description = "General instruction rows (canonical records or {\"messages\": [...]}) for the general share: "
                    + "JSONL files, folders of them or another command's output folder, read by the driver and shipped with the job.")
    List<Path> general = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "FILE", arity = "1..*",
            description = "Evaluation data to decontaminate against, read by the driver: corpus documents sharing a word 10-gram "
                    + "with it are not used (checked on the executors).")
    List<Path> exclude = new ArrayList<>();

    @Option(names = "--max-doc-tokens", paramLabel = "N", defaultValue = "1024",
            description = "Longer documents are split into pseudo-documents. Default: ${DEFAULT-VALUE}.")
    int maxDocTokens;

    @Option(names = "--template", paramLabel = "FILE", description = "User message template with {context} and {question}.")
    Path template;

    @Option(names = "--system-message", paramLabel = "TEXT", description = "A system message for every example (default: none).")
    String systemMessage;

    @Option(names = "--text-field", paramLabel = "NAME", defaultValue = "text", description = "Text field of JSONL rows / Parquet column. Default: ${DEFAULT-VALUE}.")
    String textField;

    @Option(names = "--on-bad-row", paramLabel = "fail|skip", defaultValue = "fail",
            description = "Bad corpus rows: fail (exit 2 naming file:line) or skip (counted in the manifest). Default: ${DEFAULT-VALUE}.")
    String onBadRow;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "10000", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = "Replace the files of another run in --out.")
    boolean overwrite;

    @Option(names = "--master", defaultValue = "local[*]", paramLabel = "URL",
            description = "Spark master when not set by spark-submit. Default: ${DEFAULT-VALUE}.")
    String master;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "Tasks per wave of documents or examples (0: twice Spark's default parallelism). Changes speed only, never the output.")
    int partitions;

    @Override
    public Integer call() throws IOException {
        if (partitions < 0 || shardSize < 1) {
            throw new ParameterException(spec.commandLine(), "--partitions must be >= 0 and --shard-size >= 1");
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
                systemMessage, seed, QaMix.PROGRAMMATIC);
        List<String> commandLine = new ArrayList<>(List.of("spark"));
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        SparkIn2.Spec job = new SparkIn2.Spec(corpus, new CorpusOptions(textField, policy), exclude, general, tokenizer, chatTemplate,
                config, out, shardSize, overwrite, partitions, SparkIn2.WAVE_CHARS, commandLine);
        SparkSession.Builder builder = SparkSession.builder().appName("granular spark in2");
        // spark-submit sets spark.master; --master applies when run directly (the launcher, tests).
        if (System.getProperty("spark.master") == null) {
            builder.master(master);
        }
        SparkSession spark = builder.getOrCreate();
        try {
            In2Job.Result r = SparkIn2.run(spark, job, new In2Job.Listener() {
                @Override
                public void warn(String message) {
                    spec.commandLine().getErr().println("granular: warning: " + message);
                }
            });
            String kinds = r.byKind().entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(e -> e.getKey() + " " + dev.granular.report.Numbers.human(e.getValue())).collect(Collectors.joining(", "));
            if (r.alreadyComplete()) {
                spec.commandLine().getOut().printf("spark in2: %s is already complete (%s); nothing to do%n", out, kinds);
            } else {
                double secs = Math.max(0.001, r.elapsed().toMillis() / 1000.0);
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "spark in2: wrote %,d examples (%s) to %s in %.1fs%s, %,d context tokens (%,.0f tokens/s)%n",
                        r.examples(), kinds, out, secs, r.resumed() ? " (resumed)" : "", r.contextTokens(), r.contextTokens() / secs);
            }
            return SparkCli.OK;
        } finally {
            spark.stop();
        }
    }
}
