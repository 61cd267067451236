// Runs `spark in2` (SparkIn2.run) on the bundled corpus in this JVM and prints where the CPU went: the driver's
// main thread (what it does in index order: take draws or keys, redraw repeats, write or publish, build the
// report), Spark's task-result threads (deserializing what tasks send back), the executor task threads (drawing,
// writing shards), and the rest of the process. In local mode driver and executors share the JVM, so /usr/bin/time
// alone cannot tell them apart (JIT and GC threads count in the process only). Usage (jars built; see BENCHMARKS.md, "Spark IN2"):
//   java <the launcher's JVM options> -cp granular-spark/target/granular-spark.jar:$(cat granular-spark/target/spark-classpath.txt) \
//       scripts/spark-in2-driver-cpu.java EXAMPLES MASTER OUT
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.spark.SparkIn2;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

public class SparkIn2DriverCpu {
    public static void main(String[] args) {
        int examples = Integer.parseInt(args[0]);
        SparkSession spark = SparkSession.builder().master(args[1]).appName("in2-driver-cpu")
                .config("spark.ui.enabled", "false").getOrCreate();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Map<Long, Long> before = cpuByThread(threads);
        long process0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        In2Job.Result r = SparkIn2.run(spark, SparkIn2.Spec.of(List.of(), In2Config.DEFAULT.withExamples(examples), Path.of(args[2])));
        long wall = System.nanoTime() - wall0;
        long process = os.getProcessCpuTime() - process0;
        Map<String, Long> byGroup = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            cpu -= before.getOrDefault(info.getThreadId(), 0L);
            String name = info.getThreadName();
            String group = name.equals("main") ? "driver main thread"
                    : name.startsWith("task-result-getter") ? "driver task-result threads"
                    : name.startsWith("Executor task ") ? "executor task threads" : "other";
            byGroup.merge(group, cpu, Long::sum);
            if (System.getenv("THREADS") != null && cpu > 50_000_000L) {
                System.out.printf("    %s %.2f s%n", name, cpu / 1e9);
            }
        }
        long executors = byGroup.getOrDefault("executor task threads", 0L);
        System.out.printf("examples %d written %d%n", r.examples(), r.written());
        System.out.printf("wall %.1f s, process CPU %.1f s, driver (process - executor tasks) %.1f s%n", wall / 1e9, process / 1e9,
                (process - executors) / 1e9);
        byGroup.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf("  %-28s %.1f s%n", e.getKey(), e.getValue() / 1e9));
        spark.stop();
    }

    private static Map<Long, Long> cpuByThread(ThreadMXBean threads) {
        Map<Long, Long> m = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            m.put(id, threads.getThreadCpuTime(id));
        }
        return m;
    }
}
