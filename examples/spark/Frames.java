// DataFrames in and out of granular-spark: token export and dedup of a DataFrame of records (docs/spark.md, "DataFrames").
// Run from the repository root, after `./granular in2 --out out/demo` and a first `./granular spark ...` (which builds the jars):
//   java $SPARK_OPENS -cp "granular-spark/target/granular-spark.jar:$(cat granular-spark/target/spark-classpath.txt)" \
//       examples/spark/Frames.java out/demo models/qwen3 [OUT]
// OUT: the packed token export's folder, out/demo-frames-packed by default (SparkExamplesTest runs this program).
import dev.granular.dedup.DedupConfig;
import dev.granular.export.Truncation;
import dev.granular.spark.DedupFrame;
import dev.granular.spark.RecordFrame;
import dev.granular.spark.SparkDedup;
import dev.granular.spark.SparkTokenExport;
import dev.granular.spark.TokenFrame;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.split;

public class Frames {
    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]);
        Path tokenizer = Path.of(args[1]);
        Path packed = Path.of(args.length > 2 ? args[2] : "out/demo-frames-packed");
        try (SparkSession spark = SparkSession.builder().master("local[*]").config("spark.ui.enabled", "false")
                // Spark SQL's default of 200 shuffle partitions made the dedup's joins of a few hundred rows take
                // ~90 s on 2 cores; a handful is right on one machine (on a cluster, size it to the data).
                .config("spark.sql.shuffle.partitions", "8").getOrCreate()) {
            // Struct columns, as spark.read().json infers them. The records' ids ("in2-00000042") give the order here;
            // any unique int or long column does (the input order of granular's file commands).
            Dataset<Row> records = spark.read().json(in.resolve("data").toString())
                    .withColumn("n", element_at(split(col("id"), "-"), -1).cast("long"));
            RecordFrame frame = RecordFrame.of(records).withOrder("n");

            try (DedupFrame dedup = SparkDedup.dedup(spark, frame, DedupConfig.DEFAULT.withNearThreshold(0.8))) {
                System.out.println("dedup: " + dedup.counts());
                dedup.removed().orderBy("n").show(5, false);                 // n, id, reason, of, jaccard

                // The kept rows, all their columns, into the token export: packed rows of 8,192 tokens.
                try (TokenFrame tokens = SparkTokenExport.tokens(spark, RecordFrame.of(dedup.kept()).withOrder("n"),
                        SparkTokenExport.Spec.of(tokenizer).withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT).withPack(8192))) {
                    System.out.println("tokens: " + tokens.result());
                    tokens.rows().orderBy("row").select(col("row"), col("ids"), col("input_ids")).show(3, 60);
                    tokens.write(packed);                                    // the folder of `granular spark export --pack 8192`
                }
            }
        }
    }
}
