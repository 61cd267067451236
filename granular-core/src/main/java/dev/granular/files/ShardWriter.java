package dev.granular.files;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Appends JSONL records to {@code part-NNNNN.jsonl} shards of a fixed size, by record index.
 *
 * <p>The shard being filled is a hidden {@code .part-NNNNN.jsonl.partial} file: readers of
 * {@code data/} never see it, and it is renamed into place only when full (or when the run
 * finishes). It doubles as the journal: every record is handed to the OS as soon as it is
 * written, so after a crash (kill -9 included) the complete lines survive; {@link #resume}
 * keeps them, drops a torn last line, and continues from the next index. Boundaries depend
 * only on the record index, so thread counts and resumes never move them.
 */
public final class ShardWriter implements AutoCloseable {
    private final Path dataDir;
    private final int shardSize;
    private final long start;
    private long next;
    private OutputStream out;

    private ShardWriter(Path dataDir, int shardSize, long start) {
        this.dataDir = dataDir;
        this.shardSize = shardSize;
        this.start = start;
        this.next = start;
    }

    /** Finds where the records on disk end and opens the shard to continue in. */
    static ShardWriter resume(Path dataDir, int shardSize) {
        try {
            Files.createDirectories(dataDir);
            List<Path> shards = new ArrayList<>();
            List<Path> partials = new ArrayList<>();
            try (Stream<Path> s = Files.list(dataDir)) {
                s.forEach(p -> {
                    String n = p.getFileName().toString();
                    if (n.matches("part-\\d{5,}\\.jsonl")) {
                        shards.add(p);
                    } else if (n.matches("\\.part-\\d{5,}\\.jsonl\\.partial")) {
                        partials.add(p);
                    }
                });
            }
            shards.sort(Comparator.comparing(p -> p.getFileName().toString()));
            for (int i = 0; i < shards.size(); i++) {
                if (OutputDirectory.shardIndex(shards.get(i)) != i) {
                    throw new IllegalStateException("shards in " + dataDir + " are not contiguous: missing part-"
                            + String.format("%05d", i) + ".jsonl");
                }
            }
            long done = (long) shards.size() * shardSize;
            if (!shards.isEmpty()) {
                long lastLines = countCompleteLines(shards.get(shards.size() - 1), false);
                if (lastLines < shardSize) {
                    // The final shard of a finished run may be short; nothing can follow it.
                    done = (long) (shards.size() - 1) * shardSize + lastLines;
                }
            }
            Path partial = partialPath(dataDir, (int) (done / shardSize));
            for (Path p : partials) {
                if (!p.equals(partial)) {
                    Files.delete(p);
                }
            }
            if (Files.exists(partial)) {
                done += countCompleteLines(partial, true);
            }
            return new ShardWriter(dataDir, shardSize, done);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume the data in " + dataDir, e);
        }
    }

    /** Counts lines ending with a newline; with {@code truncate}, cuts off a torn last line. */
    private static long countCompleteLines(Path file, boolean truncate) throws IOException {
        long lines = 0;
        long lastEnd = 0;
        long pos = 0;
        byte[] buf = new byte[1 << 16];
        try (var in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines++;
                        lastEnd = pos + i + 1;
                    }
                }
                pos += n;
            }
        }
        if (truncate && lastEnd < pos) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(lastEnd);
                ch.force(true);
            }
        }
        return lines;
    }

    /** Index of the first record this writer expects. */
    public long start() {
        return start;
    }

    /** Records per shard. */
    public int shardSize() {
        return shardSize;
    }

    /** Index of the next record. */
    public long next() {
        return next;
    }

    /** Appends one record (a JSON line without its newline). */
    public void write(String jsonLine) {
        try {
            if (out == null) {
                Path partial = partialPath(dataDir, (int) (next / shardSize));
                OutputDirectory.claim(partial);
                out = Files.newOutputStream(partial,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            }
            byte[] bytes = (jsonLine + "\n").getBytes(StandardCharsets.UTF_8);
            out.write(bytes);
            next++;
            if (next % shardSize == 0) {
                seal((int) ((next - 1) / shardSize));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dataDir, e);
        }
    }

    /**
     * Adds shard {@code next() / shardSize}, written whole elsewhere ({@code lines} records, each a line ending in a
     * newline, in a file on this file system): it is moved into place as the shard. Only at a shard boundary, and
     * only a full shard unless it is the last; records after it continue in the next shard.
     */
    public void appendShard(Path file, long lines) {
        if (out != null || next % shardSize != 0 || lines < 1 || lines > shardSize) {
            throw new IllegalStateException("a whole shard (1 to " + shardSize + " records) goes in at a shard boundary, not "
                    + lines + " records at record " + next);
        }
        try {
            int shard = (int) (next / shardSize);
            OutputDirectory.force(file);
            AtomicFiles.move(file, dataDir.resolve(String.format("part-%05d.jsonl", shard)));
            next += lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dataDir, e);
        }
    }

    /** Seals the last, short shard. Call once, after the last record. */
    public void finish() {
        try {
            if (next % shardSize != 0) {
                Path partial = partialPath(dataDir, (int) (next / shardSize));
                if (out != null || Files.exists(partial)) {
                    seal((int) (next / shardSize));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dataDir, e);
        }
    }

    private void seal(int shard) throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
        Path partial = partialPath(dataDir, shard);
        OutputDirectory.force(partial);
        AtomicFiles.move(partial, dataDir.resolve(String.format("part-%05d.jsonl", shard)));
    }

    private static Path partialPath(Path dataDir, int shard) {
        return dataDir.resolve(String.format(".part-%05d.jsonl.partial", shard));
    }

    /** Closes the open shard without sealing it: a later {@link #resume} continues it. */
    @Override
    public void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close a shard in " + dataDir, e);
            }
            out = null;
        }
    }
}
