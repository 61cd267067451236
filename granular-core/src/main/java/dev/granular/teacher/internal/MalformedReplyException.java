package dev.granular.teacher.internal;

/** A 2xx body that is not a complete reply: malformed JSON, truncated, or missing fields. */
public class MalformedReplyException extends Exception {
    public MalformedReplyException(String message) {
        super(message);
    }
}
