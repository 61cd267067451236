package dev.granular.corpus.reader;

import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.reader.CorpusReader;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one pass of a {@link CorpusReader} read.
 *
 * @param documents    documents handed to the consumer
 * @param skippedRows  rows skipped under {@link BadRowPolicy#SKIP}, by reason (the constants
 *                     of this class), sorted by reason; empty when none were skipped
 * @param filesRead    files opened and read
 * @param filesSkipped files inside a given directory that were skipped for an unknown extension
 * @param bytes        size on disk of the files read (compressed size for {@code .gz})
 */
public record CorpusStats(long documents, Map<String, Long> skippedRows, long filesRead,
                          long filesSkipped, long bytes) {
    /** Skip reason: a JSONL line that is not valid JSON. */
    public static final String MALFORMED_JSON = "malformed-json";
    /** Skip reason: a JSONL line that is valid JSON but not an object. */
    public static final String NOT_AN_OBJECT = "not-an-object";
    /** Skip reason: the text field is absent (or null). */
    public static final String MISSING_FIELD = "missing-field";
    /** Skip reason: the text field is not a string. */
    public static final String NOT_A_STRING = "not-a-string";
    /** Skip reason: the text is empty or whitespace only. */
    public static final String EMPTY_DOCUMENT = "empty-document";
    /** Skip reason: the bytes of the row (or text file) are not valid UTF-8. */
    public static final String INVALID_UTF8 = "invalid-utf8";

    public CorpusStats {
        skippedRows = Collections.unmodifiableMap(new TreeMap<>(skippedRows));
    }

    /** All skipped rows, whatever the reason. */
    public long skippedRowsTotal() {
        return skippedRows.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Rows skipped for {@code reason}, 0 when none. */
    public long skipped(String reason) {
        return skippedRows.getOrDefault(reason, 0L);
    }
}
