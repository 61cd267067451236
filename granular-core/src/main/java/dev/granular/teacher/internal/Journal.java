package dev.granular.teacher.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The record of finished rows of one output folder ({@code DIR/.granular/journal.jsonl}), always
 * on, so that a killed run resumes without asking a model again even under {@code --no-cache}.
 *
 * <p><b>Two journals, two lifetimes.</b> This file belongs to one run configuration: it is keyed by row
 * index, so it is discarded with the run when the configuration (or the input) changes, under
 * {@code --overwrite}. The replies themselves live in a second file,
 * {@code DIR/.granular/replies.jsonl} ({@link PaidRepliesFile}, {@link dev.granular.files.OutputDirectory#PAID_REPLIES}):
 * every billable reply, journalled the moment it arrives with its usage and cost, keyed by request identity
 * ({@link CacheKey}). That file is never deleted by granular, not even by {@code --overwrite} (a folder
 * holding it is never cleared without {@code --overwrite}), so a rerun with another configuration or an
 * edited input asks again only for the requests that changed, and a resumed run knows what its earlier
 * attempts spent. Whoever clears an output folder must keep it.
 *
 * <p>One JSON line per finished row: {@code {"i":INDEX,"record":{...}}} for a success,
 * {@code {"i":INDEX,"failed":{...}}} for a failure. The state of a row is its latest success,
 * else its latest failure: a later success overrides an earlier failure (a rerun fixed it), and a
 * row that succeeded stays done (a later failure of it is not recorded).
 *
 * <p>Memory: only a success's byte offset (in an {@link OffsetIndex}, about 32 bytes a row) and
 * the failures' reasons are kept; records are read back from the file by offset.
 *
 * <p>Durability: each append is one {@code write} to the file, done before {@link #success} or
 * {@link #failure} returns, so the bytes belong to the OS page cache at once. A process killed
 * with {@code kill -9} therefore loses nothing that was acknowledged, at worst the one line being
 * written, which {@link #open} truncates away. {@code force} (fsync) runs every {@code forceEvery}
 * appends and on {@link #close()}: after a power loss or kernel crash the lines since the last
 * force may be missing (those rows are simply redone), and a torn tail is truncated as above.
 * One process at a time writes a journal: the output folder's owner guarantees that.
 */
public final class Journal implements AutoCloseable {
    /** Appends between two fsyncs when the caller does not choose. */
    public static final int DEFAULT_FORCE_EVERY = 256;

    private static final JsonFactory JSON = new ObjectMapper().getFactory();

    private final Path file;
    private final FileChannel channel;
    private final FileWrites writes;
    private final int forceEvery;
    private final OffsetIndex offsets;
    private final Map<Long, String> failures;
    private long end;
    private int unforced;
    private boolean closed;

    private Journal(Path file, FileChannel channel, int forceEvery, JournalScan scan, FileWrites writes) {
        this.file = file;
        this.writes = writes;
        this.channel = channel;
        this.forceEvery = forceEvery;
        this.offsets = scan.offsets;
        this.failures = scan.failures;
        this.end = scan.end;
    }

    /** Opens {@code file} (creating it and its folder) with {@link #DEFAULT_FORCE_EVERY}. */
    public static Journal open(Path file) {
        return open(file, DEFAULT_FORCE_EVERY);
    }

    /**
     * Opens {@code file}, reading the rows already finished; a torn last line (no trailing newline,
     * or not a journal line) is truncated away.
     *
     * @param forceEvery appends between fsyncs (1: every append is on disk before it returns)
     * @throws BadInputException when a line other than the last is not a journal line (the file was
     *                           damaged by something other than a crash)
     */
    public static Journal open(Path file, int forceEvery) {
        return open(file, forceEvery, FileWrites.DIRECT);
    }

    /** {@link #open(Path, int)} writing through {@code writes} (tests inject a full disk). */
    public static Journal open(Path file, int forceEvery, FileWrites writes) {
        if (forceEvery < 1) {
            throw new IllegalArgumentException("forceEvery must be >= 1");
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                JournalScan scan = JournalScan.read(file, ch);
                if (scan.end < ch.size()) {
                    ch.truncate(scan.end);
                    ch.force(false);
                }
                return new Journal(file, ch, forceEvery, scan, writes);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the journal " + file, e);
        }
    }

    /** Whether row {@code i} succeeded (failed rows are not done: a rerun retries them). */
    public synchronized boolean done(long i) {
        return offsets.get(i) >= 0;
    }

    /**
     * Records that row {@code i} produced {@code recordJson} (one JSON object; line breaks in it,
     * which valid JSON allows only between tokens, become spaces).
     *
     * @throws IllegalArgumentException when {@code recordJson} is not one JSON object
     */
    public synchronized void success(long i, String recordJson) {
        String json = singleLineObject(recordJson, "record");
        long at = end;
        append("{\"i\":" + checkIndex(i) + ",\"record\":" + json + "}\n");
        offsets.put(i, at);
        failures.remove(i);
    }

    /**
     * Records that row {@code i} failed for {@code reasonJson} (one JSON object). Ignored when the
     * row already succeeded.
     *
     * @throws IllegalArgumentException when {@code reasonJson} is not one JSON object
     */
    public synchronized void failure(long i, String reasonJson) {
        String json = singleLineObject(reasonJson, "failure reason");
        if (offsets.get(checkIndex(i)) >= 0) {
            return;
        }
        append("{\"i\":" + i + ",\"failed\":" + json + "}\n");
        failures.put(i, json);
    }

    /** The record of row {@code i}, exactly as given to {@link #success} (line breaks aside), if it succeeded. */
    public Optional<String> record(long i) {
        long at;
        synchronized (this) {
            at = offsets.get(i);
        }
        if (at < 0) {
            return Optional.empty();
        }
        try {
            byte[] line = readLine(channel, at);
            return Optional.of(JournalScan.parse(line, line.length).record(line));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the journal " + file, e);
        }
    }

    /** Rows that succeeded. */
    /** Indices of the successful rows, ascending: the order records are written in. */
    public synchronized long[] successIndices() {
        long[] keys = offsets.keys();
        java.util.Arrays.sort(keys);
        return keys;
    }

    public synchronized long successes() {
        return offsets.size();
    }

    /** Rows whose latest state is a failure, by index, with their reasons (a copy). */
    public synchronized Map<Long, String> failures() {
        return new TreeMap<>(failures);
    }

    /** The journal file. */
    public Path file() {
        return file;
    }

    /** Forces the file to disk and closes it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (channel) {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the journal " + file, e);
        }
    }

    private void append(String line) {
        if (closed) {
            throw new IllegalStateException("the journal " + file + " is closed");
        }
        try {
            end = writes.writeFully(channel, line.getBytes(StandardCharsets.UTF_8), end);
            if (++unforced >= forceEvery) {
                channel.force(false);
                unforced = 0;
            }
        } catch (IOException e) {
            // The cause's own words ("No space left on device") are what the user needs to read, --verbose or not.
            throw new UncheckedIOException("cannot append to the journal " + file + ": " + e.getMessage(), e);
        }
    }

    /** The line of {@code channel} starting at {@code at}, without its newline. */
    static byte[] readLine(FileChannel channel, long at) throws IOException {
        byte[] out = new byte[512];
        int len = 0;
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        long pos = at;
        while (true) {
            chunk.clear();
            int n = channel.read(chunk, pos);
            if (n <= 0) {
                throw new IOException("line at byte " + at + " has no end");
            }
            for (int k = 0; k < n; k++) {
                byte b = chunk.get(k);
                if (b == '\n') {
                    return Arrays.copyOf(out, len);
                }
                if (len == out.length) {
                    out = Arrays.copyOf(out, len * 2);
                }
                out[len++] = b;
            }
            pos += n;
        }
    }

    private static long checkIndex(long i) {
        if (i < 0) {
            throw new IllegalArgumentException("row index must be >= 0: " + i);
        }
        return i;
    }

    /** {@code json} as one line, after checking it is exactly one JSON object. */
    static String singleLineObject(String json, String what) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("a journal " + what + " must be a JSON object");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("a journal " + what + " must be one JSON object, with nothing after it");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("a journal " + what + " is not valid JSON: " + e.getMessage(), e);
        }
        return json.indexOf('\n') < 0 && json.indexOf('\r') < 0 ? json : json.replace('\n', ' ').replace('\r', ' ');
    }

    static JsonFactory json() {
        return JSON;
    }
}
