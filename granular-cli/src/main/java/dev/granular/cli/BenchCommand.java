package dev.granular.cli;

import dev.granular.in2.In2Benchmarks;
import dev.granular.in2.In2Config;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granular bench}: the measurements of BENCHMARKS.md. */
@Command(name = "bench", hidden = true,
        header = "Run the benchmarks of BENCHMARKS.md.",
        description = {"Examples:", "  granular bench in2-assembly", "  granular bench make-corpus --bytes 1000000000 big.jsonl",
                "  granular bench in2-memory big.jsonl"},
        mixinStandardHelpOptions = true,
        subcommands = {BenchCommand.Assembly.class, BenchCommand.MakeCorpus.class, BenchCommand.Memory.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "in2-assembly", header = "Context assembly from token slices vs tokenizing each context.", mixinStandardHelpOptions = true)
    static final class Assembly implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--tokenizer", defaultValue = "o200k_base")
        String tokenizer;
        @Option(names = "--contexts", defaultValue = "200")
        int contexts;
        @Option(names = "--rounds", defaultValue = "3")
        int rounds;

        @Override
        public Integer call() throws IOException {
            Path work = Files.createTempDirectory("granular-bench");
            try (Tokenizer t = Tokenizers.load(tokenizer)) {
                var r = In2Benchmarks.assembly(t, In2Config.DEFAULT, contexts, rounds, work);
                PrintWriter out = spec.commandLine().getOut();
                out.printf(Locale.ROOT, "tokenizer %s, %d contexts, %,d tokens (best of %d rounds)%n", tokenizer, r.contexts(), r.tokens(), rounds);
                out.printf(Locale.ROOT, "  slices:   %8.3f s  %,14.0f tokens/s%n", r.sliceSeconds(), r.sliceTokensPerSecond());
                out.printf(Locale.ROOT, "  baseline: %8.3f s  %,14.0f tokens/s  (build text, tokenize)%n", r.baselineSeconds(), r.baselineTokensPerSecond());
                out.printf(Locale.ROOT, "  speedup:  %.1fx   identical ids: %s%n", r.speedup(), r.identical());
                return r.identical() ? Granular.OK : Granular.FAILED;
            }
        }
    }

    @Command(name = "make-corpus", header = "Write a synthetic JSONL corpus of real sentences.", mixinStandardHelpOptions = true)
    static final class MakeCorpus implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--bytes", defaultValue = "1000000000")
        long bytes;
        @Option(names = "--seed", defaultValue = "1")
        long seed;
        @Parameters(paramLabel = "FILE")
        Path out;

        @Override
        public Integer call() {
            long docs = In2Benchmarks.makeCorpus(out, bytes, seed);
            spec.commandLine().getOut().printf("wrote %d documents to %s%n", docs, out);
            return Granular.OK;
        }
    }

    @Command(name = "in2-memory", header = "Peak heap while segmenting a corpus.", mixinStandardHelpOptions = true)
    static final class Memory implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--tokenizer", defaultValue = "o200k_base")
        String tokenizer;
        @Parameters(paramLabel = "CORPUS", arity = "1..*")
        List<Path> corpus;

        @Override
        public Integer call() throws IOException {
            Path work = Files.createTempDirectory("granular-bench");
            try (Tokenizer t = Tokenizers.load(tokenizer)) {
                var r = In2Benchmarks.corpusMemory(corpus, t, In2Config.DEFAULT, work);
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "corpus %,d bytes, %,d documents, %,d segments, %,d tokens in %.1f s; peak heap %,d MB of max %,d MB%n",
                        r.corpusBytes(), r.documents(), r.segments(), r.tokens(), r.seconds(), r.peakHeapBytes() >> 20,
                        r.maxHeapBytes() >> 20);
                return Granular.OK;
            } finally {
                try (var s = Files.walk(work)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
