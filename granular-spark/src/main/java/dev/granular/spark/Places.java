package dev.granular.spark;

import dev.granular.io.BadInputException;

import java.io.Serializable;
import java.util.List;

/**
 * How an error names a record's place {@code (file, line)}: {@code name:line} for a line of an input file, {@code row
 * n=17} for a record of a DataFrame ({@link RecordFrame}: file 0, line the order value).
 *
 * @param files  the input files' names by index, or null for a DataFrame
 * @param label  before the order value ({@code "row n="})
 * @param suffix after it
 */
record Places(List<String> files, String label, String suffix) implements Serializable {
    static Places files(List<String> names) {
        return new Places(List.copyOf(names), null, null);
    }

    static Places frame(RecordFrame records) {
        return records.order() == null ? new Places(null, "row ", " (monotonically_increasing_id)")
                : new Places(null, "row " + records.order() + "=", "");
    }

    boolean frame() {
        return files == null;
    }

    String at(int file, long line) {
        return files != null ? files.get(file) + ":" + line : label + line + suffix;
    }

    BadInputException error(int file, long line, String message) {
        return files != null ? new BadInputException(files.get(file), line, message) : new BadInputException(at(file, line), 0, message);
    }
}
