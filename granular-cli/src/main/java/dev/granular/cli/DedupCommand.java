package dev.granular.cli;

import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.dedup.DedupJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code granular dedup}: decontamination, exact and near dedup of record files on one machine ({@link DedupJob}). */
@Command(name = "dedup", mixinStandardHelpOptions = true,
        header = "Remove contaminated rows, exact duplicates and (with --near) near duplicates from record files.",
        description = {
                "Reads canonical records (--in, in order) and keeps the first row of each content: a row goes when it shares a "
                        + "word --ngram with an evaluation file (--decontaminate), when its normalised content (roles and messages, "
                        + "NFC, white space collapsed, case kept) equals an earlier row's, or, with --near T, when an earlier row's "
                        + "MinHash estimate of word-shingle Jaccard similarity to it is at least T. Writes the kept rows in input "
                        + "order to OUT/data/part-NNNNN.jsonl and what was removed and why to OUT/removed.jsonl. The same on Spark: "
                        + "'granular spark dedup'.",
                "",
                "Example:",
                "  granular dedup --in out/demo more.jsonl --out out/deduped \\",
                "      --near 0.8 --decontaminate eval/test.jsonl",
                "Docs: docs/dedup.md"})
public final class DedupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Canonical records: .jsonl/.jsonl.gz files or directories of them, read in order.")
    List<Path> in;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--near", paramLabel = "T",
            description = "Also remove near duplicates: estimated Jaccard similarity of word shingles at least T, in (0, 1] (0.8 is usual). Default: off.")
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
            description = "Evaluation files: rows sharing a word n-gram with them go (.jsonl: every string; other files: the text).")
    List<Path> decontaminate = new ArrayList<>();

    @Option(names = "--ngram", defaultValue = "10", paramLabel = "N", description = "Decontamination n-gram in words. Default: ${DEFAULT-VALUE}.")
    int ngram;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Rows per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = "Replace the files of another run in --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        DedupJob.Result r = DedupJob.run(jobSpec());
        spec.commandLine().getOut().println(summary("dedup", r.counts(), out) + (r.alreadyComplete() ? " (already complete)" : ""));
        spec.commandLine().getOut().flush();
        return Granular.OK;
    }

    /** The library job the flags stand for: no optional flag gives {@code DedupJob.Spec.of(in, out)} (JobSpecDefaultsTest). */
    DedupJob.Spec jobSpec() {
        DedupConfig config = config(spec, near, shingle, permutations, bands, seed, decontaminate, ngram);
        // The arguments after "granular": originalArgs() are the whole command line's, "dedup" included,
        // unless this command runs on its own.
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("dedup");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        return DedupJob.Spec.of(in, out).withConfig(config).withShardSize(shardSize).withOverwrite(overwrite)
                .withCommandLine(commandLine);
    }

    /** The config of the flags, refusing values out of range with the flag's name. */
    static DedupConfig config(CommandSpec spec, Double near, int shingle, int permutations, int bands, long seed,
                              List<Path> decontaminate, int ngram) {
        if (near != null && !(near > 0 && near <= 1)) {
            throw new ParameterException(spec.commandLine(), "--near: a Jaccard threshold in (0, 1], got " + near);
        }
        if (shingle < 1 || permutations < 1 || permutations > 4096 || bands < 0 || bands > permutations || ngram < 1) {
            throw new ParameterException(spec.commandLine(),
                    "--shingle and --ngram must be >= 1, --permutations in [1, 4096], --bands in [0, --permutations]");
        }
        DedupConfig c = DedupConfig.DEFAULT.withDecontaminate(decontaminate).withNgram(ngram);
        return near == null ? c : c.withNear(new NearDedupConfig(near, shingle, permutations, bands, seed));
    }

    /** {@code dedup: 870 of 1,000 rows kept in OUT (100 duplicates, 25 near duplicates, 5 contaminated removed)}. */
    static String summary(String what, Dedup.Counts c, Path out) {
        return String.format(Locale.ROOT, "%s: %,d of %,d rows kept in %s (%,d duplicates, %,d near duplicates, %,d contaminated removed;"
                + " see %s)", what, c.kept(), c.read(), out, c.duplicates(), c.nearDuplicates(), c.contaminated(), out.resolve("removed.jsonl"));
    }
}
