package dev.granular.record.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Remembers where each id was first seen, so a duplicate can point at both lines: the user
 * needs to see the pair to tell a repeated shard from two designs that chose the same ids.
 */
public final class IdRegistry {
    private record Origin(String file, long line) {
    }

    private final Map<String, Origin> seen = new HashMap<>();

    /**
     * Records {@code id} at {@code file:line}; returns null when it is new, else an error message
     * naming the first occurrence.
     */
    public String add(String id, String file, long line) {
        Origin first = seen.putIfAbsent(id, new Origin(file, line));
        if (first == null) {
            return null;
        }
        return "duplicate id \"" + id + "\" (first at " + first.file() + ":" + first.line() + ")";
    }
}
