package dev.granular.teacher;

/**
 * Progress of a command that sends rows to models (generate, distill, self-correct, eval):
 * stages of rows, each row finishing. Called from many threads.
 */
public interface RowListener {
    RowListener NONE = new RowListener() {
    };

    /** A stage begins with {@code total} rows, {@code alreadyDone} of them finished by an earlier run. */
    default void stage(String name, long total, long alreadyDone) {
    }

    /** A row finished (ok or failed); {@code status} is a short line: money so far and errors. */
    default void finished(boolean ok, long tokens, String status) {
    }

    /**
     * As {@link #finished(boolean, long, String)}, for a row whose request took {@code retries}
     * retries (attempts after the first), so progress can show them.
     */
    default void finished(boolean ok, long tokens, int retries, String status) {
        finished(ok, tokens, status);
    }
}
