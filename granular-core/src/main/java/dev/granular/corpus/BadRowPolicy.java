package dev.granular.corpus;

/** What reading a {@link Corpus} from files does with a bad row (a malformed JSON line, a missing or empty text, ...). */
public enum BadRowPolicy {
    /** Stop at the first bad row with a {@link dev.granular.io.BadInputException}. */
    FAIL,
    /** Skip bad rows and count them by reason (what {@link Corpus#forEach} returns). */
    SKIP
}
