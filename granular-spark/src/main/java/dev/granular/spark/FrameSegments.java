package dev.granular.spark;

import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.Document;
import dev.granular.corpus.reader.CorpusStats;
import dev.granular.corpus.reader.Texts;
import dev.granular.in2.In2Config;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Segments;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;

/**
 * The segmentation of a {@link CorpusFrame} for {@link SparkIn2}: every pass over the documents runs on the executors,
 * and the driver only appends the prepared documents to the segment store, in order.
 *
 * <ol>
 *   <li>{@link #check}: one pass over the frame's partitions reads every row as the corpus reader reads a row (text
 *   normalised, bad rows named) and sums per partition what the run's identity needs: rows, documents, characters,
 *   skipped rows by reason, the first bad row, and a content fingerprint (a sum modulo 2^256 of each row's SHA-256 over
 *   its place, id and text: independent of the partitioning). Then the rows are sorted by their place into
 *   partitions of about {@code waveChars / tasks} characters each (kept on the executors), and a second pass finds a
 *   repeated place (repeats sort next to each other). Both before the output folder is opened.</li>
 *   <li>{@link #segment}: waves of {@code tasks} consecutive sorted partitions are prepared on the executors
 *   ({@link In2Segments.Preparer}) while the driver appends the previous wave: partition order is corpus order.</li>
 * </ol>
 */
final class FrameSegments implements AutoCloseable {
    /** A row's place that is null (reported before anything else, as {@link RecordFrame} does). */
    private static final String NO_PLACE = "no-place";

    /**
     * A row as read: its place, its id (its own or the default), the normalised text or null for a bad row, and for a
     * bad row its reason ({@link CorpusStats}) and the whole error message.
     */
    record Doc(long at, String id, String text, String reason, String message) implements Serializable {
    }

    /** What a partition of the frame holds, summed over partitions by the driver. */
    record Summary(long rows, long documents, long chars, Map<String, Long> skipped, byte[] hashSum, Doc firstBad)
            implements Serializable {
    }

    private final CorpusFrame corpus;
    private final long rows;
    private final long documents;
    private final Map<String, Long> skipped;
    private final String sha256;
    private final JavaPairRDD<Long, Doc> sorted;
    private final int tasks;

    private FrameSegments(CorpusFrame corpus, long rows, long documents, Map<String, Long> skipped, String sha256,
                          JavaPairRDD<Long, Doc> sorted, int tasks) {
        this.corpus = corpus;
        this.rows = rows;
        this.documents = documents;
        this.skipped = skipped;
        this.sha256 = sha256;
        this.sorted = sorted;
        this.tasks = tasks;
    }

    /**
     * Reads and checks {@code corpus} on the executors and sorts it by place (see the class comment).
     *
     * @param tasks     tasks per wave of the segmentation
     * @param waveChars corpus characters per wave
     * @throws BadInputException for bad columns, a null or repeated place, the first bad row in order (unless
     *                           {@code policy} skips bad rows), or no documents
     */
    static FrameSegments check(JavaSparkContext jsc, CorpusFrame corpus, BadRowPolicy policy, int tasks, long waveChars) {
        corpus.check();
        JavaRDD<Doc> docs = docs(corpus);
        List<Summary> parts = docs.mapPartitions(FrameSegments::summarize).collect();
        long rows = 0;
        long documents = 0;
        long chars = 0;
        BigInteger sum = BigInteger.ZERO;
        Map<String, Long> skipped = new TreeMap<>();
        Doc firstBad = null;
        for (Summary s : parts) {
            rows += s.rows();
            documents += s.documents();
            chars += s.chars();
            sum = sum.add(new BigInteger(1, s.hashSum()));
            s.skipped().forEach((k, v) -> skipped.merge(k, v, Long::sum));
            if (s.firstBad() != null && (firstBad == null || before(s.firstBad(), firstBad))) {
                firstBad = s.firstBad();
            }
        }
        if (firstBad != null && (policy == BadRowPolicy.FAIL || NO_PLACE.equals(firstBad.reason()))) {
            throw new BadInputException(firstBad.message());
        }
        skipped.remove(NO_PLACE);
        if (documents == 0) {
            throw new BadInputException("empty corpus: no documents in the DataFrame (" + rows + " rows, "
                    + skipped.values().stream().mapToLong(Long::longValue).sum() + " bad rows skipped)");
        }
        // Partitions of about waveChars / tasks characters (by count of rows: Spark's range partitioner samples keys).
        int partitions = (int) Math.max(tasks, Math.min(Integer.MAX_VALUE / 2, (chars * tasks + waveChars - 1) / waveChars));
        JavaPairRDD<Long, Doc> sorted = docs.mapToPair(d -> new Tuple2<>(d.at(), d)).sortByKey(true, partitions)
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        try {
            Doc[] repeated = sorted.mapPartitions(FrameSegments::firstRepeat).collect().stream()
                    .min((a, b) -> Long.compare(a[0].at(), b[0].at())).orElse(null);
            if (repeated != null) {
                throw corpus.places().error(0, repeated[0].at(), "the order value " + repeated[0].at() + " is repeated (ids "
                        + List.of(repeated[0].id(), repeated[1].id()) + "): each row needs its own place in the order");
            }
        } catch (RuntimeException | Error e) {
            sorted.unpersist(false);
            throw e;
        }
        byte[] digest = sha256(("dataframe\0" + rows + "\0" + sum.mod(BigInteger.ONE.shiftLeft(256)).toString(16)).getBytes(StandardCharsets.UTF_8));
        return new FrameSegments(corpus, rows, documents, Map.copyOf(skipped), HexFormat.of().formatHex(digest), sorted, tasks);
    }

