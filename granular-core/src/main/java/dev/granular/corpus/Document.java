package dev.granular.corpus;

import java.util.Objects;

/**
 * One document of a corpus.
 *
 * @param id     a stable identifier: the file's path relative to the corpus root for text
 *               files, {@code path:line} (or the row's own {@code id} field) for JSONL rows,
 *               {@code path#row} for Parquet rows
 * @param text   the text, never null; may be empty (readers decide whether that is an error)
 * @param origin where it came from, {@code file} or {@code file:line}, for error messages
 */
public record Document(String id, String text, String origin) {
    public Document {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(origin, "origin");
    }
}
