package dev.granular.spark;

import dev.granular.dedup.DedupConfig;
import dev.granular.export.TokenExportJob;
import dev.granular.export.Truncation;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.nio.file.Path;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.split;

/**
 * The ```java blocks of docs/spark.md: each region between {@code tag::NAME[]} and {@code end::NAME[]} is a code block
 * of the doc, verbatim ({@link SparkDocTest} checks it), so the snippets compile against the current API. They are not
 * run: they name the doc's folders (out/demo, models/qwen3, s3a://...) and sizes; the programs of examples/spark, which
 * make the same calls, are compiled and run by {@link SparkExamplesTest}.
 */
@SuppressWarnings("unused")
final class SparkDocExamples {
    private SparkDocExamples() {
    }

    /** The token export of a record folder, unpacked and packed (docs/spark.md, "From Java"). */
    static void export() throws Exception {   // SparkSession.close() throws IOException
        // tag::export[]
        try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
            SparkTokenExport.Result r = SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(Path.of("out/demo")),
                    Path.of("out/demo-tokens"), Path.of("models/qwen3")).withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT));
            // packed into rows of 8,192 tokens, as JSONL: the same rows as TokenExportJob with pack 8192
            SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(Path.of("out/demo")), Path.of("out/demo-packed"),
                    Path.of("models/qwen3")).withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT).withPack(8192)
                    .withFileFormat(TokenExportJob.FileFormat.JSONL));
        }
        // end::export[]
    }

    /** Dedup and token export of a DataFrame of records (docs/spark.md, "DataFrames in and out"). */
    static void frames() throws Exception {
        // tag::frames[]
        try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
            Dataset<Row> df = spark.read().json("out/demo/data")                       // struct columns
                    .withColumn("n", element_at(split(col("id"), "-"), -1).cast("long"));  // in2-00000042 → 42: the order
            RecordFrame records = RecordFrame.of(df).withOrder("n");

            try (DedupFrame dedup = SparkDedup.dedup(spark, records, DedupConfig.DEFAULT.withNearThreshold(0.8))) {
                dedup.removed().show();               // n, id, reason, of, jaccard: removed.jsonl's decisions
                try (TokenFrame tokens = SparkTokenExport.tokens(spark, RecordFrame.of(dedup.kept()).withOrder("n"),
                        SparkTokenExport.Spec.of(Path.of("models/qwen3")).withMaxLength(8192)
                                .withTruncation(Truncation.LEFT_CONTEXT).withPack(8192))) {
                    tokens.rows().show();             // row, ids, input_ids, attention_mask, labels, position_ids
                    tokens.write(Path.of("out/demo-frames-packed"));   // data/, README.md, report/, rejected.jsonl, manifest.json
                }
            }
        }
        // end::frames[]
    }

    /** spark in2 from Java and its examples as a DataFrame (docs/spark.md, "granular spark in2"). */
    static void in2() throws Exception {
        // tag::in2[]
        try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
            In2Job.Result r = SparkIn2.run(spark, SparkIn2.Spec.of(List.of(Path.of("corpus/")),
                    In2Config.DEFAULT.withExamples(5_000), Path.of("out/in2")).withTokenizer("models/qwen3", "tokenizer"));

            // The examples as a DataFrame for a pipeline of your own: index (long), id, record (the JSON line of data/).
            // Runs the job first (or resumes it, or finds it finished), so the rows are the data files' lines.
            Dataset<Row> examples = SparkIn2.examples(spark, SparkIn2.Spec.of(List.of(Path.of("corpus/")),
                    In2Config.DEFAULT.withExamples(5_000), Path.of("out/in2")));
            Dataset<Row> multi = examples
                    .withColumn("kind", functions.get_json_object(functions.col("record"), "$.meta.kind"))
                    .filter("kind = 'multi'");
            multi.orderBy("index").select("record").write().text("out/in2-multi");   // JSONL again, in index order

            // Any finished IN2 output folder (granular in2 or spark in2):
            long n = SparkIn2.examples(spark, Path.of("out/in2")).count();
        }
        // end::in2[]
    }

    /** spark in2 with its corpus in a DataFrame (docs/spark.md, "Corpus from a DataFrame"). */
    static void corpusFrame(SparkSession spark) {
        // tag::corpus[]
        CorpusFrame corpus = CorpusFrame.of(spark.read().parquet("s3a://bucket/docs"))
                .withText("body").withId("doc_id").withOrder("n");
        SparkIn2.Spec spec = SparkIn2.Spec.of(corpus, In2Config.DEFAULT.withExamples(5_000), Path.of("out/in2"))
                .withTokenizer("models/qwen3", "tokenizer");          // withExclude, withGeneral, withPartitions... as for files
        In2Job.Result r = SparkIn2.run(spark, spec);
        Dataset<Row> examples = SparkIn2.examples(spark, spec);     // finds the run finished: index, id, record
        // end::corpus[]
    }
}
