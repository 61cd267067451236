package dev.granular.teacher;

/** 401/403 from a server: the run stops at once (exit code 1), since every request would fail the same way. */
public class AuthenticationException extends RuntimeException {
    public AuthenticationException(String message) {
        super(message);
    }
}
