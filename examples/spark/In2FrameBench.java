// Times spark in2 with its corpus as files and as a DataFrame in one JVM (BENCHMARKS.md, "Spark IN2 with a DataFrame
// corpus"): the bundled corpus written once as a JSONL file (read by the driver, SparkIn2.Spec.of(files)) and as Parquet
// (read by the executors, CorpusFrame), REPEAT copies of it (ids made unique), the two interleaved for ROUNDS rounds;
// prints per run the wall and process CPU, the CPU of the JVM's threads other than Spark's task threads ("driver": the
// thread that calls SparkIn2.run, which reads the files and appends the store, plus Spark's scheduler and block
// transfer threads; local mode runs the executors' tasks in this JVM, on threads named "Executor task launch worker" or, idle, "Executor task idle worker"),
// the CPU of the calling thread alone ("main"), the same up to the end of segmentation, and a digest of the data files
// (the same for both).
// Usage: java $SPARK_OPENS -cp ... examples/spark/In2FrameBench.java OUTDIR EXAMPLES ROUNDS [REPEAT [MASTER]]
import dev.granular.corpus.Corpus;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.spark.CorpusFrame;
import dev.granular.spark.SparkIn2;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

public class In2FrameBench {
    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU nanoseconds of the live threads that are not Spark task threads, by thread id. */
    static java.util.Map<Long, Long> driverThreads() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        java.util.Map<Long, Long> out = new java.util.HashMap<>();
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && !t.getThreadName().startsWith("Executor task ")) {
                long c = mx.getThreadCpuTime(t.getThreadId());
                if (c >= 0) {
                    out.put(t.getThreadId(), c);
                }
            }
        }
        return out;
    }

    /** Driver-side CPU seconds since {@code before} (threads that ended in between are not counted). */
    static double driverCpu(java.util.Map<Long, Long> before) {
        long sum = 0;
        for (var e : driverThreads().entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum / 1e9;
    }

    static String digest(Path out) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            for (Path f : s.sorted().toList()) {
                md.update(Files.readAllBytes(f));
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 12);
    }

    static void delete(Path p) throws Exception {
        if (Files.exists(p)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path outs = Path.of(args[0]).toAbsolutePath();
        int examples = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int repeat = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String master = args.length > 4 ? args[4] : "local[2]";
        Files.createDirectories(outs);
        try (SparkSession spark = SparkSession.builder().master(master).config("spark.ui.enabled", "false").getOrCreate()) {
            List<Row> rows = new ArrayList<>();
            StringBuilder jsonl = new StringBuilder();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            for (int k = 0; k < repeat; k++) {
                String suffix = k == 0 ? "" : "#" + k;
                Corpus.bundled().forEach(d -> {
                    rows.add(RowFactory.create((long) rows.size(), d.id() + suffix, d.text()));
                    jsonl.append(json.createObjectNode().put("id", d.id() + suffix).put("text", d.text())).append('\n');
                });
            }
            Path file = outs.resolve("corpus.jsonl");
            Files.writeString(file, jsonl);
            String parquet = outs.resolve("corpus-parquet").toString();
            spark.createDataFrame(rows, new StructType().add("n", DataTypes.LongType).add("doc_id", DataTypes.StringType)
                    .add("text", DataTypes.StringType)).repartition(4).write().mode("overwrite").parquet(parquet);
            In2Config config = In2Config.DEFAULT.withExamples(examples);
            for (int round = 0; round < rounds; round++) {
                for (String v : List.of("files", "frame")) {
                    Path out = outs.resolve(v);
                    delete(out);
                    SparkIn2.Spec spec = v.equals("files") ? SparkIn2.Spec.of(List.of(file), config, out)
                            : SparkIn2.Spec.of(CorpusFrame.of(spark.read().parquet(parquet)).withId("doc_id").withOrder("n"), config, out);
                    java.util.Map<Long, Long> d0 = driverThreads();
                    long c0 = cpu(), t0 = System.nanoTime();
                    long m0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
                    double[] segmented = new double[3];
                    In2Job.Result r = SparkIn2.run(spark, spec, new In2Job.Listener() {
                        @Override
                        public void stage(String name, long total) {
                            if (name.equals("generate")) {
                                segmented[0] = (System.nanoTime() - t0) / 1e9;
                                segmented[1] = driverCpu(d0);
                                segmented[2] = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - m0) / 1e9;
                            }
                        }
                    });
                    double wall = (System.nanoTime() - t0) / 1e9, cpuS = (cpu() - c0) / 1e9, driver = driverCpu(d0);
                    double main = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - m0) / 1e9;
                    System.out.printf("BENCH round=%d %-5s docs=%d wall=%.1fs cpu=%.1fs driver-cpu=%.1fs main-cpu=%.1fs | segmented-at"
                                    + " %.1fs driver-cpu=%.1fs main-cpu=%.2fs | examples=%d data=%s%n", round, v, rows.size(), wall, cpuS,
                            driver, main, segmented[0], segmented[1], segmented[2], r.written(), digest(out));
                    if (Boolean.getBoolean("bench.threads")) {
                        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
                            if (t != null && mx.getThreadCpuTime(t.getThreadId()) > 300_000_000L) {
                                System.out.printf("  thread %-60s %.1fs%n", t.getThreadName(), mx.getThreadCpuTime(t.getThreadId()) / 1e9);
                            }
                        }
                    }
                }
            }
        }
    }
}
