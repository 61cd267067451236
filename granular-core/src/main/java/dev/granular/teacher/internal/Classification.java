package dev.granular.teacher.internal;

/**
 * What to do about a failed attempt, decided from its HTTP status or transport error alone
 * (see {@link RetryPolicy#classify(int)} and {@link RetryPolicy#classify(Throwable)}).
 */
public enum Classification {
    /** Transient: rate limits, overload, server faults, timeouts. Back off and try again. */
    RETRY,
    /** The request itself is wrong (400, 404, 422, ...): the same request would fail again. */
    FAIL,
    /** 401/403: the key is wrong, so every request would fail; the run stops. */
    AUTH
}
