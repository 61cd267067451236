package dev.granular.corpus;

import java.util.Objects;

/**
 * How {@link Corpus#files(java.util.List, CorpusOptions)} reads its files.
 *
 * @param textField the JSONL field / Parquet column that holds a document's text
 * @param onBadRow  what to do with a bad row; whole-file problems (a missing, unreadable or
 *                  corrupt file) fail whatever this says
 */
public record CorpusOptions(String textField, BadRowPolicy onBadRow) {
    /** The default text field, {@code "text"}. */
    public static final String DEFAULT_TEXT_FIELD = "text";

    public CorpusOptions {
        Objects.requireNonNull(textField, "textField");
        Objects.requireNonNull(onBadRow, "onBadRow");
        if (textField.isBlank()) {
            throw new IllegalArgumentException("textField must not be blank");
        }
    }

    /** Text in {@code "text"}, failing on the first bad row. */
    public static CorpusOptions defaults() {
        return new CorpusOptions(DEFAULT_TEXT_FIELD, BadRowPolicy.FAIL);
    }

    /** A copy with another bad-row policy. */
    public CorpusOptions withOnBadRow(BadRowPolicy policy) {
        return new CorpusOptions(textField, policy);
    }

    /** A copy with another text field. */
    public CorpusOptions withTextField(String field) {
        return new CorpusOptions(field, onBadRow);
    }
}
