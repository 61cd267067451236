package dev.granular.io;

import java.nio.file.Path;

/**
 * Input the user can fix: a malformed file, a bad option value, a corpus too small.
 * The CLI maps it to exit code 2 and prints {@link #getMessage()}, which starts with
 * {@code file:line: } when a place in a file is known.
 */
public class BadInputException extends RuntimeException {
    private final String file;
    private final long line;

    /** A problem at {@code file:line} (line counts from 1; 0 means the whole file). */
    public BadInputException(String file, long line, String message) {
        super(prefix(file, line) + message);
        this.file = file;
        this.line = line;
    }

    public BadInputException(Path file, long line, String message) {
        this(file.toString(), line, message);
    }

    /** A problem not tied to a file, e.g. an option value. */
    public BadInputException(String message) {
        this((String) null, 0, message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
        this.file = null;
        this.line = 0;
    }

    /** The file, or null when the problem is not tied to one. */
    public String file() {
        return file;
    }

    /** The 1-based line, or 0 when not tied to a line. */
    public long line() {
        return line;
    }

    private static String prefix(String file, long line) {
        if (file == null) {
            return "";
        }
        return line > 0 ? file + ":" + line + ": " : file + ": ";
    }
}
