package dev.granular.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
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
 * The format is described in {@code dev.granular.in2.ContextIdsFile} and docs/export.md.
 *
 * <p>{@link #open} returns null (and the export takes the full path for every row) unless the
 * input is one directory whose {@code tokens/meta.json} has the known format and names the same
 * tokenizer fingerprint, chat template fingerprint and records fingerprint as the export's.
 */
final class ContextIds {
    static final String FORMAT = "granular-context-ids/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One stored context; offsets are UTF-16, relative to the context unless said otherwise. */
    record Entry(int message, int start, int length, int secondChar, int lastChar, int secondToken, int lastToken,
                 IntBuffer ids) {
        /** The ids between the second and the last segment (paragraph breaks on both sides). */
        int[] middle() {
            int[] out = new int[lastToken - secondToken];
            ids.get(secondToken, out);
            return out;
        }
    }

    private final Map<Long, Entry> byOrdinal;

    private ContextIds(Map<Long, Entry> byOrdinal) {
        this.byOrdinal = byOrdinal;
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
            Path file = dir.resolve(m.path("file").asText("contexts.bin"));
            MappedByteBuffer buf;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
            IntBuffer ints = buf.asIntBuffer();
            Map<Long, Entry> entries = new HashMap<>();
            int at = 0;
            while (at < ints.limit()) {
                long ordinal = ints.get(at);
                int n = ints.get(at + 8);
                IntBuffer ids = ints.slice(at + 9, n);
                entries.put(ordinal, new Entry(ints.get(at + 1), ints.get(at + 2), ints.get(at + 3), ints.get(at + 4), ints.get(at + 5),
                        ints.get(at + 6), ints.get(at + 7), ids));
                at += 9 + n;
            }
            if (entries.size() != m.path("entries").asLong(-1)) {
                why.append("incomplete ids file");
                return null;
            }
            return new ContextIds(entries);
        } catch (IOException | RuntimeException e) {
            why.append("unreadable: ").append(e.getMessage());
            return null;
        }
    }
}
