package dev.granular.export;

import java.util.Map;

/**
 * What became of one record: a row in the target format, or a refusal. The rule for every
 * format is exact or refused: a record whose loss mask the format cannot carry is never
 * approximated.
 */
public sealed interface Exported permits Exported.Row, Exported.Rejected {

    /** A row of the target format (a JSON object as a map, insertion order kept). */
    record Row(Map<String, Object> row) implements Exported {
    }

    /** Refused, with a reason a person can act on. */
    record Rejected(String reason) implements Exported {
    }
}
