package dev.granular.teacher;

import java.util.Objects;

/**
 * An API key. Its {@link #toString()} never shows the value, so a key that reaches a log
 * line, an exception message or a manifest by accident prints as {@code ***}.
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value);
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The key itself: only for the HTTP header that carries it. */
    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "***";
    }
}
