package dev.granular.teacher;

/**
 * The server refused the connection (or its host does not resolve) before it ever answered: a wrong URL or a
 * server that is not running. The run stops at once (exit code 1) instead of retrying every row.
 */
public class UnreachableServerException extends RuntimeException {
    public UnreachableServerException(String message) {
        super(message);
    }
}
