package dev.granular.spark;

import dev.granular.export.TokenExport;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * Records labelled on the executors and checked by the driver, the step the file export ({@link SparkTokenExport#run})
 * and the DataFrame export ({@link SparkTokenExport#tokens}) share: the labelled rows are cached (labelling, the costly
 * step, runs once), the first bad record and the first repeated id in (file, line) order are thrown, and the driver
 * holds the counts, the records left out, the examples' lengths in order and, packed, the plan ({@link PackPlan}).
 */
final class LabelledRecords implements AutoCloseable {
    private final JavaRDD<Row> labelled;
    private final Dataset<Row> meta;
    private final Broadcast<ShippedTokenizer> shipped;
    private final SparkTokenExport.Spec spec;
    private final SparkTokenExport.Result result;
    private final List<Row> skipped;
    private final Map<String, Long> rejectedByReason;
    private final int[] lengths;
    private final long hash;
    private final Broadcast<PackPlan> plan;

    private LabelledRecords(JavaRDD<Row> labelled, Dataset<Row> meta, Broadcast<ShippedTokenizer> shipped, SparkTokenExport.Spec spec,
                            SparkTokenExport.Result result, List<Row> skipped, Map<String, Long> rejectedByReason, int[] lengths,
                            long hash, Broadcast<PackPlan> plan) {
        this.labelled = labelled;
        this.meta = meta;
        this.shipped = shipped;
        this.spec = spec;
        this.result = result;
        this.skipped = skipped;
        this.rejectedByReason = rejectedByReason;
        this.lengths = lengths;
        this.hash = hash;
        this.plan = plan;
    }

    /**
     * Labels {@code lines} ({@link SparkTokenExport#lines}' rows, or {@link RecordFrame#lines}') and checks them.
     *
     * @throws BadInputException the first bad record, repeated id (or, for a DataFrame, repeated order value) in order
     */
    static LabelledRecords of(SparkSession spark, JavaRDD<Row> lines, Places places, Broadcast<ShippedTokenizer> shipped,
                              SparkTokenExport.Spec spec) {
        int keys = SparkTokenExport.KEY.size();
        JavaRDD<Row> labelled = SparkTokenExport.labelRows(lines, places.frame() ? List.of() : places.files(), shipped, spec.format(),
                spec.maxLength(), spec.truncation(), spec.pack()).persist(StorageLevel.MEMORY_AND_DISK());
        // The checks and counts below read only these small per-record columns.
        Dataset<Row> meta = spark.createDataFrame(labelled.map(r -> {
            Object[] v = new Object[keys + 2];
            for (int i = 0; i < keys; i++) {
                v[i] = r.get(i);
            }
            v[keys] = r.isNullAt(keys) ? 0 : ((int[]) r.get(keys)).length;
            v[keys + 1] = hash(r, keys);
            return RowFactory.create(v);
        }), SparkTokenExport.metaSchema()).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            List<Row> bad = meta.filter(col("error").isNotNull()).orderBy("file", "line").select("error").limit(1).collectAsList();
            if (!bad.isEmpty()) {
                String error = bad.getFirst().getString(0);
                throw error.startsWith(SparkTokenExport.CONFIG_ERROR)
                        ? new InvalidConfigException(error.substring(SparkTokenExport.CONFIG_ERROR.length())) : new BadInputException(error);
            }
            if (places.frame()) {
                refuseRepeatedOrder(meta, places);
            }
            refuseDuplicateIds(meta, places);
            Row totals = meta.agg(
                    count(lit(1)),
                    sum(when(col("skip_reason").isNull(), 1).otherwise(0)),
                    sum(col("tokens")),
                    sum(col("trained")),
                    sum(when(col("truncated"), 1).otherwise(0)),
                    sum(when(col("dropped"), 1).otherwise(0)),
                    expr("bit_xor(hash)")).first();
            long records = totals.getLong(0);
            long examples = records == 0 ? 0 : totals.getLong(1);
            List<Row> skipped = meta.filter(col("skip_reason").isNotNull()).select("file", "line", "id", "skip_reason")
                    .orderBy("file", "line").collectAsList();
            Map<String, Long> byReason = new TreeMap<>();
            skipped.forEach(s -> byReason.merge(s.getString(3), 1L, Long::sum));
            ExampleLengths lengths = ExampleLengths.collect(meta, (int) examples);
            long rows = examples;
            Broadcast<PackPlan> plan = null;
            if (examples > 0 && spec.pack() > 0) {
                PackPlan p = PackPlan.of(places.frame() ? 1 : places.files().size(), lengths.file(), lengths.line(), lengths.tokens(),
                        spec.pack(), TokenExport.PACK_WINDOW);
                rows = p.rows();
                plan = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(p);
            }
            long dropped = records == 0 ? 0 : totals.getLong(5);
            SparkTokenExport.Result result = new SparkTokenExport.Result(records, examples, rows, records == 0 ? 0 : totals.getLong(2),
                    records == 0 ? 0 : totals.getLong(3), records == 0 ? 0 : totals.getLong(4), dropped, records - examples - dropped);
            return new LabelledRecords(labelled, meta, shipped, spec, result, skipped, byReason, lengths.tokens(),
                    records == 0 ? 0 : totals.getLong(6), plan);
        } catch (RuntimeException | Error e) {
            meta.unpersist();
            labelled.unpersist();
            throw e;
        }
    }

    /** A 64-bit hash of a labelled row's place, id, outcome and token columns. */
    private static long hash(Row r, int keys) {
        long h = r.getInt(0) * 0x9E3779B97F4A7C15L + r.getLong(1);
        h = h * 31 + r.getString(2).hashCode();
        h = h * 31 + (r.isNullAt(3) ? 0 : r.getString(3).hashCode());
        for (int c = keys; c < r.size(); c++) {
            if (!r.isNullAt(c)) {
                for (int v : (int[]) r.get(c)) {
                    h = (h ^ v) * 0x100000001b3L;
                }
            }
        }
        return h ^ (h >>> 29);
    }

    SparkTokenExport.Result result() {
        return result;
    }

    /** The records left out, as (file, line, id, skip_reason), in order. */
    List<Row> skipped() {
        return skipped;
    }

    Map<String, Long> rejectedByReason() {
        return rejectedByReason;
    }

    /** The examples' lengths in tokens, in order. */
    int[] lengths() {
        return lengths;
    }

    /** XOR of the records' hashes (place, id, outcome, tokens): the same records in the same order give the same value. */
    long hash() {
        return hash;
    }

    /** Per record: file, line, id, skip_reason, dropped, truncated, trained, error, tokens, hash. */
    Dataset<Row> meta() {
        return meta;
    }

    /** Unpacked: one row per example, {@code file, line, id} and the format's columns, unsorted. */
    Dataset<Row> examples(SparkSession spark) {
        if (spec.pack() > 0) {
            throw new IllegalStateException("labelled to be packed");
        }
        int keys = SparkTokenExport.KEY.size();
        int width = spec.format().columns(false).size();
        JavaRDD<Row> rows = labelled.filter(r -> r.isNullAt(3)).map(r -> {
            Object[] v = new Object[3 + width];
            v[0] = r.get(0);
            v[1] = r.get(1);
            v[2] = r.get(2);
            for (int i = 0; i < width; i++) {
                v[3 + i] = r.get(keys + i);
            }
            return RowFactory.create(v);
        });
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("file", DataTypes.IntegerType, false),
                DataTypes.createStructField("line", DataTypes.LongType, false),
                DataTypes.createStructField("id", DataTypes.StringType, false)));
        fields.addAll(List.of(SparkTokenExport.schema(spec.format()).fields()));
        return spark.createDataFrame(rows, DataTypes.createStructType(fields));
    }

    /**
     * Packed: the rows of the file export, {@link SparkTokenExport#packedSchema}, one partition per shard of
     * {@code spec.shardSize()} rows, in order.
     */
    Dataset<Row> packed(SparkSession spark) {
        if (plan == null) {
            throw new IllegalStateException(spec.pack() > 0 ? "no examples to pack" : "not labelled to be packed");
        }
        return spark.createDataFrame(SparkTokenExport.packRows(labelled, plan, shipped, spec), SparkTokenExport.packedSchema(spec.format()));
    }

    @Override
    public void close() {
        meta.unpersist();
        labelled.unpersist();
        if (plan != null) {
            plan.destroy();
        }
    }

    /** A DataFrame's order values are unique: two records in one place would make the order (and so the result) Spark's choice. */
    private static void refuseRepeatedOrder(Dataset<Row> meta, Places places) {
        List<Row> repeated = meta.groupBy("line").agg(count(lit(1)).as("n")).filter(col("n").gt(1)).orderBy("line").limit(1)
                .collectAsList();
        if (!repeated.isEmpty()) {
            long at = repeated.getFirst().getLong(0);
            List<String> ids = meta.filter(col("line").equalTo(at)).select("id").limit(2).collectAsList().stream()
                    .map(r -> r.getString(0)).toList();
            throw places.error(0, at, "the order value " + at + " is repeated (records " + ids
                    + "): each record needs its own place in the order");
        }
    }

    /** Ids are unique across all inputs, as the single-machine reader requires: the second occurrence is the error. */
    private static void refuseDuplicateIds(Dataset<Row> meta, Places places) {
        List<Row> dups = meta.groupBy("id")
                .agg(count(lit(1)).as("n"), min(struct(col("file"), col("line"))).as("first"))
                .filter(col("n").gt(1))
                .orderBy(col("first.file"), col("first.line"))
                .limit(1)
                .collectAsList();
        if (!dups.isEmpty()) {
            String id = dups.getFirst().getString(0);
            Row first = dups.getFirst().getStruct(2);
            Row second = meta.filter(col("id").equalTo(id))
                    .orderBy("file", "line").select("file", "line").limit(2).collectAsList().get(1);
            throw places.error(second.getInt(0), second.getLong(1), "duplicate id '" + id + "' (first at "
                    + places.at(first.getInt(0), first.getLong(1)) + ")");
        }
    }

    /**
     * The examples' lengths in order, with where each came from (for the packing plan and the length histogram).
     * Streamed to the driver partition by partition: 16 bytes per example.
     */
    private record ExampleLengths(int[] file, long[] line, int[] tokens) {
        static ExampleLengths collect(Dataset<Row> meta, int examples) {
            int[] file = new int[examples];
            long[] line = new long[examples];
            int[] tokens = new int[examples];
            int n = 0;
            Iterator<Row> it = meta.filter(col("skip_reason").isNull()).select("file", "line", "tokens").orderBy("file", "line")
                    .toLocalIterator();
            while (it.hasNext()) {
                Row r = it.next();
                file[n] = r.getInt(0);
                line[n] = r.getLong(1);
                tokens[n] = r.getInt(2);
                n++;
            }
            if (n != examples) {
                throw new IllegalStateException(n + " example lengths for " + examples + " examples");
            }
            return new ExampleLengths(file, line, tokens);
        }
    }
}
