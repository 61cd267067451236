package dev.granular.teacher.internal;

/**
 * What became of one request. A bad reply is data, never an exception that kills a run.
 * Switches over it have no default, so a new variant must be handled everywhere.
 */
public sealed interface Outcome permits Outcome.Ok, Outcome.Failed {

    /** How many HTTP attempts were made (0 when served from the cache). */
    int attempts();

    /**
     * A usable reply.
     *
     * @param completion the parsed reply
     * @param raw        the raw response body, as cached
     * @param latencyMs  time of the successful attempt (0 when cached)
     * @param cached     whether it came from the response cache
     */
    record Ok(Completion completion, String raw, long latencyMs, boolean cached, int attempts) implements Outcome {
    }

    /**
     * No usable reply: the row fails and is kept for a rerun.
     *
     * @param kind    why
     * @param message the server's message or the validation error, never a key
     * @param status  the last HTTP status, or 0 when none
     */
    record Failed(FailureKind kind, String message, int status, int attempts) implements Outcome {
    }

    /** Why a request failed. */
    enum FailureKind {
        /** 400/404/422: the request itself is wrong; retrying will not help. */
        CLIENT_ERROR,
        /** 429, 5xx, timeouts or connection errors, still failing after every retry. */
        RETRIES_EXHAUSTED,
        /** The reply did not parse or did not satisfy the JSON schema, after re-asking. */
        INVALID_OUTPUT,
        /** Not sent: the cost budget would have been exceeded. */
        BUDGET
    }
}
