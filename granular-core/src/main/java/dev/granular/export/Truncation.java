package dev.granular.export;

import java.util.Locale;

/** What the token export does with an example longer than {@code --max-length}. Trained text is never cut. */
public enum Truncation {
    /** Stop with exit code 2, naming the record. */
    ERROR,
    /** Leave the example out, with the reason, in rejected.jsonl. */
    DROP,
    /**
     * Shorten the longest untrained user message (IN2's long context) by removing whole
     * paragraphs from its middle-left, re-rendering until the example fits; drop it when even that
     * cannot make it fit.
     */
    LEFT_CONTEXT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Truncation byName(String name) {
        for (Truncation t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        return null;
    }
}
