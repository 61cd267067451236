package dev.granular.probe;

import dev.granular.io.BadInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The probing tasks. The three VAL tasks of the FILM paper each look at the context from a
 * different direction (document: both ways, code: backward, database: forward), so a model
 * that only reads one way fails one of them; needle is the classic single-fact grid.
 */
public enum ProbeTask {
    DOCUMENT(800),
    CODE(800),
    DATABASE(750),
    NEEDLE(0);

    private final int defaultPositions;

    ProbeTask(int defaultPositions) {
        this.defaultPositions = defaultPositions;
    }

    /** The paper's number of positions for this task (0 for needle, whose grid has no positions). */
    public int defaultPositions() {
        return defaultPositions;
    }

    /** The lower-case name used on the command line, in meta and in reports. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this is one of the three VAL-probing tasks that share the position/bin layout. */
    public boolean isVal() {
        return this != NEEDLE;
    }

    public static ProbeTask parse(String s) {
        for (ProbeTask t : values()) {
            if (t.id().equals(s)) {
                return t;
            }
        }
        throw new BadInputException("unknown task '" + s + "' (one of " + Arrays.stream(values()).map(ProbeTask::id).toList() + ")");
    }
}
