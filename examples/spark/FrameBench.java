// Times the token export of one record folder three ways in one JVM (BENCHMARKS.md, "Spark export of a DataFrame"): files
// (SparkTokenExport.run), a spark.read().json DataFrame and a spark.read().text DataFrame (SparkTokenExport.tokens + write),
// ordered by the number in the in2 ids, packed into 8,192 tokens; prints wall and process CPU per run and a digest of the rows.
// Usage: java $SPARK_OPENS -cp ... examples/spark/FrameBench.java IN TOKENIZER OUTDIR ROUNDS
import dev.granular.export.Truncation;
import dev.granular.spark.RecordFrame;
import dev.granular.spark.SparkTokenExport;
import dev.granular.spark.TokenFrame;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.*;

public class FrameBench {
    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String digest(Path out) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        List<Row> rows = SparkSession.active().read().parquet(out.resolve("data").toString())
                .withColumn("f", input_file_name()).withColumn("k", monotonically_increasing_id())
                .orderBy("f", "k").drop("f", "k").collectAsList();
        for (Row r : rows) md.update(r.toString().getBytes());
        return HexFormat.of().formatHex(md.digest()).substring(0, 12) + " rows=" + rows.size();
    }

    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]);
        Path tok = Path.of(args[1]);
        Path outs = Path.of(args[2]);
        int rounds = Integer.parseInt(args[3]);
        try (SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate()) {
            SparkTokenExport.Spec spec = SparkTokenExport.Spec.of(List.of(in), null, tok).withMaxLength(8192)
                    .withTruncation(Truncation.LEFT_CONTEXT).withPack(8192).withOverwrite(true);
            for (int round = 0; round < rounds; round++) {
                for (String v : List.of("files", "json-structs", "text")) {
                    Path out = outs.resolve(v);
                    long c0 = cpu(), t0 = System.nanoTime();
                    SparkTokenExport.Result r;
                    if (v.equals("files")) {
                        r = SparkTokenExport.run(spark, spec.withOut(out));
                    } else {
                        Dataset<Row> df = v.equals("text")
                                ? spark.read().text(in.resolve("data").toString())
                                        .withColumn("n", element_at(split(get_json_object(col("value"), "$.id"), "-"), -1).cast("long"))
                                : spark.read().json(in.resolve("data").toString())
                                        .withColumn("n", element_at(split(col("id"), "-"), -1).cast("long"));
                        try (TokenFrame t = SparkTokenExport.tokens(spark, RecordFrame.of(df).withOrder("n"), spec.withIn(List.of()))) {
                            r = t.write(out);
                        }
                    }
                    double wall = (System.nanoTime() - t0) / 1e9, cpuS = (cpu() - c0) / 1e9;
                    System.out.printf("BENCH round=%d %-13s wall=%.1fs cpu=%.1fs tokens=%d rows=%d data=%s%n", round, v, wall, cpuS,
                            r.tokens(), r.rows(), digest(out));
                }
            }
        }
    }
}