    /** Whether bad row {@code a} is reported before {@code b}: a row without a place first, then by place. */
    private static boolean before(Doc a, Doc b) {
        boolean na = NO_PLACE.equals(a.reason());
        boolean nb = NO_PLACE.equals(b.reason());
        return na != nb ? na : a.at() < b.at();
    }

    /** What the run's identity and manifest record for the frame: a resume with other rows is refused. */
    In2Engine.OwnCorpus ownCorpus() {
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("corpus", "dataframe");
        Map<String, Object> columns = new LinkedHashMap<>();
        columns.put("text", corpus.text());
        columns.put("id", corpus.id());
        columns.put("order", corpus.order());
        inputs.put("corpus_columns", columns);
        inputs.put("corpus_rows", rows);
        inputs.put("corpus_sha256", sha256);
        return new In2Engine.OwnCorpus(corpus.label(rows), inputs);
    }

    /**
     * Prepares the sorted documents on the executors, a wave of {@code tasks} partitions at a time, and appends them to
     * {@code writer} in order while the next wave is prepared.
     */
    In2Engine.Segmented segment(Broadcast<SparkIn2.Shipment> shipment, In2Config config, Broadcast<Decontaminator> exclude,
                             In2Segments.Writer writer) {
        JavaRDD<In2Segments.Prepared> prepared = sorted.mapPartitions(prepareTask(shipment, config, exclude), true);
        int n = prepared.getNumPartitions();
        JavaFutureAction<List<In2Segments.Prepared>> next = n == 0 ? null : wave(prepared, 0, Math.min(n, tasks));
        try {
            for (int from = 0; from < n; from += tasks) {
                JavaFutureAction<List<In2Segments.Prepared>> current = next;
                int to = Math.min(n, from + tasks);
                next = to < n ? wave(prepared, to, Math.min(n, to + tasks)) : null;
                for (In2Segments.Prepared p : SparkIn2.await(current)) {
                    writer.append(p);
                }
            }
        } finally {
            if (next != null) {
                next.cancel(true);
            }
        }
        return new In2Engine.Segmented(documents, skipped);
    }

    /** Partitions {@code [from, to)} of {@code rdd}, collected in order. */
    private static <T> JavaFutureAction<List<T>> wave(JavaRDD<T> rdd, int from, int to) {
        PartitionPruningRDD<T> part = PartitionPruningRDD.create(rdd.rdd(), new InRange(from, to));
        return JavaRDD.fromRDD(part, rdd.classTag()).collectAsync();
    }

    /** Partition indices {@code [from, to)}: a Scala function, as {@link PartitionPruningRDD} takes one. */
    private static final class InRange extends AbstractFunction1<Object, Object> implements Serializable {
        private final int from;
        private final int to;

        InRange(int from, int to) {
            this.from = from;
            this.to = to;
        }

        @Override
        public Object apply(Object index) {
            int i = (Integer) index;
            return i >= from && i < to;
        }
    }

    /** A partition's documents prepared in order; bad rows (skipped) are left out. Static: captures only its arguments. */
    private static FlatMapFunction<Iterator<Tuple2<Long, Doc>>, In2Segments.Prepared> prepareTask(
            Broadcast<SparkIn2.Shipment> shipment, In2Config config, Broadcast<Decontaminator> exclude) {
        return it -> {
            In2Segments.Preparer preparer = In2Segments.preparer(SparkIn2.Executor.tokenizer(shipment.value()), config, exclude.value());
            List<In2Segments.Prepared> out = new ArrayList<>();
            while (it.hasNext()) {
                Doc d = it.next()._2();
                if (d.text() != null) {
                    out.add(preparer.prepare(new Document(d.id(), d.text(), d.id())));
                }
            }
            return out.iterator();
        };
    }

