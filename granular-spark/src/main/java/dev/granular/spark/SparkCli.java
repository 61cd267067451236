package dev.granular.spark;

import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.export.Truncation;
import dev.granular.io.BadInputException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code granular spark}: the Spark jobs on the command line. The launcher ({@code ./granular spark ...})
 * runs this class with Spark on the classpath; on a cluster, {@code spark-submit --class
 * dev.granular.spark.SparkCli granular-spark.jar export ...} (docs/spark.md). Exit codes as the
 * granular command's: 0 done, 1 failed, 2 bad input or usage.
 */
@Command(name = "granular spark", mixinStandardHelpOptions = true,
        subcommands = {SparkCli.Export.class, SparkIn2Command.class, SparkCli.DedupCommand.class},
        header = "granular's CPU-heavy stages as Apache Spark jobs: the same output as the single-machine commands.",
        description = {"Runs in local mode (--master local[*]) by default; on a cluster through spark-submit (docs/spark.md)."})
public final class SparkCli implements Runnable {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a job: " + String.join(", ", spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(commandLine(out, err).execute(args));
    }

    /** The command tree with its exit-code mapping; tests call this directly. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SparkCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof dev.granular.io.InvalidConfigException ice) {
                // Configuration fields as the flags that set them: ${maxLength} -> --max-length, as granular export does.
                line.getErr().println("granular: " + ice.message(SparkCli::flag));
                line.getErr().flush();
                return BAD_INPUT;
            }
            if (ex instanceof BadInputException) {
                line.getErr().println("granular: " + ex.getMessage());
                line.getErr().flush();
                return BAD_INPUT;
            }
            line.getErr().println("granular: failed: " + ex);
            ex.printStackTrace(line.getErr());
            line.getErr().flush();
            return FAILED;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("granular: " + ex.getMessage());
            e.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            e.flush();
            return BAD_INPUT;
        });
        return cl;
    }

    /** The flag of a configuration field: {@code maxLength} → {@code --max-length}. */
    static String flag(String field) {
        return "--" + field.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** {@code granular spark export}: {@code export --format tokens|trl-tokens} (Parquet or JSONL, packed or not) on Spark. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            header = "The token export (export --format tokens|trl-tokens) as a Spark job: the same rows in the same order.",
            description = {
                    "Records are labelled on the executors with --tokenizer's files, which the driver broadcasts; the rows are sorted "
                            + "back into input order, so the output equals 'granular export --format tokens' on the same input, "
                            + "whatever the partitioning. With --pack N the driver plans the packed rows from the examples' "
                            + "lengths with the single-machine planner (best-fit decreasing per window of 100,000 examples) and "
                            + "the executors assemble them: the same packed rows, in the same data files. The output folder "
                            + "has the same report/, README.md card and manifest, and loads with datasets.load_dataset(DIR).",
                    "",
                    "Example:",
                    "  granular spark export --in out/demo --format tokens \\",
                    "      --tokenizer models/qwen3 --max-length 8192 \\",
                    "      --truncation left-context --pack 8192 --out out/demo-tokens",
                    "Docs: docs/spark.md"})
    static final class Export implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
                description = "Canonical records: .jsonl/.jsonl.gz files or directories of them, read in order.")
        List<Path> in;

        @Option(names = "--format", defaultValue = "tokens", paramLabel = "FORMAT", description = "tokens or trl-tokens. Default: ${DEFAULT-VALUE}.")
        String format;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (a path the driver can write).")
        Path out;

        @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "A Hugging Face tokenizer directory.")
        Path tokenizer;

        @Option(names = "--chat-template", paramLabel = "FILE", description = "Render with this chat template instead of --tokenizer's.")
        Path chatTemplate;

        @Option(names = "--max-length", defaultValue = "0", paramLabel = "N", description = "Longest example in tokens (0: no limit; with --pack, the row size).")
        int maxLength;

        @Option(names = "--truncation", defaultValue = "error", paramLabel = "MODE",
                description = "error, drop or left-context, for an example over --max-length. Default: ${DEFAULT-VALUE}.")
        String truncation;

        @Option(names = "--pack", defaultValue = "0", paramLabel = "N",
                description = "Pack examples into rows of at most N tokens (best-fit decreasing, as granular export); 0: one example per row.")
        int pack;

        @Option(names = "--tokens-format", defaultValue = "parquet", paramLabel = "parquet|jsonl",
                description = "Row files: parquet (data/part-NNNNN.parquet) or jsonl (data/part-NNNNN.jsonl). Default: ${DEFAULT-VALUE}.")
        String tokensFormat;

        @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Rows per data file at most. Default: ${DEFAULT-VALUE}.")
        int shardSize;

        @Option(names = "--allow-special-text", description = "Export records whose text spells a special token, as transformers tokenizes them.")
        boolean allowSpecialText;

        @Option(names = "--overwrite", description = "Replace the files of another run in --out.")
        boolean overwrite;

        @Option(names = "--master", defaultValue = "local[*]", paramLabel = "URL",
                description = "Spark master when not set by spark-submit. Default: ${DEFAULT-VALUE}.")
        String master;

        @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
                description = "Partitions to label in (0: Spark's split of the input files). Changes speed only, never the output.")
        int partitions;

        @Override
        public Integer call() {
            TokenFormat f = TokenFormat.byName(format.toLowerCase(Locale.ROOT));
            if (f == null) {
                throw new ParameterException(spec.commandLine(), "--format: expected tokens or trl-tokens, got '" + format + "'");
            }
            Truncation t = Truncation.byName(truncation.toLowerCase(Locale.ROOT));
            if (t == null) {
                throw new ParameterException(spec.commandLine(), "--truncation: expected error, drop or left-context, got '" + truncation + "'");
            }
            TokenExportJob.FileFormat ff = switch (tokensFormat.toLowerCase(Locale.ROOT)) {
                case "parquet" -> TokenExportJob.FileFormat.PARQUET;
                case "jsonl" -> TokenExportJob.FileFormat.JSONL;
                default -> throw new ParameterException(spec.commandLine(), "--tokens-format: expected parquet or jsonl, got '" + tokensFormat + "'");
            };
            if (maxLength < 0 || pack < 0 || partitions < 0 || shardSize < 1) {
                throw new ParameterException(spec.commandLine(), "--max-length, --pack and --partitions must be >= 0, --shard-size >= 1");
            }
            if (pack > 0 && maxLength > pack) {
                throw new ParameterException(spec.commandLine(), "--max-length " + maxLength + " > --pack " + pack
                        + ": an example longer than a packed row fits nowhere");
            }
            List<String> commandLine = new ArrayList<>(List.of("spark"));
            commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
            SparkSession.Builder builder = SparkSession.builder().appName("granular spark export");
            // spark-submit sets spark.master; --master applies when run directly (the launcher, tests).
            if (System.getProperty("spark.master") == null) {
                builder.master(master);
            }
            SparkSession spark = builder.getOrCreate();
            try {
                SparkTokenExport.Result r = SparkTokenExport.run(spark, SparkTokenExport.Spec.of(in, out, tokenizer).withFormat(f)
                        .withChatTemplate(chatTemplate).withMaxLength(maxLength).withTruncation(t).withPack(pack).withFileFormat(ff)
                        .withShardSize(shardSize).withPartitions(partitions).withAllowSpecialText(allowSpecialText)
                        .withOverwrite(overwrite).withCommandLine(commandLine));
                long skipped = r.dropped() + r.rejected();
                spec.commandLine().getOut().printf(Locale.ROOT, "spark export: %,d of %,d records as %s to %s (%,d rows, %,d tokens%s)%s%n",
                        r.examples(), r.records(), f.wireName(), out, r.rows(), r.tokens(),
                        r.truncated() > 0 ? ", " + r.truncated() + " shortened" : "",
                        skipped > 0 ? "; " + r.dropped() + " dropped, " + r.rejected() + " rejected (see " + out.resolve("rejected.jsonl") + ")" : "");
                return OK;
            } finally {
                spark.stop();
            }
        }
    }

    /** {@code granular spark dedup}: {@code granular dedup} (decontamination, exact and near dedup) on Spark. */
    @Command(name = "dedup", mixinStandardHelpOptions = true,
            header = "granular dedup as a Spark job: the same kept rows, in the same order, as the same bytes.",
            description = {
                    "Decontaminates (--decontaminate), removes exact duplicates and, with --near T, near duplicates (MinHash "
                            + "estimate of word-shingle Jaccard similarity >= T to an earlier row) over partitions. The output is "
                            + "'granular dedup''s on the same input whatever the partitioning: data/part-NNNNN.jsonl (the kept rows in "
                            + "input order), removed.jsonl (what went and why), manifest.json.",
                    "",
                    "Example:",
                    "  granular spark dedup --in out/demo more.jsonl --out out/deduped \\",
                    "      --near 0.8 --decontaminate eval/test.jsonl",
                    "Docs: docs/spark.md"})
    static final class DedupCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
                description = "Canonical records: .jsonl/.jsonl.gz files or directories of them, read in order.")
        List<Path> in;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (a path the driver can write).")
        Path out;

        @Option(names = "--near", paramLabel = "T",
                description = "Also remove near duplicates: estimated Jaccard similarity of word shingles at least T, in (0, 1]. Default: off.")
        Double near;

        @Option(names = "--shingle", defaultValue = "5", paramLabel = "N", description = "Words per shingle for --near. Default: ${DEFAULT-VALUE}.")
        int shingle;

        @Option(names = "--permutations", defaultValue = "128", paramLabel = "N",
                description = "MinHash permutations for --near. Default: ${DEFAULT-VALUE}.")
        int permutations;

        @Option(names = "--bands", defaultValue = "0", paramLabel = "N",
                description = "LSH bands for --near; 0 picks them for the threshold. Default: ${DEFAULT-VALUE}.")
        int bands;

        @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of the MinHash functions. Default: ${DEFAULT-VALUE}.")
        long seed;

        @Option(names = "--decontaminate", paramLabel = "FILE", arity = "1..*",
                description = "Evaluation files: rows sharing a word n-gram with them go (read by the driver, broadcast).")
        List<Path> decontaminate = new ArrayList<>();

        @Option(names = "--ngram", defaultValue = "10", paramLabel = "N", description = "Decontamination n-gram in words. Default: ${DEFAULT-VALUE}.")
        int ngram;

        @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Rows per data file at most. Default: ${DEFAULT-VALUE}.")
        int shardSize;

        @Option(names = "--overwrite", description = "Replace the files of another run in --out.")
        boolean overwrite;

        @Option(names = "--master", defaultValue = "local[*]", paramLabel = "URL",
                description = "Spark master when not set by spark-submit. Default: ${DEFAULT-VALUE}.")
        String master;

        @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
                description = "Partitions to work in (0: Spark's split of the input files). Changes speed only, never the output.")
        int partitions;

        @Override
        public Integer call() {
            if (near != null && !(near > 0 && near <= 1)) {
                throw new ParameterException(spec.commandLine(), "--near: a Jaccard threshold in (0, 1], got " + near);
            }
            if (shingle < 1 || permutations < 1 || permutations > 4096 || bands < 0 || bands > permutations || ngram < 1
                    || shardSize < 1 || partitions < 0) {
                throw new ParameterException(spec.commandLine(), "--shingle, --ngram and --shard-size must be >= 1, --permutations in"
                        + " [1, 4096], --bands in [0, --permutations], --partitions >= 0");
            }
            dev.granular.dedup.DedupConfig config = dev.granular.dedup.DedupConfig.DEFAULT.withDecontaminate(decontaminate).withNgram(ngram);
            if (near != null) {
                config = config.withNear(new dev.granular.dedup.NearDedupConfig(near, shingle, permutations, bands, seed));
            }
            List<String> commandLine = new ArrayList<>(List.of("spark"));
            commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
            SparkSession.Builder builder = SparkSession.builder().appName("granular spark dedup");
            if (System.getProperty("spark.master") == null) {
                builder.master(master);
            }
            SparkSession spark = builder.getOrCreate();
            try {
                dev.granular.dedup.Dedup.Counts c = SparkDedup.run(spark, new SparkDedup.Spec(dev.granular.dedup.DedupJob.Spec.of(in, out)
                        .withConfig(config).withShardSize(shardSize).withOverwrite(overwrite).withCommandLine(commandLine), partitions));
                spec.commandLine().getOut().printf(Locale.ROOT, "spark dedup: %,d of %,d rows kept in %s (%,d duplicates, %,d near duplicates,"
                        + " %,d contaminated removed; see %s)%n", c.kept(), c.read(), out, c.duplicates(), c.nearDuplicates(),
                        c.contaminated(), out.resolve("removed.jsonl"));
                return OK;
            } finally {
                spark.stop();
            }
        }
    }
}
