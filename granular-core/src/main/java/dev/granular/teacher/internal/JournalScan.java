package dev.granular.teacher.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Reads a {@link Journal} file once, at open: where each success is, which rows failed, where the valid data ends. */
public final class JournalScan {
    final OffsetIndex offsets = new OffsetIndex();
    final Map<Long, String> failures = new HashMap<>();
    /** Bytes of complete, valid lines; anything after is a torn tail. */
    long end;

    /** One parsed journal line. */
    record Line(long index, long recordStart, long recordEnd, String failed) {
        /** The record's text within {@code line}'s bytes. */
        String record(byte[] line) {
            if (failed != null) {
                throw new IllegalStateException("line of row " + index + " is a failure");
            }
            return new String(line, (int) recordStart, (int) (recordEnd - recordStart), StandardCharsets.UTF_8);
        }
    }

    private JournalScan() {
    }

    static JournalScan read(Path file, FileChannel ch) throws IOException {
        JournalScan scan = new JournalScan();
        long size = ch.size();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
        byte[] line = new byte[1024];
        int len = 0;
        long pos = 0;
        long lineStart = 0;
        long lineNo = 0;
        while (pos < size) {
            chunk.clear();
            int n = ch.read(chunk, pos);
            if (n <= 0) {
                break;
            }
            for (int k = 0; k < n; k++) {
                byte b = chunk.get(k);
                if (b != '\n') {
                    if (len == line.length) {
                        line = Arrays.copyOf(line, len * 2);
                    }
                    line[len++] = b;
                    continue;
                }
                lineNo++;
                long next = pos + k + 1;
                Line parsed = tryParse(line, len);
                if (parsed == null) {
                    if (next < size) {
                        throw new BadInputException(file, lineNo, "not a journal line, and not the last one: the file was damaged; "
                                + "delete it to redo every row");
                    }
                    return scan;
                }
                scan.apply(parsed, lineStart);
                scan.end = next;
                lineStart = next;
                len = 0;
            }
            pos += n;
        }
        return scan;
    }

    private void apply(Line l, long lineStart) {
        if (l.failed() == null) {
            offsets.put(l.index(), lineStart);
            failures.remove(l.index());
        } else if (offsets.get(l.index()) < 0) {
            failures.put(l.index(), l.failed());
        }
    }

    private static Line tryParse(byte[] line, int len) {
        try {
            return parse(line, len);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Parses {@code {"i":N,"record":{...}}} or {@code {"i":N,"failed":{...}}}.
     *
     * @throws IOException              when it is not JSON
     * @throws IllegalArgumentException when it is JSON but not a journal line
     */
    static Line parse(byte[] line, int len) throws IOException {
        try (JsonParser p = Journal.json().createParser(line, 0, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not an object");
            }
            long index = -1;
            long recStart = -1;
            long recEnd = -1;
            String failed = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "i" -> {
                        if (t != JsonToken.VALUE_NUMBER_INT) {
                            throw new IllegalArgumentException("i is not an integer");
                        }
                        index = p.getLongValue();
                    }
                    case "record" -> {
                        requireObject(t);
                        recStart = p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        recEnd = p.currentTokenLocation().getByteOffset() + 1;
                    }
                    case "failed" -> {
                        requireObject(t);
                        long s = p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        long e = p.currentTokenLocation().getByteOffset() + 1;
                        failed = new String(line, (int) s, (int) (e - s), StandardCharsets.UTF_8);
                    }
                    default -> throw new IllegalArgumentException("unknown field " + name);
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IllegalArgumentException("trailing data");
            }
            if (index < 0 || (recStart < 0) == (failed == null)) {
                throw new IllegalArgumentException("needs i and exactly one of record, failed");
            }
            return new Line(index, recStart, recEnd, failed);
        }
    }

    private static void requireObject(JsonToken t) {
        if (t != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("not an object");
        }
    }
}
