package dev.granular.bench;

import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.CorpusOptions;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.in2.In2Config;
import dev.granular.tokenize.Tokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The IN2 measurements behind BENCHMARKS.md, runnable as {@code granular bench ...}.
 * Each reports a ratio against a baseline run side by side in the same process. What they measure is
 * IN2's engine in {@code dev.granular.in2.internal}, which {@link In2Internals} calls directly.
 */
public final class In2Benchmarks {
    private In2Benchmarks() {
    }

    /** Assembly from token slices vs building each context's text and tokenizing it. */
    public record AssemblyResult(int contexts, long tokens, double sliceSeconds, double baselineSeconds, boolean identical) {
        public double sliceTokensPerSecond() {
            return tokens / sliceSeconds;
        }

        public double baselineTokensPerSecond() {
            return tokens / baselineSeconds;
        }

        public double speedup() {
            return baselineSeconds / sliceSeconds;
        }
    }

    /**
     * Builds {@code contexts} random contexts of {@code minTokens..maxTokens} tokens from the
     * bundled corpus twice: from stored slices (what {@code in2} does) and by tokenizing each
     * context's text (the baseline), checks both give the same ids, and times each over
     * {@code rounds} alternating rounds (best round kept, to damp machine noise).
     */
    public static AssemblyResult assembly(Tokenizer tokenizer, In2Config config, int contexts, int rounds, Path workDir) {
        In2Internals.Store store = In2Internals.segment(BundledCorpus::forEach, tokenizer, config, workDir);
        SplittableRandom rnd = new SplittableRandom(config.seed());
        List<List<Integer>> orders = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        for (int c = 0; c < contexts; c++) {
            int target = config.minTokens() + rnd.nextInt(config.maxTokens() - config.minTokens() + 1);
            List<Integer> order = new ArrayList<>();
            int total = 0;
            while (true) {
                int s = rnd.nextInt(store.segments());
                if (total + store.segmentTokens(s) > target) {
                    break;
                }
                order.add(s);
                total += store.segmentTokens(s);
            }
            orders.add(order);
            targets.add(target);
        }
        double bestSlice = Double.MAX_VALUE;
        double bestBase = Double.MAX_VALUE;
        long tokenCount = 0;
        boolean identical = true;
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            List<int[]> slices = new ArrayList<>(contexts);
            long n = 0;
            for (int c = 0; c < contexts; c++) {
                int[] ids = store.sliceIds(orders.get(c), targets.get(c));
                slices.add(ids);
                n += ids.length;
            }
            long t1 = System.nanoTime();
            List<int[]> baseline = new ArrayList<>(contexts);
            for (int c = 0; c < contexts; c++) {
                baseline.add(store.textIds(orders.get(c)));
            }
            long t2 = System.nanoTime();
            for (int c = 0; c < contexts; c++) {
                identical &= Arrays.equals(slices.get(c), baseline.get(c));
            }
            bestSlice = Math.min(bestSlice, (t1 - t0) / 1e9);
            bestBase = Math.min(bestBase, (t2 - t1) / 1e9);
            tokenCount = n;
        }
        return new AssemblyResult(contexts, tokenCount, bestSlice, bestBase, identical);
    }

    /** Peak heap while segmenting a corpus into the off-heap store. */
    public record MemoryResult(long corpusBytes, long documents, long segments, long tokens, long peakHeapBytes,
                               long maxHeapBytes, double seconds) {
    }

    public static MemoryResult corpusMemory(List<Path> corpus, Tokenizer tokenizer, In2Config config, Path workDir) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        CorpusReader reader = new CorpusReader(corpus, CorpusOptions.defaults());
        In2Internals.Store store = In2Internals.segment(reader::forEach, tokenizer, config, workDir);
        double secs = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
            }
        }
        return new MemoryResult(reader.stats().bytes(), reader.stats().documents(), store.segments(), store.totalTokens(), peak,
                Runtime.getRuntime().maxMemory(), secs);
    }

    /**
     * Writes a synthetic JSONL corpus of about {@code bytes} bytes: documents of 20–60
     * sentences drawn at random from the bundled corpus (so text is real prose but no two
     * documents repeat), for memory benchmarks beyond the bundled sample's size.
     */
    public static long makeCorpus(Path out, long bytes, long seed) {
        List<String> sentences = new ArrayList<>();
        BundledCorpus.forEach(d -> sentences.addAll(In2Internals.sentences(d.text())));
        SplittableRandom rnd = new SplittableRandom(seed);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        long written = 0;
        long docs = 0;
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            while (written < bytes) {
                int n = 20 + rnd.nextInt(41);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        sb.append(i % 7 == 0 ? "\n\n" : " ");
                    }
                    sb.append(sentences.get(rnd.nextInt(sentences.size())));
                }
                String line = mapper.writeValueAsString(java.util.Map.of("id", "doc-" + docs, "text", sb.toString()));
                w.write(line);
                w.write('\n');
                written += line.length() + 1;
                docs++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
        return docs;
    }
}
