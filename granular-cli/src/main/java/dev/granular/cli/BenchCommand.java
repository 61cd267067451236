package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import dev.granular.bench.In2Benchmarks;
import dev.granular.files.OutputDirectory;
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
                "  granular bench in2-memory big.jsonl", "  granular bench llm-throughput"},
        mixinStandardHelpOptions = true,
        subcommands = {BenchCommand.Assembly.class, BenchCommand.MakeCorpus.class, BenchCommand.Memory.class, BenchCommand.LlmThroughput.class,
                BenchCommand.TokensExport.class})
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
        @Option(names = "--tokenizer", defaultValue = "o200k_base", paramLabel = "NAME|FILE",
                description = "Tokenizer: a built-in name or a tokenizer.json. Default: ${DEFAULT-VALUE}.")
        String tokenizer;
        @Option(names = "--contexts", defaultValue = "200", paramLabel = "N", description = "IN2 contexts assembled per round. Default: ${DEFAULT-VALUE}.")
        int contexts;
        @Option(names = "--rounds", defaultValue = "3", paramLabel = "N", description = "Rounds; the best is reported. Default: ${DEFAULT-VALUE}.")
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
            } finally {
                OutputDirectory.deleteTree(work); // scratch records, exports, off-heap stores: can be gigabytes
            }
        }
    }

    @Command(name = "make-corpus", header = "Write a synthetic JSONL corpus of real sentences.", mixinStandardHelpOptions = true)
    static final class MakeCorpus implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--bytes", defaultValue = "1000000000", paramLabel = "N", description = "Corpus size in bytes. Default: ${DEFAULT-VALUE}.")
        long bytes;
        @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seeds the sentence draw. Default: ${DEFAULT-VALUE}.")
        long seed;
        @Parameters(paramLabel = "FILE", description = "The JSONL corpus to write.")
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
        @Option(names = "--tokenizer", defaultValue = "o200k_base", paramLabel = "NAME|FILE",
                description = "Tokenizer: a built-in name or a tokenizer.json. Default: ${DEFAULT-VALUE}.")
        String tokenizer;
        @Parameters(paramLabel = "CORPUS", arity = "1..*", description = "Corpus files or folders to segment.")
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
                OutputDirectory.deleteTree(work);
            }
        }
    }

    @Command(name = "llm-throughput", header = "LLM layer throughput against a fixed-latency local server, vs the ideal.",
            mixinStandardHelpOptions = true)
    static final class LlmThroughput implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--latency-ms", defaultValue = "200", paramLabel = "MS", description = "The local server's fixed reply latency. Default: ${DEFAULT-VALUE}.")
        int latencyMs;
        @Option(names = "--concurrency", defaultValue = "64,256,1024", split = ",", paramLabel = "N[,N...]",
                description = "Concurrency levels to measure. Default: ${DEFAULT-VALUE}.")
        List<Integer> concurrency;
        @Option(names = "--seconds", defaultValue = "8", description = "Approximate run time per concurrency level.")
        int seconds;
        @Option(names = "--raw", description = "Only the baseline: the bare HTTP transport, without the layer.")
        boolean raw;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
            try (BenchServer server = new BenchServer(java.time.Duration.ofMillis(latencyMs))) {
                var model = dev.granular.teacher.ModelSpec.parse("openai:bench@" + server.baseUrl(), null);
                // JIT warm-up: both paths at the middle concurrency, not measured.
                int warmC = concurrency.get(concurrency.size() / 2);
                int warmN = (int) ((long) warmC * 4000 / latencyMs);
                run(model, warmC, warmN, server, os, memory, true);
                run(model, warmC, warmN, server, os, memory, false);
                out.printf(Locale.ROOT, "latency %d ms; ideal = concurrency / latency; baseline = the bare HTTP transport%n", latencyMs);
                out.printf(Locale.ROOT, "%12s %10s %12s %12s %10s %10s %12s %12s %14s%n", "concurrency", "requests", "req/s",
                        "ideal req/s", "fraction", "baseline", "CPU ms/req", "base CPU", "live heap MB");
                for (int c : concurrency) {
                    int requests = (int) Math.max(c * 3L, (long) c * seconds * 1000 / latencyMs);
                    double[] base = run(model, c, requests, server, os, memory, true);
                    double[] r = raw ? base : run(model, c, requests, server, os, memory, false);
                    double ideal = c * 1000.0 / latencyMs;
                    out.printf(Locale.ROOT, "%12d %10d %12.0f %12.0f %10.3f %10.3f %12.3f %12.3f %14.0f%n", c, requests, r[0], ideal,
                            r[0] / ideal, base[0] / ideal, r[1], base[1], r[2]);
                }
            }
            return Granular.OK;
        }

        /** Returns {req/s, process CPU ms per request (client and server), live heap MB at mid-run}. */
        private static double[] run(dev.granular.teacher.ModelSpec model, int c, int requests, BenchServer server,
                                    com.sun.management.OperatingSystemMXBean os, java.lang.management.MemoryMXBean memory,
                                    boolean raw) throws Exception {
            var transport = new dev.granular.teacher.internal.HttpTransport();
            var wire = new dev.granular.teacher.internal.OpenAiWire();
            var limits = new dev.granular.teacher.ClientLimits(c, 0, 0, 0, java.time.Duration.ofSeconds(60), 0);
            var meter = new dev.granular.teacher.internal.CostMeter(dev.granular.teacher.internal.PriceTable.builtIn());
            var clock = dev.granular.teacher.internal.Clock.SYSTEM;
            try (var client = new dev.granular.teacher.internal.LlmClient(model, java.util.Optional.empty(),
                    new dev.granular.teacher.internal.HttpTransport(), limits, dev.granular.teacher.internal.ResponseCache.NONE, meter, clock,
                    dev.granular.teacher.internal.RetryPolicy.defaults(), dev.granular.teacher.internal.CircuitBreaker.defaults(clock));
                 var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var params = dev.granular.teacher.GenerationParams.DEFAULT;
                var failures = new java.util.concurrent.atomic.AtomicLong();
                var peakHeap = new java.util.concurrent.atomic.AtomicLong();
                var sampler = Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                var sem = new java.util.concurrent.Semaphore(c);
                long liveHeap = 0;
                // Steady state: the first 2 x c requests (connection set-up, JIT) are not measured.
                long cpu0 = 0;
                long t0 = 0;
                int warm = 2 * c;
                for (int i = 0; i < warm + requests; i++) {
                    if (i == warm + requests / 2) {
                        // Heap in use with c requests in flight: collect, then read what is live.
                        memory.gc();
                        liveHeap = memory.getHeapMemoryUsage().getUsed();
                    }
                    if (i == warm) {
                        sem.acquire(c);
                        sem.release(c);
                        cpu0 = os.getProcessCpuTime();
                        t0 = System.nanoTime();
                    }
                    sem.acquire();
                    int n = i;
                    pool.submit(() -> {
                        try {
                            var req = dev.granular.teacher.internal.ChatRequest.of("r" + n,
                                    List.of(dev.granular.teacher.internal.ChatMessage.user("request " + n)), params);
                            if (raw) {
                                var reply = transport.post(wire.endpoint(model), wire.headers(model, java.util.Optional.empty()),
                                        wire.body(model, req), java.time.Duration.ofSeconds(60));
                                wire.parse(reply.body());
                            } else if (client.complete(req) instanceof dev.granular.teacher.internal.Outcome.Failed f) {
                                if (failures.incrementAndGet() == 1) {
                                    System.err.println("first failure: " + f);
                                }
                            }
                        } catch (java.io.IOException | dev.granular.teacher.internal.MalformedReplyException e) {
                            failures.incrementAndGet();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            sem.release();
                        }
                    });
                }
                sem.acquire(c);
                long t1 = System.nanoTime();
                long cpu1 = os.getProcessCpuTime();
                sampler.interrupt();
                transport.close();
                if (failures.get() > 0) {
                    throw new IllegalStateException(failures.get() + " requests failed");
                }
                double secs = (t1 - t0) / 1e9;
                return new double[] {requests / secs, (cpu1 - cpu0) / 1e6 / requests, liveHeap / 1e6};
            }
        }
    }

    @Command(name = "tokens-export", header = "Token export throughput as a fraction of the raw tokenizer's encode throughput.",
            mixinStandardHelpOptions = true)
    static final class TokensExport implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "Hugging Face tokenizer directory with a chat template.")
        Path tokenizer;
        @Option(names = "--chat-template", paramLabel = "FILE",
                description = "A chat template replacing the directory's: a .jinja file, or .json with a \"chat_template\" entry.")
        Path chatTemplate;
        @Option(names = "--records", defaultValue = "2000", description = "Synthetic IN2-like records of ~1,000 tokens.")
        int records;
        @Option(names = "--in", paramLabel = "DIR|FILE", description = "Canonical records to export instead of synthetic ones "
                + "(e.g. the output of granular in2 --out out/demo); --records is then ignored.")
        Path in;
        @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Rounds; the best is reported. Default: ${DEFAULT-VALUE}.")
        int rounds;
        @Option(names = "--threads", defaultValue = "0", description = "0: all cores.")
        int threads;

        @Override
        public Integer call() throws IOException {
            Path work = Files.createTempDirectory("granular-bench");
            int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            dev.granular.bench.TokenExportBenchmark.Figures f;
            try {
                f = in != null
                        ? dev.granular.bench.TokenExportBenchmark.run(tokenizer, chatTemplate, in, rounds, n, work)
                        : dev.granular.bench.TokenExportBenchmark.run(tokenizer, chatTemplate, records, rounds, n, work);
            } finally {
                OutputDirectory.deleteTree(work);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "tokenizer %s, %d records, %,d tokens, %d threads (best of %d rounds)%n", tokenizer.getFileName(),
                    f.records(), f.tokens(), f.threads(), rounds);
            out.printf(Locale.ROOT, "  raw encode:   %8.3f s  %,14.0f tokens/s%n", f.rawSeconds(), f.rawTokensPerSecond());
            out.printf(Locale.ROOT, "  tokens export:%8.3f s  %,14.0f tokens/s  (read, render, tokenize, label, write Parquet)%n",
                    f.exportSeconds(), f.exportTokensPerSecond());
            out.printf(Locale.ROOT, "  fraction:     %.2f of the bests, median of the per-round ratios %.2f  (target >= 0.8)%n",
                    f.fraction(), f.medianFraction());
            return Granular.OK;
        }
    }

}
