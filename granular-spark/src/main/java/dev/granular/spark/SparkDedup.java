package dev.granular.spark;

import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.MinHash;
import dev.granular.dedup.DedupJob;
import dev.granular.dedup.job.DedupFiles;
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
import org.apache.spark.sql.types.DataTypes;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;

/**
 * {@code granular spark dedup}: {@code granular dedup} ({@link DedupJob}) as a Spark job: decontamination, exact and
 * near dedup over partitions, with exactly the single-machine result (the same kept rows, in the same order, as the
 * same bytes; the same removed.jsonl) whatever the partitioning.
 *
 * <p>Every row gets its position in the input, {@code pos = (file index << 40) | line}, and every decision is a
 * function of positions, never of the order in which tasks run:
 * <ol>
 *   <li>per row, on the executors: parse, decontaminate (the {@link dev.granular.corpus.internal.Decontaminator} is broadcast), the exact-dedup
 *   digest ({@link dev.granular.dedup.internal.ContentDigest}) and the MinHash signature ({@link MinHash});</li>
 *   <li>exact: rows grouped by digest; all but the one of least {@code pos} go, naming it;</li>
 *   <li>near: every clean row in one bucket per LSH band key ({@link MinHash#bandKey}), holding positions and
 *   digests only; a bucket gives its pairs (later, earlier), exact copies counted once; each pair is verified by
 *   joining both signatures (enough equal slots); the least verified earlier row is the match. These are the
 *   candidate pairs and the verification of {@link dev.granular.dedup.NearDuplicates}, so the answer is its
 *   answer;</li>
 *   <li>the removed rows collected by the driver in {@code pos} order; the kept rows written by the executors
 *   from the input's splits in order (sorted by {@code pos} after a repartition).</li>
 * </ol>
 * Steps 1 to 3 are {@link DedupDecisions}. {@link #dedup} runs them on a DataFrame of records ({@link RecordFrame}),
 * {@code pos} the record's order value, and gives the kept and removed rows as DataFrames ({@link DedupFrame}).
 */
public final class SparkDedup {
    private static final int LINE_BITS = DedupDecisions.LINE_BITS;

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

    /** Runs the dedup (see the class comment). */
    public static Dedup.Counts run(SparkSession spark, Spec spec) {
        try {
            return doRun(spark, spec);
        } catch (RuntimeException e) {
            throw SparkTokenExport.reported(e);
        }
    }

