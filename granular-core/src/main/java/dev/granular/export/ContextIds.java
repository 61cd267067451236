package dev.granular.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.IntBuffer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The context ids an IN2 run kept in {@code DIR/tokens/} ({@code granular in2 --chat-template}),
 * read by {@code export --format tokens} to assemble long rows without tokenizing their contexts.
 * The format is described in {@code dev.granular.in2.internal.ContextIdsFile} and docs/export.md.
 *
 * <p>{@link #open} returns null (and the export takes the full path for every row) unless the
 * input is one directory whose {@code tokens/meta.json} has the known format and names the same
 * tokenizer fingerprint, chat template fingerprint and records fingerprint as the export's.
 */
final class ContextIds implements AutoCloseable {
    static final String FORMAT = "granular-context-ids/1";
    /** Ints before each entry's ids: ordinal, message, start, length, second/last char, second/last token, count. */
    private static final int HEADER_INTS = 9;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One stored context; offsets are UTF-16, relative to the context unless said otherwise.
     *
     * @param idsAt where its ids begin in the file, in bytes
     */
    record Entry(int message, int start, int length, int secondChar, int lastChar, int secondToken, int lastToken,
                 FileChannel file, long idsAt) {
        /** The ids between the second and the last segment (paragraph breaks on both sides). */
        int[] middle() {
            // Positional reads: thread-safe, and no mapping, which Java limits to 2 GB (FILM-scale files are ~80 GB).
            ByteBuffer bytes = ByteBuffer.allocate(4 * (lastToken - secondToken));
            long at = idsAt + 4L * secondToken;
            try {
                while (bytes.hasRemaining()) {
                    int n = file.read(bytes, at + bytes.position());
                    if (n < 0) {
                        throw new IOException("unexpected end of file");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the kept context ids", e);
            }
            int[] out = new int[lastToken - secondToken];
            bytes.flip().asIntBuffer().get(out);
            return out;
        }
    }

    private final Map<Long, Entry> byOrdinal;
    private final FileChannel file;

    private ContextIds(Map<Long, Entry> byOrdinal, FileChannel file) {
        this.byOrdinal = byOrdinal;
        this.file = file;
    }

    /** Closes the ids file. */
    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // read-only: nothing is lost
        }
    }

    /** The entry for record number {@code ordinal} (0-based, in input order), or null. */
    Entry get(long ordinal) {
        return byOrdinal.get(ordinal);
    }

    int size() {
        return byOrdinal.size();
    }

    /** The {@code n} smallest ordinals with ids, sorted. */
    long[] first(int n) {
        return byOrdinal.keySet().stream().mapToLong(Long::longValue).sorted().limit(n).toArray();
    }

    /**
     * The sidecar of {@code in} when it matches, else null.
     *
     * @param why receives the reason a present sidecar is not used (for the summary), if any
     */
    static ContextIds open(List<Path> in, String tokenizerFingerprint, String templateFingerprint, String recordsSha256,
                           StringBuilder why) {
        if (in.size() != 1 || !Files.isDirectory(in.get(0))) {
            return null;
        }
        Path dir = in.get(0).resolve("tokens");
        Path meta = dir.resolve("meta.json");
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        try {
            JsonNode m = JSON.readTree(meta.toFile());
            String mismatch = !FORMAT.equals(m.path("format").asText()) ? "format " + m.path("format").asText()
                    : !tokenizerFingerprint.equals(m.path("tokenizer_fingerprint").asText()) ? "another tokenizer"
                    : !templateFingerprint.equals(m.path("chat_template_fingerprint").asText()) ? "another chat template"
                    : !recordsSha256.equals(m.path("records_sha256").asText()) ? "the records changed since" : null;
            if (mismatch != null) {
                why.append(mismatch);
                return null;
            }
            FileChannel ch = FileChannel.open(dir.resolve("contexts.bin"), StandardOpenOption.READ);
            try {
                // The index: each entry's header, skipping its ids.
                Map<Long, Entry> entries = new HashMap<>();
                long size = ch.size();
                long at = 0;
                ByteBuffer header = ByteBuffer.allocate(HEADER_INTS * 4);
                while (at < size) {
                    header.clear();
                    while (header.hasRemaining()) {
                        if (ch.read(header, at + header.position()) < 0) {
                            throw new IOException("truncated entry at byte " + at);
                        }
                    }
                    IntBuffer h = header.flip().asIntBuffer();
                    int n = h.get(8);
                    long idsAt = at + HEADER_INTS * 4L;
                    entries.put((long) h.get(0), new Entry(h.get(1), h.get(2), h.get(3), h.get(4), h.get(5), h.get(6), h.get(7), ch, idsAt));
                    at = idsAt + 4L * n;
                }
                if (at != size || entries.size() != m.path("entries").asLong(-1)) {
                    why.append("incomplete ids file");
                    ch.close();
                    return null;
                }
                return new ContextIds(entries, ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            why.append("unreadable: ").append(e.getMessage());
            return null;
        }
    }
}
