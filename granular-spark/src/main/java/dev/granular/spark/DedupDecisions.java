package dev.granular.spark;

import dev.granular.corpus.internal.Decontaminator;
import dev.granular.dedup.internal.ContentDigest;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.MinHash;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.io.BadInputException;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

/**
 * What {@link SparkDedup} decides, for files and DataFrames alike: every record gets a position {@code pos} (for
 * files {@code (file index << 40) | line}, for a {@link RecordFrame} its order value), and every decision is a function
 * of positions and contents (see {@link SparkDedup}). Holds the prepared rows cached until {@link #close}.
 */
final class DedupDecisions implements AutoCloseable {
    static final int LINE_BITS = 40;

    private final Dataset<Row> rows;
    private final Dataset<Row> removed;
    private final Broadcast<Decontaminator> decon;
    private final int width;

    private DedupDecisions(Dataset<Row> rows, Dataset<Row> removed, Broadcast<Decontaminator> decon, int width) {
        this.rows = rows;
        this.removed = removed;
        this.decon = decon;
        this.width = width;
    }

    private static StructType rowSchema() {
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("pos", DataTypes.LongType, false),
                DataTypes.createStructField("id", DataTypes.StringType, true),
                DataTypes.createStructField("error", DataTypes.StringType, true),
                DataTypes.createStructField("contaminated", DataTypes.BooleanType, false),
                DataTypes.createStructField("hi", DataTypes.LongType, false),
                DataTypes.createStructField("lo", DataTypes.LongType, false),
                // The signature as bytes (4 per slot, big-endian): a copy to convert, where an int array is boxed per slot.
                DataTypes.createStructField("sig", DataTypes.BinaryType, true)));
    }

    /**
     * Prepares {@code lines} (rows {@code file, line, text[, where]}) and decides.
     *
     * @throws BadInputException the first bad record or repeated id in position order (for a DataFrame, first a
     *                           repeated order value)
     */
    static DedupDecisions of(SparkSession spark, JavaRDD<Row> lines, Places places, DedupConfig config) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Decontaminator> decon = jsc.broadcast(Decontaminator.fromFiles(config.decontaminate(), config.ngram()));
        Dataset<Row> rows = null;
        try {
            NearDedupConfig near = config.near();
            MinHash minHash = near == null ? null : MinHash.of(near);
            List<String> names = places.frame() ? List.of() : places.files();
            Broadcast<Decontaminator> shipped = decon;
            JavaRDD<Row> prepared = lines.mapPartitions((Iterator<Row> it) -> new Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Row next() {
                    Row in = it.next();
                    return prepare(in.getInt(0), in.getLong(1), in.getString(2), in.size() > 3 ? in.getString(3) : null, names,
                            shipped.value(), minHash);
                }
            });
            rows = spark.createDataFrame(prepared, rowSchema()).persist(StorageLevel.MEMORY_AND_DISK());
            List<Row> bad = rows.filter(col("error").isNotNull()).orderBy("pos").select("error").limit(1).collectAsList();
            if (!bad.isEmpty()) {
                throw new BadInputException(bad.getFirst().getString(0));
            }
            if (places.frame()) {
                List<Row> repeated = rows.groupBy("pos").agg(count(lit(1)).as("n")).filter(col("n").gt(1)).orderBy("pos").limit(1)
                        .collectAsList();
                if (!repeated.isEmpty()) {
                    long at = repeated.getFirst().getLong(0);
                    throw places.error(0, at, "the order value " + at + " is repeated: each record needs its own place in the order");
                }
            }
            refuseDuplicateIds(rows, places);
            return new DedupDecisions(rows, removed(spark, rows, config, minHash), decon, near == null ? 1 : near.permutations());
        } catch (RuntimeException | Error e) {
            if (rows != null) {
                rows.unpersist();
            }
            decon.destroy();
            throw e;
        }
    }

    /** Every prepared row: pos, id, error, contaminated, hi, lo (the content digest), sig. */
    Dataset<Row> rows() {
        return rows;
    }

    /** The removed rows, unsorted: {@code pos, id, reason, of} (null when contaminated), {@code same} (equal slots, near only). */
    Dataset<Row> removed() {
        return removed;
    }

    /** The signature's slots (1 without near dedup): a near duplicate's Jaccard estimate is {@code same / width}. */
    int width() {
        return width;
    }

    /** Where {@code pos} is, as an error names it. */
    static String at(Places places, long pos) {
        return places.frame() ? places.at(0, pos) : places.at((int) (pos >>> LINE_BITS), pos & ((1L << LINE_BITS) - 1));
    }

    @Override
    public void close() {
        rows.unpersist();
        decon.destroy();
    }

    /** Removed rows as (pos, id, reason, of, equal slots). */
    private static Dataset<Row> removed(SparkSession spark, Dataset<Row> rows, DedupConfig config, MinHash minHash) {
        Dataset<Row> contaminated = rows.filter(col("contaminated"))
                .select(col("pos"), col("id"), lit(Dedup.Reason.CONTAMINATED.wireName()).as("reason"),
                        lit(null).cast(DataTypes.StringType).as("of"), lit(null).cast(DataTypes.IntegerType).as("same"));
        // Only narrow columns are shuffled: positions, ids, digests; signatures travel only with candidate pairs.
        Dataset<Row> clean = rows.filter(col("contaminated").equalTo(false));
        Dataset<Row> duplicates = null;
        if (config.exact()) {
            WindowSpec byDigest = Window.partitionBy("hi", "lo").orderBy("pos");
            duplicates = clean.select(col("pos"), col("id"), first("id").over(byDigest).as("of"),
                            row_number().over(byDigest).as("rank"))
                    .filter(col("rank").gt(1))
                    .select(col("pos"), col("id"), lit(Dedup.Reason.DUPLICATE.wireName()).as("reason"), col("of"),
                            lit(null).cast(DataTypes.IntegerType).as("same"));
        }
        Dataset<Row> removed = contaminated;
        if (duplicates != null) {
            removed = removed.unionByName(duplicates);
        }
        if (minHash != null) {
            // Near dedup over all clean rows, exact duplicates included: an exact duplicate has its original's
            // signature, so it changes no other row's earliest match (its original is earlier and matches too),
            // and its own verdict is "duplicate", which takes precedence, as in the single-machine order.
            Dataset<Row> matches = spark.createDataFrame(SparkDedup.nearMatches(clean, minHash, config.exact()), DataTypes.createStructType(List.of(
                    DataTypes.createStructField("pos", DataTypes.LongType, false),
                    DataTypes.createStructField("of_pos", DataTypes.LongType, false),
                    DataTypes.createStructField("same", DataTypes.IntegerType, false))));
            Dataset<Row> ids = clean.select(col("pos").as("of_pos"), col("id").as("of"));
            Dataset<Row> nearDuplicates = matches.join(clean.select("pos", "id"), "pos").join(ids, "of_pos")
                    .select(col("pos"), col("id"), lit(Dedup.Reason.NEAR_DUPLICATE.wireName()).as("reason"), col("of"), col("same"));
            if (duplicates != null) {
                nearDuplicates = nearDuplicates.join(duplicates.select("pos"), new String[] {"pos"}, "left_anti");
            }
            removed = removed.unionByName(nearDuplicates);
        }
        return removed;
    }

    /**
     * One record's row of {@link #rowSchema}: a bad record is kept as data (error), reported by the driver in order.
     *
     * @param where how an error names a DataFrame's row, null for a line of a file ({@code names.get(file):line})
     */
    static Row prepare(int file, long line, String text, String where, List<String> names, Decontaminator decon, MinHash minHash) {
        long pos = ((long) file << LINE_BITS) | line;
        TrainingRecord r;
        try {
            if (text == null) {
                throw new BadInputException(where); // a DataFrame's record that could not be read (RecordFrame#lines)
            }
            if (text.isBlank()) {
                throw where != null ? new BadInputException(where, 0, "blank record (expected a JSON object)")
                        : new BadInputException(names.get(file), line, "blank line (canonical record files have none)");
            }
            r = where != null ? RecordJson.parse(text, where, 0) : RecordJson.parse(text, names.get(file), line);
        } catch (BadInputException e) {
            return RowFactory.create(pos, null, e.getMessage(), false, 0L, 0L, null);
        }
        if (decon.contaminated(r)) {
            return RowFactory.create(pos, r.id(), null, true, 0L, 0L, null);
        }
        ContentDigest d = ContentDigest.of(r);
        int[] sig = minHash == null ? null : minHash.signature(r);
        return RowFactory.create(pos, r.id(), null, false, d.hi(), d.lo(), sig == null ? null : bytes(sig));
    }

    private static byte[] bytes(int[] sig) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(sig.length * 4);
        b.asIntBuffer().put(sig);
        return b.array();
    }

    static int[] ints(byte[] bytes) {
        int[] sig = new int[bytes.length / 4];
        java.nio.ByteBuffer.wrap(bytes).asIntBuffer().get(sig);
        return sig;
    }

    /** Ids are unique across all inputs, as the single-machine reader requires: the earliest repeat is the error. */
    private static void refuseDuplicateIds(Dataset<Row> rows, Places places) {
        WindowSpec byId = Window.partitionBy("id").orderBy("pos");
        List<Row> repeat = rows.select(col("id"), col("pos"), first("pos").over(byId).as("first"), row_number().over(byId).as("n"))
                .filter(col("n").equalTo(2)).orderBy("pos").limit(1).collectAsList();
        if (!repeat.isEmpty()) {
            Row r = repeat.getFirst();
            long pos = r.getLong(1);
            String message = "duplicate id '" + r.getString(0) + "' (first at " + at(places, r.getLong(2)) + ")";
            throw places.frame() ? places.error(0, pos, message)
                    : places.error((int) (pos >>> LINE_BITS), pos & ((1L << LINE_BITS) - 1), message);
        }
    }
}
