package dev.granular.spark;

import dev.granular.export.Labeler;
import dev.granular.files.OutputDirectory;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.apache.spark.sql.functions.col;

/**
 * The token export of a DataFrame of records ({@link SparkTokenExport#tokens}): the rows as a DataFrame, the records
 * left out, the counts, and {@link #write} to put them in an output folder as {@code granular spark export} does.
 * Holds the labelled records cached until {@link #close}.
 */
public final class TokenFrame implements AutoCloseable {
    private final SparkSession spark;
    private final SparkTokenExport.Spec spec;
    private final String order;
    private final boolean inOrder;
    private final Broadcast<ShippedTokenizer> shipped;
    private final LabelledRecords labelled;

    private TokenFrame(SparkSession spark, SparkTokenExport.Spec spec, String order, boolean inOrder, Broadcast<ShippedTokenizer> shipped,
                       LabelledRecords labelled) {
        this.spark = spark;
        this.spec = spec;
        this.order = order;
        this.inOrder = inOrder;
        this.shipped = shipped;
        this.labelled = labelled;
    }

    static TokenFrame label(SparkSession spark, RecordFrame records, SparkTokenExport.Spec spec) {
        ShippedTokenizer tokenizer = ShippedTokenizer.read(spec.tokenizer(), spec.chatTemplate(), spec.allowSpecialText());
        Broadcast<ShippedTokenizer> shipped = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(tokenizer);
        try {
            JavaRDD<Row> lines = records.lines(records.ordered());
            // Without an order column the order is the frame's own (monotonically_increasing_id grows with the partition),
            // so the unshuffled partitions are in order; an order column or a repartition needs a sort to write.
            boolean inOrder = records.order() == null && spec.partitions() == 0;
            if (spec.partitions() > 0) {
                lines = lines.repartition(spec.partitions());
            }
            LabelledRecords labelled = LabelledRecords.of(spark, lines, Places.frame(records), shipped, spec);
            return new TokenFrame(spark, spec, records.orderColumn(), inOrder, shipped, labelled);
        } catch (RuntimeException | Error e) {
            shipped.destroy();
            throw e;
        }
    }

    /** What the export did: the counts of {@code granular spark export} for the same records in the same order. */
    public SparkTokenExport.Result result() {
        return labelled.result();
    }

    /**
     * The rows, unsorted (sort by the first column for the export's order). Unpacked: the order column (long, named as
     * the {@link RecordFrame}'s order), {@code id}, then the format's columns ({@code input_ids, attention_mask, labels}
     * or {@code input_ids, completion_mask}), one row per example. Packed ({@code spec.pack() > 0}): {@code row} (the
     * row's index in the export's order), {@code ids} (its examples' ids, in the order they were packed), then the
     * format's packed columns (with {@code position_ids}). The list columns are {@code array<int>}.
     */
    public Dataset<Row> rows() {
        List<Column> columns = new ArrayList<>();
        if (spec.pack() > 0) {
            if (result().examples() == 0) {
                return spark.createDataFrame(List.of(), SparkTokenExport.packedSchema(spec.format()));
            }
            columns.add(col("row"));
            columns.add(col("ids"));
            spec.format().columns(true).forEach(c -> columns.add(col(c)));
            return labelled.packed(spark).select(columns.toArray(Column[]::new));
        }
        columns.add(col("line").as(order));
        columns.add(col("id"));
        spec.format().columns(false).forEach(c -> columns.add(col(c)));
        return labelled.examples(spark).select(columns.toArray(Column[]::new));
    }

    /**
     * The records left out (as the file export's rejected.jsonl): the order column, {@code id}, {@code reason}
     * (e.g. {@code too_long}, or the mask's reason such as {@code nothing_trained}).
     */
    public Dataset<Row> rejected() {
        return labelled.meta().filter(col("skip_reason").isNotNull()).select(col("line").as(order), col("id"), col("skip_reason").as("reason"));
    }

    /** Writes the rows into {@code out} with the spec's file format, shard size and overwrite. */
    public SparkTokenExport.Result write(Path out) {
        return write(out, spec.commandLine());
    }

    /**
     * Writes the rows into {@code out} as {@code granular spark export} writes its folder: {@code data/part-NNNNN.parquet}
     * (or {@code .jsonl}, {@code spec.fileFormat()}) in the export's order, at most {@code spec.shardSize()} rows a file,
     * {@code rejected.jsonl}, {@code report/}, {@code README.md} (the card, quoting {@code commandLine}) and
     * {@code manifest.json} last, under the output-folder rules ({@code spec.overwrite()}, nothing half-written). The
     * manifest's {@code input} is {@code "Spark DataFrame"}, with a fingerprint of the records' places and token ids.
     */
    public SparkTokenExport.Result write(Path out, List<String> commandLine) {
        Objects.requireNonNull(out, "out");
        Instant started = Instant.now();
        SparkTokenExport.Spec written = spec.withOut(out).withCommandLine(commandLine).withIn(List.of(Path.of(FRAME_INPUT)));
        try (Tokenizer tokenizer = Tokenizers.load(spec.tokenizer().toString())) {
            Labeler labeler = new Labeler(ChatTemplate.load(spec.tokenizer(), spec.chatTemplate()), tokenizer, spec.allowSpecialText());
            Map<String, Object> identity = SparkTokenExport.identity(written, labeler, FRAME_INPUT, "input_fingerprint",
                    String.format("%016x:%d", labelled.hash(), result().records()));
            OutputDirectory dir = SparkTokenExport.open(spec, out, identity);
            try {
                return SparkTokenExport.write(spark, labelled, inOrder, written, dir, labeler, identity, started);
            } catch (RuntimeException | Error e) {
                throw SparkTokenExport.reported(SparkTokenExport.abandon(dir, e));
            }
        }
    }

    /** How the card and the manifest name a DataFrame input. */
    static final String FRAME_INPUT = "Spark DataFrame";

    /** Frees the cached labelled records and the tokenizer's broadcast: {@link #rows} and {@link #rejected} are done with. */
    @Override
    public void close() {
        labelled.close();
        shipped.destroy();
    }
}