    /**
     * Dedups the records of a DataFrame ({@link RecordFrame}: struct columns or JSON text, and the order that stands for
     * the input order) with the decisions of {@code granular dedup} on the records in that order: the same records go,
     * for the same reasons, naming the same originals, however the frame is partitioned. Eager: the records are
     * prepared (cached) and checked, and the counts computed, before it returns; {@link DedupFrame#close} frees the cache.
     *
     * <pre>{@code
     * try (DedupFrame d = SparkDedup.dedup(spark, RecordFrame.of(spark.read().json("out/demo/data")).withOrder("n"),
     *         DedupConfig.DEFAULT.withNearThreshold(0.8))) {
     *     d.kept().write().json("out/demo-dedup");   // the frame's rows that stay, all their columns
     *     d.removed().show();                        // n, id, reason, of, jaccard
     * }
     * }</pre>
     *
     * @param partitions how many partitions to prepare the records in (0: the frame's own); speed only
     * @throws BadInputException the first bad record, repeated id or repeated order value in the order, naming its row;
     *                           a missing or malformed evaluation file of {@code config.decontaminate()}
     */
    public static DedupFrame dedup(SparkSession spark, RecordFrame records, DedupConfig config, int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
        }
        try {
            return DedupFrame.of(spark, records, config, partitions);
        } catch (RuntimeException e) {
            throw SparkTokenExport.reported(e);
        }
    }

    /** As {@link #dedup(SparkSession, RecordFrame, DedupConfig, int)} in the frame's own partitions. */
    public static DedupFrame dedup(SparkSession spark, RecordFrame records, DedupConfig config) {
        return dedup(spark, records, config, 0);
    }

    private static Dedup.Counts doRun(SparkSession spark, Spec spec) {
        Instant started = Instant.now();
        DedupJob.Spec job = spec.job();
        List<Path> files = RecordReader.dataFiles(job.in());
        if (files.size() >= 1 << (63 - LINE_BITS)) {
            throw new BadInputException("spark dedup reads at most " + (1 << (63 - LINE_BITS)) + " files, got " + files.size());
        }
        Map<String, Object> identity = DedupFiles.identity(job, files, "spark");
        OutputDirectory dir = OutputDirectory.open(job.out(), DedupFiles.COMMAND, identity, job.shardSize(), job.overwrite(),
                DedupFiles.inputs(job));
        if (dir.complete()) {
            return DedupFiles.counts(dir.manifest());
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        DedupDecisions decisions = null;
        try {
            dir.clearData();
            JavaRDD<Row> lines = SparkTokenExport.lines(jsc, files);
            if (spec.partitions() > 0) {
                lines = lines.repartition(spec.partitions());
            }
            List<String> names = files.stream().map(Path::toString).toList();
            decisions = DedupDecisions.of(spark, lines, Places.files(names), job.config());
            List<Row> gone = decisions.removed().orderBy("pos").collectAsList();
            long read = decisions.rows().count();
            long[] byReason = new long[Dedup.Reason.values().length];
            StringBuilder removedJsonl = new StringBuilder();
            for (Row g : gone) {
                long pos = g.getLong(0);
                Dedup.Reason reason = reason(g.getString(2));
                byReason[reason.ordinal()]++;
                Double jaccard = g.isNullAt(4) ? null : (double) g.getInt(4) / decisions.width();
                removedJsonl.append(DedupFiles.removedLine(g.getString(1), names.get((int) (pos >>> LINE_BITS)) + ":"
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
            dir.finish(DedupFiles.manifest(job, identity, counts, started, dir.fingerprint(), spark.sparkContext().master()));
            return counts;
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
            if (decisions != null) {
                decisions.close();
            }
        }
    }

    static Dedup.Reason reason(String wire) {
        for (Dedup.Reason r : Dedup.Reason.values()) {
            if (r.wireName().equals(wire)) {
                return r;
            }
        }
        throw new IllegalStateException("no reason " + wire);
    }

    /**
     * The near duplicates among {@code clean} (pos, id, sig): rows {@code (pos, of_pos, same)}, {@code of_pos} the
     * earliest earlier row sharing a band key with enough equal slots ({@link dev.granular.dedup.NearDuplicates}).
     */
    static JavaRDD<Row> nearMatches(Dataset<Row> clean, MinHash minHash, boolean exact) {
        int minEqual = minHash.config().minEqualSlots();
        JavaPairRDD<Long, int[]> sigs = clean.filter(col("sig").isNotNull()).select("pos", "sig").javaRDD()
                .mapToPair(row -> new Tuple2<>(row.getLong(0), DedupDecisions.ints((byte[]) row.get(1))));
        // Buckets by band key hold (pos, digest) only, 24 bytes a row and band. In a bucket, rows in pos order; with
        // exact dedup on, a row whose content an earlier member of the bucket has is dropped (it is an exact duplicate,
        // and its original, earlier, stands for it), so a content repeated k times costs one member, not k^2 pairs.
        // The rest give their pairs (later, earlier): the candidates the single-machine index finds.
        JavaPairRDD<Long, Long> pairs = clean.filter(col("sig").isNotNull()).select("pos", "sig", "hi", "lo").javaRDD()
                .flatMapToPair(row -> {
                    long[] keys = minHash.bandKeys(DedupDecisions.ints((byte[]) row.get(1)));
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