    /** The frame's rows as {@link Doc}s, read on the executors. */
    static JavaRDD<Doc> docs(CorpusFrame corpus) {
        String order = corpus.order();
        String text = corpus.text();
        String id = corpus.id();
        Places places = corpus.places();
        List<Column> select = new ArrayList<>();
        if (order != null) {
            select.add(col(order));
        }
        select.add(col(text));
        if (id != null) {
            select.add(col(id));
        }
        JavaRDD<Row> picked = corpus.frame().select(select.toArray(Column[]::new)).javaRDD();
        int t = order != null ? 1 : 0;
        if (order != null) {
            return picked.map(r -> doc(r.isNullAt(0) ? null : ((Number) r.get(0)).longValue(), r.isNullAt(t) ? null : r.getString(t),
                    id == null || r.isNullAt(t + 1) ? null : r.get(t + 1).toString(), order, text, places));
        }
        // The frame's own order: partition, then row within it; positions from 0.
        return picked.zipWithIndex().map(p -> doc(p._2(), p._1().isNullAt(0) ? null : p._1().getString(0),
                id == null || p._1().isNullAt(1) ? null : p._1().get(1).toString(), null, text, places));
    }

    /** One row read as the corpus reader reads a JSONL row (see {@link CorpusFrame}). */
    static Doc doc(Long at, String raw, String ownId, String order, String textColumn, Places places) {
        boolean hasId = ownId != null && !ownId.isEmpty();
        String hint = hasId ? " (id \"" + ownId + "\")" : "";
        if (at == null) {
            return new Doc(Long.MIN_VALUE, hasId ? ownId : "?", null, NO_PLACE,
                    "a row" + hint + " has no place in the order: its '" + order + "' is null");
        }
        String id = hasId ? ownId : CorpusFrame.defaultId(order, at);
        String where = places.at(0, at) + hint;
        if (raw == null) {
            return bad(at, id, CorpusStats.MISSING_FIELD, where, "text column '" + textColumn + "' is null");
        }
        try {
            Message.requireWellFormed("text column '" + textColumn + "'", raw);
        } catch (IllegalArgumentException e) {
            return bad(at, id, CorpusStats.INVALID_UTF8, where, e.getMessage());
        }
        String text = Texts.normalize(raw);
        if (text.isBlank()) {
            return bad(at, id, CorpusStats.EMPTY_DOCUMENT, where, text.isEmpty() ? "empty document" : "empty document (whitespace only)");
        }
        return new Doc(at, id, text, null, null);
    }

    private static Doc bad(long at, String id, String reason, String where, String message) {
        return new Doc(at, id, null, reason, new BadInputException(where, 0, message).getMessage());
    }

    /** A partition's counts, content hash (sum of the rows' SHA-256) and first bad row. */
    private static Iterator<Summary> summarize(Iterator<Doc> docs) {
        MessageDigest sha = digest();
        BigInteger sum = BigInteger.ZERO;
        long rows = 0;
        long documents = 0;
        long chars = 0;
        Map<String, Long> skipped = new TreeMap<>();
        Doc firstBad = null;
        while (docs.hasNext()) {
            Doc d = docs.next();
            rows++;
            // Place, id and text (or, for a bad row, its error: what makes it bad) of every row, in no order: a sum.
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(d.at()).array());
            sha.update(d.id().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((d.text() != null ? d.text() : "\0" + d.message()).getBytes(StandardCharsets.UTF_8));
            sum = sum.add(new BigInteger(1, sha.digest()));
            if (d.text() != null) {
                documents++;
                chars += d.text().length();
            } else {
                skipped.merge(d.reason(), 1L, Long::sum);
                if (firstBad == null || before(d, firstBad)) {
                    firstBad = d;
                }
            }
        }
        byte[] mod = sum.mod(BigInteger.ONE.shiftLeft(256)).toByteArray();
        return List.of(new Summary(rows, documents, chars, skipped, mod, firstBad)).iterator();
    }

    /** The first place of a sorted partition held by two rows: the two rows, or none. */
    private static Iterator<Doc[]> firstRepeat(Iterator<Tuple2<Long, Doc>> it) {
        Doc previous = null;
        while (it.hasNext()) {
            Doc d = it.next()._2();
            if (previous != null && previous.at() == d.at()) {
                return List.<Doc[]>of(new Doc[]{previous, d}).iterator();
            }
            previous = d;
        }
        return List.<Doc[]>of().iterator();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        return digest().digest(bytes);
    }

    @Override
    public void close() {
        sorted.unpersist(false);
    }
}
