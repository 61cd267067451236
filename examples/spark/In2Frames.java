// A corpus from a DataFrame for spark in2 (docs/spark.md, "Corpus from a DataFrame"): the documents are read and
// prepared on the executors from the frame's partitions; the data files are those of `granular in2` on the same
// documents in the same order. Run from the repository root, after a first `./granular spark ...` (which builds the jars):
//   java $SPARK_OPENS -cp "granular-spark/target/granular-spark.jar:$(cat granular-spark/target/spark-classpath.txt)" \
//       examples/spark/In2Frames.java out/in2-frame 500
import dev.granular.corpus.Corpus;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.spark.CorpusFrame;
import dev.granular.spark.SparkIn2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.get_json_object;

public class In2Frames {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int examples = Integer.parseInt(args[1]);
        try (SparkSession spark = SparkSession.builder().master("local[*]").config("spark.ui.enabled", "false").getOrCreate()) {
            // A Parquet corpus to read (a stand-in for "s3a://bucket/docs"): the bundled speeches, numbered by n.
            List<Row> rows = new ArrayList<>();
            Corpus.bundled().forEach(d -> rows.add(RowFactory.create((long) rows.size(), d.id(), d.text())));
            StructType schema = new StructType().add("n", DataTypes.LongType).add("doc_id", DataTypes.StringType)
                    .add("body", DataTypes.StringType);
            String parquet = out.toAbsolutePath() + "-corpus";
            spark.createDataFrame(rows, schema).repartition(4).write().mode("overwrite").parquet(parquet);

            // Text in "body", ids from "doc_id", the order of "n" (unique, never null): whatever the partitioning,
            // the same rows in the same order give the same examples.
            CorpusFrame corpus = CorpusFrame.of(spark.read().parquet(parquet)).withText("body").withId("doc_id").withOrder("n");
            SparkIn2.Spec spec = SparkIn2.Spec.of(corpus, In2Config.DEFAULT.withExamples(examples), out);
            In2Job.Result r = SparkIn2.run(spark, spec);
            System.out.println("spark in2: " + r.examples() + " examples " + r.byKind() + " in " + out);

            // The examples as a DataFrame (the run is found finished): index, id, record.
            Dataset<Row> ex = SparkIn2.examples(spark, spec);
            ex.withColumn("kind", get_json_object(col("record"), "$.meta.kind")).groupBy("kind").count().orderBy("kind").show();
        }
    }
}
