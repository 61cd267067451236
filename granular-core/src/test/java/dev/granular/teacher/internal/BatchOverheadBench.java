package dev.granular.teacher.internal;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.BatchSettings;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.testserver.FakeLlmServer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The overhead of batch mode for BENCHMARKS.md: the same N requests (default 100,000) through {@link LlmClient} in
 * real time and in batch mode, against the in-process {@link FakeLlmServer} (so process CPU and heap include the
 * server's, in both), each with an output folder's paid replies. Reports wall time, process CPU, peak heap and the
 * journals' size on disk. Runs only when asked:
 * {@code ./mvnw -B -q -o -pl granular-core verify -Dtest=BatchOverheadBench -Dgranular.bench=true [-Dgranular.bench.n=100000]}
 * (the table goes to {@code target/batch-overhead.txt} and standard output).
 */
@EnabledIfSystemProperty(named = "granular.bench", matches = "true")
class BatchOverheadBench {
    @TempDir
    Path tmp;

    @Test
    void batchModeAgainstRealTime() throws Exception {
        int n = Integer.getInteger("granular.bench.n", 100_000);
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%-10s %9s %9s %10s %12s %12s %12s %12s%n", "mode", "requests", "wall s",
                "CPU s", "peak heap MB", "waiting MB", "replies MB", "batches MB"));
        try (FakeLlmServer server = FakeLlmServer.start()) {
            // warm-up of both paths (JIT), not reported
            run(server, tmp.resolve("warm-rt"), 5_000, false);
            run(server, tmp.resolve("warm-batch"), 5_000, true);
            for (boolean batch : new boolean[]{false, true}) {
                double[] r = run(server, tmp.resolve(batch ? "batch" : "realtime"), n, batch);
                table.append(String.format(Locale.ROOT, "%-10s %9d %9.1f %10.1f %12.0f %12.0f %12.2f %12.2f%n",
                        batch ? "batch" : "real-time", n, r[0], r[1], r[2], r[5], r[3], r[4]));
            }
        }
        System.out.print(table);
        Files.writeString(Path.of("target", "batch-overhead.txt"), table);
    }

    /**
     * {wall s, process CPU s, peak heap MB (garbage included), replies.jsonl MB, batches.jsonl MB, heap after a full GC
     * once all but the last request were handed to the client (with them waiting, in batch mode) MB}.
     */
    private static double[] run(FakeLlmServer server, Path dir, int n, boolean batch) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var memory = ManagementFactory.getMemoryMXBean();
        ModelSpec spec = ModelSpec.parse("openai:bench-" + dir.getFileName() + "@" + server.baseUrl(), null);
        ClientLimits limits = new ClientLimits(256, 0, 0, 0, Duration.ofSeconds(120), 0);
        if (batch) {
            limits = limits.withBatch(new BatchSettings(Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofMillis(200), 0, 0,
                    n, null, line -> { }));
        }
        System.gc();
        AtomicLong peak = new AtomicLong();
        AtomicLong live = new AtomicLong();
        AtomicLong waiting = new AtomicLong();
        var pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP && p.getCollectionUsage() != null).toList();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                // what the last collection left of each pool: the live heap, without garbage not yet collected
                live.accumulateAndGet(pools.stream().mapToLong(p -> p.getCollectionUsage().getUsed()).sum(), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        AtomicLong ok = new AtomicLong();
        try (PaidRepliesFile replies = PaidRepliesFile.open(dir.resolve(".granular/replies.jsonl"), "bench", FileWrites.DIRECT);
             LlmClient client = new LlmClient(spec, Optional.empty(), new HttpTransport(), limits, ResponseCache.NONE,
                     new CostMeter(PriceTable.builtIn()), Clock.SYSTEM, RetryPolicy.defaults(), CircuitBreaker.defaults(Clock.SYSTEM),
                     replies);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(limits.concurrency() * 2);
            for (int i = 0; i < n; i++) {
                int row = i;
                if (i == n - 1) {
                    // every other request is waiting (batch mode) or done (real time): what a run holds while it waits
                    Thread.sleep(500);
                    System.gc();
                    waiting.set(memory.getHeapMemoryUsage().getUsed());
                }
                window.acquire();
                pool.submit(() -> {
                    try {
                        ChatRequest req = ChatRequest.of("r" + row, List.of(ChatMessage.user("row " + row + " of the benchmark")),
                                new GenerationParams(null, null, 100, null, List.of(), Map.of()));
                        if (client.complete(req) instanceof Outcome.Ok) {
                            ok.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        window.release();
                    }
                });
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        sampler.interrupt();
        assertThat(ok.get()).isEqualTo(n);
        Path batches = dir.resolve(".granular/batches.jsonl");
        return new double[]{wall, cpu, peak.get() / 1e6, Files.size(dir.resolve(".granular/replies.jsonl")) / 1e6,
                Files.exists(batches) ? Files.size(batches) / 1e6 : 0, waiting.get() / 1e6};
    }
}
