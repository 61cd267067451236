package dev.granular.in2.internal;

import dev.granular.report.Json;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes {@code DIR/tokens/}: the exact token ids of every long IN2 context, so that {@code
 * export --format tokens} assembles those rows from stored ids instead of rendering and
 * tokenizing 4K–32K tokens of context again (see {@code dev.granular.export.ContextIds}, which
 * reads it).
 *
 * <p>{@code tokens/contexts.bin} holds one entry per single or multi record, in record order,
 * big-endian ints: the record's ordinal in the data files; the index of the message holding the
 * context and the UTF-16 offset and length of the context in its content; the UTF-16 offsets
 * (in the context) of its second and its last segment and their token offsets; the number of
 * ids {@code n}; then the {@code n} ids: the context's ids as they read after a paragraph break
 * (the first segment's ids here may differ from those in the rendered row, where the template's
 * text comes before it; the export takes only the ids between the second and the last segment,
 * the parts whose neighbours are paragraph breaks on both sides).
 *
 * <p>{@code tokens/meta.json} says what the ids are valid for: the tokenizer's name and
 * fingerprint, the chat template's fingerprint, and {@code records_sha256}, the fingerprint of
 * the data files as the export computes it; an export for which any of them differs ignores the
 * sidecar. It is written last, after the data files are final, so a killed run leaves no meta
 * and the sidecar is not used.
 */
public final class ContextIdsFile implements AutoCloseable {
    public static final String DIR = "tokens";
    static final String FILE = "contexts.bin";
    static final String META = "meta.json";
    /** The sidecar's format; the export reads only this one. */
    static final String FORMAT = "granular-context-ids/1";

    private final Path dir;
    private final DataOutputStream out;
    private long entries;

    private ContextIdsFile(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(META));
        dev.granular.files.OutputDirectory.claim(dir.resolve(FILE));
        dev.granular.files.OutputDirectory.claim(dir.resolve(META));
        this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(dir.resolve(FILE)), 1 << 20));
    }

    /** A fresh sidecar in {@code outDir/tokens/}, replacing any earlier one. */
    public static ContextIdsFile create(Path outDir) {
        try {
            return new ContextIdsFile(outDir.resolve(DIR));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + outDir.resolve(DIR), e);
        }
    }

    /** Removes {@code outDir/tokens/} (a resumed run has no ids for the records written before). */
    public static void delete(Path outDir) {
        Path d = outDir.resolve(DIR);
        try {
            Files.deleteIfExists(d.resolve(META));
            Files.deleteIfExists(d.resolve(FILE));
            Files.deleteIfExists(d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + d, e);
        }
    }

    /** Appends the context of record number {@code ordinal}. */
    public void add(long ordinal, Generated g) {
        addEncoded(encode(ordinal, g));
    }

    /**
     * The entry {@link #add} writes for record number {@code ordinal}, or null when there is none: computed
     * where the record is made (a Spark task), appended in order where the file is written.
     */
    static byte[] encode(long ordinal, Generated g) {
        Context c = g.context();
        if (c == null) {
            return null;
        }
        int n = c.segments().length;
        if (n < 2) {
            return null; // one segment: nothing between the seams, the export renders it whole
        }
        int[] ids = c.ids();
        // In bulk: an int at a time through a stream costs more than making the context.
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * (9 + ids.length)); // big-endian, as DataOutputStream
        bytes.putInt(Math.toIntExact(ordinal));
        bytes.putInt(g.message());
        bytes.putInt(g.start());
        bytes.putInt(c.text().length());
        bytes.putInt(c.charStarts()[1]);
        bytes.putInt(c.charStarts()[n - 1]);
        bytes.putInt(c.tokenStarts()[1]);
        bytes.putInt(c.tokenStarts()[n - 1]);
        bytes.putInt(ids.length);
        bytes.asIntBuffer().put(ids);
        return bytes.array();
    }

    /** Appends an entry of {@link #encode} (null: nothing). */
    void addEncoded(byte[] entry) {
        if (entry == null) {
            return;
        }
        try {
            out.write(entry);
            entries++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** Appends {@code entries} entries of {@link #encode} written, in order, to {@code file} elsewhere. */
    void addFile(Path file, long entries) {
        try {
            out.flush();
            Files.copy(file, out);
            this.entries += entries;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** Closes the ids and writes meta.json, which makes them usable. */
    public void finish(Map<String, Object> identity) {
        close();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("file", FILE);
        meta.put("entries", entries);
        meta.putAll(identity);
        try {
            Json.writeAtomically(dir.resolve(META), meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(META), e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }
}
