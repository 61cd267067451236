package dev.granular.spark;

import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

import java.util.HashMap;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * The dedup of a DataFrame of records ({@link SparkDedup#dedup}): the rows that stay, the rows that go and why, and
 * the counts. Holds the prepared records and the decisions cached until {@link #close}.
 */
public final class DedupFrame implements AutoCloseable {
    private final DedupDecisions decisions;
    private final Dataset<Row> gone;
    private final Dataset<Row> kept;
    private final Dataset<Row> removed;
    private final Dedup.Counts counts;

    private DedupFrame(DedupDecisions decisions, Dataset<Row> gone, Dataset<Row> kept, Dataset<Row> removed, Dedup.Counts counts) {
        this.decisions = decisions;
        this.gone = gone;
        this.kept = kept;
        this.removed = removed;
        this.counts = counts;
    }

    static DedupFrame of(SparkSession spark, RecordFrame records, DedupConfig config, int partitions) {
        Dataset<Row> ordered = records.ordered();
        JavaRDD<Row> lines = records.lines(ordered);
        if (partitions > 0) {
            lines = lines.repartition(partitions);
        }
        DedupDecisions decisions = DedupDecisions.of(spark, lines, Places.frame(records), config);
        Dataset<Row> gone = null;
        try {
            gone = decisions.removed().persist(StorageLevel.MEMORY_AND_DISK());
            Map<String, Long> byReason = new HashMap<>();
            gone.groupBy("reason").count().collectAsList().forEach(r -> byReason.put(r.getString(0), r.getLong(1)));
            long read = decisions.rows().count();
            long contaminated = byReason.getOrDefault(Dedup.Reason.CONTAMINATED.wireName(), 0L);
            long duplicates = byReason.getOrDefault(Dedup.Reason.DUPLICATE.wireName(), 0L);
            long near = byReason.getOrDefault(Dedup.Reason.NEAR_DUPLICATE.wireName(), 0L);
            Dedup.Counts counts = new Dedup.Counts(read, read - contaminated - duplicates - near, contaminated, duplicates, near);
            String order = records.orderColumn();
            Dataset<Row> removed = gone.select(col("pos").as(order), col("id"), col("reason"), col("of"),
                    col("same").cast(DataTypes.DoubleType).divide(lit((double) decisions.width())).as("jaccard"));
            Dataset<Row> kept = ordered.join(gone.select(col("pos").as("_granular_gone")),
                    ordered.col(order).cast(DataTypes.LongType).equalTo(col("_granular_gone")), "left_anti");
            return new DedupFrame(decisions, gone, kept, removed, counts);
        } catch (RuntimeException | Error e) {
            if (gone != null) {
                gone.unpersist();
            }
            decisions.close();
            throw e;
        }
    }

    /**
     * The rows of the frame that stay, with all their columns (and {@link RecordFrame#DEFAULT_ORDER} when the frame had
     * no order column), unsorted: sort by the order column for the order of {@code granular dedup}'s kept rows.
     */
    public Dataset<Row> kept() {
        return kept;
    }

    /**
     * The rows that go, unsorted: the order column (long), {@code id}, {@code reason} ({@code contaminated},
     * {@code duplicate}, {@code near_duplicate}), {@code of} (the id of the record it repeats; null when contaminated),
     * {@code jaccard} (the estimated similarity to it, near duplicates only): removed.jsonl's fields, with the order
     * value for its place.
     */
    public Dataset<Row> removed() {
        return removed;
    }

    /** Records read, kept and removed for each reason: {@code granular dedup}'s counts for the same records in the same order. */
    public Dedup.Counts counts() {
        return counts;
    }

    /** Frees the cache: {@link #kept} and {@link #removed} are done with. */
    @Override
    public void close() {
        gone.unpersist();
        decisions.close();
    }
}
