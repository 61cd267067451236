package dev.granular.spark;

import dev.granular.corpus.Decontaminator;
import dev.granular.dedup.ContentDigest;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.MinHash;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.dedup.job.DedupJob;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.io.BadInputException;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

/**
 * {@code granular spark dedup}: {@code granular dedup} ({@link DedupJob}) as a Spark job: decontamination, exact and
 * near dedup over partitions, with exactly the single-machine result (the same kept rows, in the same order, as the
 * same bytes; the same removed.jsonl) whatever the partitioning.
 *
 * <p>Every row gets its position in the input, {@code pos = (file index << 40) | line}, and every decision is a
 * function of positions, never of the order in which tasks run:
 * <ol>
 *   <li>per row, on the executors: parse, decontaminate (the {@link Decontaminator} is broadcast), the exact-dedup
 *   digest ({@link ContentDigest}) and the MinHash signature ({@link MinHash});</li>
 *   <li>exact: rows grouped by digest; all but the one of least {@code pos} go, naming it;</li>
 *   <li>near: every clean row in one bucket per LSH band key ({@link MinHash#bandKey}), holding positions and
 *   digests only; a bucket gives its pairs (later, earlier), exact copies counted once; each pair is verified by
 *   joining both signatures (enough equal slots); the least verified earlier row is the match. These are the
 *   candidate pairs and the verification of {@link dev.granular.dedup.NearDuplicates}, so the answer is its
 *   answer;</li>
 *   <li>the removed rows collected by the driver in {@code pos} order; the kept rows written by the executors
 *   from the input's splits in order (sorted by {@code pos} after a repartition).</li>
 * </ol>
 */
public final class SparkDedup {
    private static final int LINE_BITS = 40;

    /**
     * What to dedup: the single-machine job's spec, and how many partitions to work in (0: Spark's split of the input
     * files; any number gives the same output).
     */
    public record Spec(DedupJob.Spec job, int partitions) {
        public Spec {
            if (partitions < 0) {
                throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
            }
        }
    }

