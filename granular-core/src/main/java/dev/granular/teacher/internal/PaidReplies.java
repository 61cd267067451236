package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import java.util.Optional;

/**
 * Where {@link LlmClient} journals every billable reply the moment it arrives, before it is validated, cached or
 * made into a record: with its usage and cost, so that a run's spend is known after a crash, and by
 * {@link CacheKey} when it is valid, so that a request asked again (a resumed or reconfigured run, with or without
 * the response cache) is served from it instead of being paid for twice. {@link PaidRepliesFile} is the output
 * folder's implementation. Implementations are thread-safe.
 */
public interface PaidReplies {
    /** The raw reply journalled under {@code key}, if any (the latest one). */
    Optional<String> get(String key);

    /**
     * Journals a reply that was paid for.
     *
     * @param key   its request's {@link CacheKey}, or null when it may not be reused (it failed its JSON Schema)
     * @param usage what the server reported
     * @param usd   what it cost, 0 when the model has no price
     * @throws RuntimeException when it cannot be written (the run must stop: what it pays for would be lost)
     */
    void paid(String key, ModelSpec model, Usage usage, double usd, String raw);

    /**
     * Journals a reply that was paid for through a batch API ({@code "batch": true} on its line, {@code usd} at the
     * batch price). Stores that do not tell them apart journal it as {@link #paid}.
     */
    default void paidBatch(String key, ModelSpec model, Usage usage, double usd, String raw) {
        paid(key, model, usage, usd, raw);
    }

    /** None: nothing is journalled or found. */
    PaidReplies NONE = new PaidReplies() {
        @Override
        public Optional<String> get(String key) {
            return Optional.empty();
        }

        @Override
        public void paid(String key, ModelSpec model, Usage usage, double usd, String raw) {
        }
    };
}
