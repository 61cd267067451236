package dev.granular.in2.internal;

import dev.granular.in2.In2Config;
import dev.granular.in2.In2Design;
import dev.granular.in2.In2Job;

import dev.granular.files.RowTypes;
import dev.granular.files.ShardWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The writing of an {@link In2Engine}'s run, in three steps that a distributed engine spreads out:
 *
 * <ol>
 *   <li>Anywhere: the first draws ({@link In2Engines#draw}), kept where they were made.</li>
 *   <li>Here, in index order from {@link #from()}: each draw's {@link In2Draw#key() key} (its normalised question)
 *   decides whether it is kept or, when its question repeats an earlier one, drawn again ({@link #decide}, which
 *   draws it again here: rare, and sequential by definition).</li>
 *   <li>Anywhere that sees the output folder: the rows of one shard, with the examples drawn again in place of
 *   their first draws, written into {@link #staging()} ({@link #write}); then here, in shard order, each piece is
 *   moved into {@code data/} ({@link #publish}), so the shards on disk stay contiguous and a stopped run
 *   resumes.</li>
 * </ol>
 *
 * <p>A shard's piece is {@code [from, to)} with {@code to} the next shard boundary (or the end) and {@code from}
 * that shard's start, or {@link #from()} for the shard a resumed run continues: {@link #pieces()}.
 */
public final class In2Assembly {
    private final In2Design design;
    private final Redraw redraw;
    private final ShardWriter writer;
    private final Path staging;
    private final Set<String> seen;
    private final ContextIdsFile ids;
    private final In2Job.Listener listener;
    private final long from;
    /** The report's counts of the pieces published, or null once one came without (or the run resumed). */
    private In2Report.Tally tally;
    /** The types of the records of the pieces published, for the dataset card (with {@link #tally}). */
    private final RowTypes types = new RowTypes();
    private long decided;
    private long repeated;

    /** The design's redraw of a repeated question ({@code In2Design}'s own, which its package keeps to itself). */
    @FunctionalInterface
    public interface Redraw {
        Generated redrawRepeat(long index, Set<String> seen);
    }

    public In2Assembly(In2Design design, Redraw redraw, ShardWriter writer, Path staging, Set<String> seen, ContextIdsFile ids,
                       In2Job.Listener listener, boolean tallies) {
        this.design = design;
        this.redraw = redraw;
        this.writer = writer;
        this.staging = staging;
        this.seen = seen;
        this.ids = ids;
        this.listener = listener;
        this.from = writer.start();
        this.decided = from;
        this.tally = tallies ? In2Report.Tally.ofShard(design.config()) : null;
        try {
            dev.granular.files.OutputDirectory.deleteTree(staging); // pieces of a stopped run are drawn again
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + staging, e);
        }
    }

    /** The first index to write (after the records a stopped run left). */
    public long from() {
        return from;
    }

    /** The number of examples. */
    public long size() {
        return design.size();
    }

    public int shardSize() {
        return writer.shardSize();
    }

    /** Whether the pieces keep the context ids ({@code --chat-template}). */
    public boolean keepsIds() {
        return ids != null;
    }

    /** The folder the pieces are written into: in the output folder's work files, so on its file system. */
    public Path staging() {
        return staging;
    }

    /** The pieces' {@code [from, to)}, in order: one per shard, the first starting at {@link #from()}. */
    public java.util.List<long[]> pieces() {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        int shard = shardSize();
        for (long lo = from; lo < size(); ) {
            long hi = Math.min(size(), (lo / shard + 1) * shard);
            out.add(new long[]{lo, hi});
            lo = hi;
        }
        return out;
    }

    /**
     * Here, once per example in index order from {@link #from()}: null when the draw of {@code key} is kept, else
     * the example drawn again because its question repeats an earlier one ({@link In2Design#redrawRepeat}); write
     * it in its place.
     */
    public In2Draw decide(In2Draw.Key key) {
        if (key.index() != decided) {
            throw new IllegalStateException("example " + key.index() + " came where " + decided + " was due");
        }
        decided++;
        String q = key.question();
        if (q == null) {
            return null;
        }
        if (!seen.contains(q)) {
            seen.add(q);
            return null;
        }
        int before = seen.size();
        Generated g = redraw.redrawRepeat(key.index(), seen);
        if (seen.size() == before) {
            repeated++; // the redraws ran out: the record keeps a question asked before, and the report counts it
        }
        return In2Draw.of(key.index(), g);
    }

    /**
     * Anywhere (a task): writes the rows {@code [from, to)} from {@code draws} (their first draws, in index order),
     * with {@code redrawn} (by index, from {@link #decide}) in place of theirs, into {@code staging} as one piece.
     *
     * @param config the design's configuration ({@link In2Design#config()}), for the report's counts
     * @param ids    whether to keep the context ids ({@link #keepsIds()})
     */
    public static Piece write(Path staging, In2Config config, long from, long to, Iterator<In2Draw> draws,
                              Map<Long, In2Draw> redrawn, boolean ids) {
        In2Report.Tally tally = In2Report.Tally.ofShard(config);
        RowTypes types = new RowTypes();
        long next = from;
        long tokens = 0;
        long entries = 0;
        String name = "piece-" + String.format("%012d", from);
        // Under a name of this attempt, moved into place when whole: a retried or speculative task writes the same bytes.
        String attempt = "." + UUID.randomUUID() + ".tmp";
        Path lines = staging.resolve(name + ".jsonl");
        Path idsFile = staging.resolve(name + ".ids");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(staging.resolve(name + ".jsonl" + attempt)), 1 << 20);
             OutputStream idsOut = ids ? new BufferedOutputStream(Files.newOutputStream(staging.resolve(name + ".ids" + attempt)), 1 << 20)
                     : OutputStream.nullOutputStream()) {
            while (draws.hasNext()) {
                In2Draw d = draws.next();
                if (d.index() != next || next >= to) {
                    throw new IllegalStateException("example " + d.index() + " came where " + next + " was due (piece " + from + "-" + to + ")");
                }
                In2Draw r = redrawn.getOrDefault(d.index(), d);
                out.write(r.jsonBytes());
                out.write('\n');
                if (ids && r.contextIds() != null) {
                    idsOut.write(r.contextIds());
                    entries++;
                }
                tally.add(r.counted());
                types.add(r.jsonBytes());
                tokens += r.contextTokens();
                next++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + lines, e);
        }
        if (next != to) {
            throw new IllegalStateException("piece " + from + "-" + to + " ended at example " + next);
        }
        try {
            move(staging.resolve(name + ".jsonl" + attempt), lines);
            if (ids) {
                move(staging.resolve(name + ".ids" + attempt), idsFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + lines, e);
        }
        return new Piece(from, to, lines.getFileName().toString(), ids ? idsFile.getFileName().toString() : null, entries, tokens, tally,
                types);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Here, in order: adds a piece {@link #write} wrote to the data (a whole shard is moved into place; the rest
     * of the shard a resumed run continues is appended to it), its context ids to {@code tokens/}, its counts to
     * the report's, its records' types to the dataset card's.
     */
    public void publish(Piece piece) {
        if (piece.from() != writer.next() || piece.to() > decided) {
            throw new IllegalStateException("piece " + piece.from() + "-" + piece.to() + " came where record " + writer.next()
                    + " was due (" + decided + " decided)");
        }
        Path lines = staging.resolve(piece.lines());
        if (piece.from() % shardSize() == 0) {
            writer.appendShard(lines, piece.to() - piece.from());
        } else {
            try (var in = Files.lines(lines, StandardCharsets.UTF_8)) {
                in.forEach(writer::write);
                Files.delete(lines);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + lines, e);
            }
        }
        if (ids != null) {
            Path file = staging.resolve(piece.ids());
            ids.addFile(file, piece.idsEntries());
            try {
                Files.delete(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + file, e);
            }
        }
        if (tally != null) {
            tally.addAll(piece.tally());
            types.addAll(piece.types());
        }
        listener.progress(piece.to() - piece.from(), piece.contextTokens());
    }

    /**
     * Here, the path of an engine that brings every draw (not only its key): decides and writes each in index
     * order (the default {@link In2Engine#assemble}). No report counts: the report reads the data back.
     */
    public void writeInOrder(Iterator<In2Draw> draws) {
        tally = null;
        while (draws.hasNext()) {
            In2Draw d = draws.next();
            In2Draw again = decide(d.key());
            In2Draw r = again != null ? again : d;
            if (ids != null) {
                ids.addEncoded(r.contextIds());
            }
            writer.write(r.json());
            listener.progress(1, r.contextTokens());
        }
    }

    /** The number of records this assembly wrote; throws when it did not reach the end. */
    public long finish(String engine) {
        if (writer.next() != size() || decided != size()) {
            throw new IllegalStateException("the " + engine + " engine stopped at example " + writer.next() + " of " + size());
        }
        return size() - from;
    }

    /**
     * The report's counts of a fresh run's records (and their types, for the dataset card), when every piece brought
     * its own; else null (read them back).
     */
    public In2Report.Tally tally() {
        if (tally != null) {
            tally.repeated(repeated);
            tally.rowTypes(types);
        }
        return tally;
    }

    /**
     * One shard's rows (or the rest of the shard a resumed run continues), written into {@link #staging()}.
     * Serializable, for a task to send back; opaque.
     */
    public static final class Piece implements Serializable {
        private static final long serialVersionUID = 1L;
        private final long from;
        private final long to;
        private final String lines;
        private final String ids;
        private final long idsEntries;
        private final long contextTokens;
        private final In2Report.Tally tally;
        private final RowTypes types;

        Piece(long from, long to, String lines, String ids, long idsEntries, long contextTokens, In2Report.Tally tally, RowTypes types) {
            this.types = types;
            this.from = from;
            this.to = to;
            this.lines = lines;
            this.ids = ids;
            this.idsEntries = idsEntries;
            this.contextTokens = contextTokens;
            this.tally = tally;
        }

        /** Its first index. */
        public long from() {
            return from;
        }

        /** The index after its last. */
        public long to() {
            return to;
        }

        String lines() {
            return lines;
        }

        String ids() {
            return ids;
        }

        long idsEntries() {
            return idsEntries;
        }

        long contextTokens() {
            return contextTokens;
        }

        public In2Report.Tally tally() {
            return tally;
        }

        RowTypes types() {
            return types;
        }
    }
}
