package dev.granular.in2;

import java.util.Locale;

/** The four kinds of IN2 examples, as the paper mixes them. */
public enum ExampleKind {
    /** Fine-grained awareness: one key segment at a random depth of a long context. */
    SINGLE,
    /** Integration: all segments of one document spread over a long context; the question needs two. */
    MULTI,
    /** Short QA: the source document alone is the context. */
    SHORT,
    /** General instruction data copied from {@code --general}, to keep short-context skills. */
    GENERAL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ExampleKind fromWire(String s) {
        for (ExampleKind k : values()) {
            if (k.wireName().equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException(s);
    }
}