    private SparkDedup() {
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

    /** Runs the dedup (see the class comment). */
    public static Dedup.Counts run(SparkSession spark, Spec spec) {
        try {
            return doRun(spark, spec);
        } catch (RuntimeException e) {
            // A bad line found on an executor reaches the driver wrapped in a SparkException: report it as itself.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BadInputException bad) {
                    throw bad;
                }
            }
            throw e;
        }
    }

    private static Dedup.Counts doRun(SparkSession spark, Spec spec) {
        Instant started = Instant.now();
        DedupJob.Spec job = spec.job();
        List<Path> files = RecordReader.dataFiles(job.in());
        if (files.size() >= 1 << (63 - LINE_BITS)) {
            throw new BadInputException("spark dedup reads at most " + (1 << (63 - LINE_BITS)) + " files, got " + files.size());
        }
        Map<String, Object> identity = DedupJob.identity(job, files, "spark");
        OutputDirectory dir = OutputDirectory.open(job.out(), DedupJob.COMMAND, identity, job.shardSize(), job.overwrite(),
                DedupJob.inputs(job));
        if (dir.complete()) {
            return DedupJob.counts(dir.manifest());
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Decontaminator> decon = null;
        Dataset<Row> rows = null;
        try {
            dir.clearData();
            decon = jsc.broadcast(Decontaminator.fromFiles(job.config().decontaminate(), job.config().ngram()));
            JavaRDD<Row> lines = SparkTokenExport.lines(jsc, files);
            if (spec.partitions() > 0) {
                lines = lines.repartition(spec.partitions());
            }
            List<String> names = files.stream().map(Path::toString).toList();
            NearDedupConfig near = job.config().near();
            MinHash minHash = near == null ? null : MinHash.of(near);
            Broadcast<Decontaminator> shipped = decon;
            JavaRDD<Row> prepared = lines.mapPartitions((Iterator<Row> it) -> new Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Row next() {
                    Row in = it.next();
                    return prepare(in.getInt(0), in.getLong(1), in.getString(2), names, shipped.value(), minHash);
                }
            });
            rows = spark.createDataFrame(prepared, rowSchema()).persist(StorageLevel.MEMORY_AND_DISK());

            List<Row> bad = rows.filter(col("error").isNotNull()).orderBy("pos").select("error").limit(1).collectAsList();
            if (!bad.isEmpty()) {
                throw new BadInputException(bad.getFirst().getString(0));
            }
            refuseDuplicateIds(rows, names);

            // Removed rows as (pos, id, reason, of, equal slots), then kept = all but those.
            Dataset<Row> contaminated = rows.filter(col("contaminated"))
                    .select(col("pos"), col("id"), lit(Dedup.Reason.CONTAMINATED.wireName()).as("reason"),
                            lit(null).cast(DataTypes.StringType).as("of"), lit(null).cast(DataTypes.IntegerType).as("same"));
            // Only narrow columns are shuffled: positions, ids, digests; signatures travel only with candidate pairs.
            Dataset<Row> clean = rows.filter(col("contaminated").equalTo(false));
            Dataset<Row> duplicates = null;
            if (job.config().exact()) {
                WindowSpec byDigest = Window.partitionBy("hi", "lo").orderBy("pos");
                duplicates = clean.select(col("pos"), col("id"), first("id").over(byDigest).as("of"),
                                row_number().over(byDigest).as("rank"))
                        .filter(col("rank").gt(1))
                        .select(col("pos"), col("id"), lit(Dedup.Reason.DUPLICATE.wireName()).as("reason"), col("of"),
                                lit(null).cast(DataTypes.IntegerType).as("same"));
            }
            Dataset<Row> nearDuplicates = null;
            if (minHash != null) {
                // Near dedup over all clean rows, exact duplicates included: an exact duplicate has its original's
                // signature, so it changes no other row's earliest match (its original is earlier and matches too),
                // and its own verdict is "duplicate", which takes precedence, as in the single-machine order.
                Dataset<Row> matches = spark.createDataFrame(nearMatches(clean, minHash, job.config().exact()), DataTypes.createStructType(List.of(
                        DataTypes.createStructField("pos", DataTypes.LongType, false),
                        DataTypes.createStructField("of_pos", DataTypes.LongType, false),
                        DataTypes.createStructField("same", DataTypes.IntegerType, false))));
                Dataset<Row> ids = clean.select(col("pos").as("of_pos"), col("id").as("of"));
                nearDuplicates = matches.join(clean.select("pos", "id"), "pos").join(ids, "of_pos")
                        .select(col("pos"), col("id"), lit(Dedup.Reason.NEAR_DUPLICATE.wireName()).as("reason"), col("of"), col("same"));
                if (duplicates != null) {
                    nearDuplicates = nearDuplicates.join(duplicates.select("pos"), new String[] {"pos"}, "left_anti");
                }
            }
            Dataset<Row> removed = contaminated;
            if (duplicates != null) {
                removed = removed.unionByName(duplicates);
            }
            if (nearDuplicates != null) {
                removed = removed.unionByName(nearDuplicates);
            }
            {
                List<Row> gone = removed.orderBy("pos").collectAsList();
                long read = rows.count();
                long[] byReason = new long[Dedup.Reason.values().length];
                StringBuilder removedJsonl = new StringBuilder();
                int width = near == null ? 1 : near.permutations();
                for (Row g : gone) {
                    long pos = g.getLong(0);
                    Dedup.Reason reason = reason(g.getString(2));
                    byReason[reason.ordinal()]++;
                    Double jaccard = g.isNullAt(4) ? null : (double) g.getInt(4) / width;
                    removedJsonl.append(DedupJob.removedLine(g.getString(1), names.get((int) (pos >>> LINE_BITS)) + ":"
                            + (pos & ((1L << LINE_BITS) - 1)), new Dedup.Removed(reason, g.isNullAt(3) ? null : g.getString(3), jaccard)));
                }
                Dedup.Counts counts = new Dedup.Counts(read, read - gone.size(), byReason[Dedup.Reason.CONTAMINATED.ordinal()],
                        byReason[Dedup.Reason.DUPLICATE.ordinal()], byReason[Dedup.Reason.NEAR_DUPLICATE.ordinal()]);
                if (counts.kept() > 0) { // else no data file, as the single-machine job
                    Path staging = dir.workDir().resolve("spark-rows");
                    OutputDirectory.deleteTree(staging);
                    long[] gonePositions = gone.stream().mapToLong(g -> g.getLong(0)).toArray(); // sorted: gone is
                    Broadcast<long[]> goneShipped = jsc.broadcast(gonePositions);
                    try {
                        // The kept rows' JSON from the lines again (cheaper than keeping every row's JSON in the cache).
                        JavaRDD<Row> keptLines = lines.flatMap(line -> {
                            long pos = ((long) line.getInt(0) << LINE_BITS) | line.getLong(1);
                            if (java.util.Arrays.binarySearch(goneShipped.value(), pos) >= 0) {
                                return java.util.Collections.emptyIterator();
                            }
                            TrainingRecord r = RecordJson.parse(line.getString(2), names.get(line.getInt(0)), line.getLong(1));
                            return List.of(RowFactory.create(pos, RecordJson.toJson(r))).iterator();
                        });
                        Dataset<Row> kept = spark.createDataFrame(keptLines, DataTypes.createStructType(List.of(
                                DataTypes.createStructField("pos", DataTypes.LongType, false),
                                DataTypes.createStructField("json", DataTypes.StringType, false))));
                        // Unshuffled, the partitions are the input files' splits in order (textFile, union, flatMap keep
                        // it), and the writer names its files by partition: the rows are in input order. After a
                        // repartition, sorted back: range partitions in pos order.
                        if (spec.partitions() > 0) {
                            kept = kept.orderBy("pos");
                        }
                        kept.select("json").as(Encoders.STRING())
                                .write().option("maxRecordsPerFile", job.shardSize())
                                .text(staging.toAbsolutePath().toUri().toString());
                    } finally {
                        goneShipped.destroy();
                    }
                    publish(staging, dir);
                }
                Path target = dir.dir().resolve("removed.jsonl");
                AtomicFiles.write(target, removedJsonl.toString());
                dir.finish(DedupJob.manifest(job, identity, counts, started, dir.fingerprint(), spark.sparkContext().master()));
                return counts;
            }
        } catch (IOException e) {
            UncheckedIOException u = new UncheckedIOException("cannot write " + job.out(), e);
            dir.abandon(u);
            throw u;
        } catch (RuntimeException | Error e) {
            try {
                dir.clearData();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            dir.abandon(unwrap(e));
            throw e;
        } finally {
            if (rows != null) {
                rows.unpersist();
            }
            if (decon != null) {
                decon.destroy();
            }
        }
    }

    private static Dedup.Reason reason(String wire) {
        for (Dedup.Reason r : Dedup.Reason.values()) {
            if (r.wireName().equals(wire)) {
                return r;
            }
        }
        throw new IllegalStateException("no reason " + wire);
    }

    /** One line's row of {@link #rowSchema}: a bad line is kept as data (error), reported by the driver in input order. */
    static Row prepare(int file, long line, String text, List<String> names, Decontaminator decon, MinHash minHash) {
        long pos = ((long) file << LINE_BITS) | line;
        TrainingRecord r;
        try {
            if (text.isBlank()) {
                throw new BadInputException(names.get(file), line, "blank line (canonical record files have none)");
            }
            r = RecordJson.parse(text, names.get(file), line);
        } catch (BadInputException e) {
            return RowFactory.create(pos, null, e.getMessage(), false, 0L, 0L, null);
        }
        if (Dedup.contaminated(r, decon)) {
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

    private static int[] ints(byte[] bytes) {
        int[] sig = new int[bytes.length / 4];
        java.nio.ByteBuffer.wrap(bytes).asIntBuffer().get(sig);
        return sig;
    }

    /**
     * The near duplicates among {@code clean} (pos, id, sig): rows {@code (pos, of_pos, same)}, {@code of_pos} the
     * earliest earlier row sharing a band key with enough equal slots ({@link dev.granular.dedup.NearDuplicates}).
     */
    static JavaRDD<Row> nearMatches(Dataset<Row> clean, MinHash minHash, boolean exact) {
        int minEqual = minHash.config().minEqualSlots();
        JavaPairRDD<Long, int[]> sigs = clean.filter(col("sig").isNotNull()).select("pos", "sig").javaRDD()
                .mapToPair(row -> new Tuple2<>(row.getLong(0), ints((byte[]) row.get(1))));
        // Buckets by band key hold (pos, digest) only, 24 bytes a row and band. In a bucket, rows in pos order; with
        // exact dedup on, a row whose content an earlier member of the bucket has is dropped (it is an exact duplicate,
        // and its original, earlier, stands for it), so a content repeated k times costs one member, not k^2 pairs.
        // The rest give their pairs (later, earlier): the candidates the single-machine index finds.
        JavaPairRDD<Long, Long> pairs = clean.filter(col("sig").isNotNull()).select("pos", "sig", "hi", "lo").javaRDD()
                .flatMapToPair(row -> {
                    long[] keys = minHash.bandKeys(ints((byte[]) row.get(1)));
                    Tuple2<Long, Long> member = new Tuple2<>(row.getLong(0), row.getLong(2) * 31 + row.getLong(3));
                    List<Tuple2<Long, Tuple2<Long, Long>>> out = new ArrayList<>(keys.length);
                    for (long k : keys) {
                        out.add(new Tuple2<>(k, member));
                    }
                    return out.iterator();
                }).groupByKey().flatMapToPair(bucket -> {
                    List<Tuple2<Long, Long>> members = new ArrayList<>();
                    bucket._2().forEach(members::add);
                    List<Tuple2<Long, Long>> out = new ArrayList<>();
                    if (members.size() < 2) {
                        return out.iterator();
                    }
                    members.sort((x, y) -> Long.compare(x._1(), y._1()));
                    List<Long> distinct = new ArrayList<>();
                    java.util.Set<Long> contents = new java.util.HashSet<>();
                    for (Tuple2<Long, Long> m : members) {
                        if (!exact || contents.add(m._2())) {
                            distinct.add(m._1());
                        }
                    }
                    for (int j = 1; j < distinct.size(); j++) {
                        for (int i = 0; i < j; i++) {
                            out.add(new Tuple2<>(distinct.get(j), distinct.get(i)));
                        }
                    }
                    return out.iterator();
                }).distinct();
        // Verify each pair by its signatures; the earliest verified earlier row is the match.
        return pairs.join(sigs)
                .mapToPair(t -> new Tuple2<>(t._2()._1(), new Tuple2<>(t._1(), t._2()._2())))
                .join(sigs)
                .flatMapToPair(t -> {
                    int same = MinHash.equalSlots(t._2()._2(), t._2()._1()._2());
                    return same >= minEqual ? List.of(new Tuple2<>(t._2()._1()._1(), new Tuple2<>(t._1(), same))).iterator()
                            : java.util.Collections.<Tuple2<Long, Tuple2<Long, Integer>>>emptyIterator();
                })
                .reduceByKey((x, y) -> x._1() <= y._1() ? x : y)
                .map(t -> RowFactory.create(t._1(), t._2()._1(), t._2()._2()));
    }

    /** Ids are unique across all inputs, as the single-machine reader requires: the earliest repeat is the error. */
    private static void refuseDuplicateIds(Dataset<Row> rows, List<String> names) {
        WindowSpec byId = Window.partitionBy("id").orderBy("pos");
        List<Row> repeat = rows.select(col("id"), col("pos"), first("pos").over(byId).as("first"), row_number().over(byId).as("n"))
                .filter(col("n").equalTo(2)).orderBy("pos").limit(1).collectAsList();
        if (!repeat.isEmpty()) {
            Row r = repeat.getFirst();
            long pos = r.getLong(1);
            long first = r.getLong(2);
            throw new BadInputException(names.get((int) (pos >>> LINE_BITS)), pos & ((1L << LINE_BITS) - 1), "duplicate id '"
                    + r.getString(0) + "' (first at " + names.get((int) (first >>> LINE_BITS)) + ":" + (first & ((1L << LINE_BITS) - 1)) + ")");
        }
    }

    private static Throwable unwrap(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException) {
                return t;
            }
        }
        return e;
    }

    /** Moves Spark's part files, in name (= row) order, to data/part-NNNNN.jsonl. */
    private static void publish(Path staging, OutputDirectory dir) throws IOException {
        List<Path> parts;
        try (Stream<Path> s = Files.list(staging)) {
            parts = s.filter(p -> p.getFileName().toString().startsWith("part-") && p.getFileName().toString().endsWith(".txt"))
                    .sorted().toList();
        }
        int shard = 0;
        for (Path p : parts) {
            Path target = dir.dataDir().resolve(String.format(Locale.ROOT, "part-%05d.jsonl", shard++));
            OutputDirectory.claim(target);
            AtomicFiles.move(p, target);
        }
        OutputDirectory.deleteTree(staging);
    }
}
