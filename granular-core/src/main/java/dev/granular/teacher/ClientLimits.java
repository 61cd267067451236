package dev.granular.teacher;

import dev.granular.io.InvalidConfigException;
import java.time.Duration;

/**
 * How hard a run may press a model server: none of these settings changes what a reply says, so none is part of a
 * cache key or of a run's identity (a rerun with other limits resumes the same output folder). Errors name the
 * component ({@code ${concurrency}}); the CLI shows its flags ({@code --concurrency}, {@code --teacher-concurrency}).
 *
 * <pre>{@code
 * ClientLimits limits = ClientLimits.DEFAULT.withConcurrency(8).withMaxRetries(3).withTimeout(Duration.ofSeconds(30));
 * }</pre>
 *
 * @param concurrency   most requests in flight (it adapts down on 429 and overload replies, then back up)
 * @param rpm           requests per minute, or 0 for no limit
 * @param tpm           tokens per minute, or 0 for no limit
 * @param maxRetries    retries per request after the first attempt
 * @param timeout       per attempt
 * @param schemaRetries re-asks after a reply fails its JSON Schema
 * @param batch         the batch API settings ({@code --batch}), or null to send each request on its own
 */
public record ClientLimits(int concurrency, int rpm, int tpm, int maxRetries, Duration timeout, int schemaRetries,
                           BatchSettings batch) {
    /** The CLI's defaults: 64 in flight, no rate limits, 8 retries, 120 s per attempt, 2 schema re-asks, no batch API. */
    public static final ClientLimits DEFAULT = new ClientLimits(64, 0, 0, 8, Duration.ofSeconds(120), 2);

    public ClientLimits {
        if (concurrency < 1) {
            throw new InvalidConfigException("${concurrency} must be at least 1, got " + concurrency);
        }
        for (int i = 0; i < 4; i++) {
            int v = new int[] {rpm, tpm, maxRetries, schemaRetries}[i];
            if (v < 0) {
                String field = new String[] {"rpm", "tpm", "maxRetries", "schemaRetries"}[i];
                throw new InvalidConfigException("${" + field + "} must not be negative, got " + v);
            }
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidConfigException("${timeout} must be a positive duration, got " + timeout);
        }
    }

    public ClientLimits(int concurrency, int rpm, int tpm, int maxRetries, Duration timeout, int schemaRetries) {
        this(concurrency, rpm, tpm, maxRetries, timeout, schemaRetries, null);
    }

    /**
     * These limits sending through the batch API: the concurrency (which sizes every job's window of rows waiting
     * for replies) grows to {@link BatchSettings#inFlight()}, so that batches fill. Null sends each request on its own.
     */
    public ClientLimits withBatch(BatchSettings settings) {
        if (settings == null) {
            return new ClientLimits(concurrency, rpm, tpm, maxRetries, timeout, schemaRetries, null);
        }
        return new ClientLimits(Math.max(concurrency, settings.inFlight()), rpm, tpm, maxRetries, timeout, schemaRetries, settings);
    }

    public ClientLimits withConcurrency(int v) {
        return new ClientLimits(v, rpm, tpm, maxRetries, timeout, schemaRetries, batch);
    }

    public ClientLimits withRpm(int v) {
        return new ClientLimits(concurrency, v, tpm, maxRetries, timeout, schemaRetries, batch);
    }

    public ClientLimits withTpm(int v) {
        return new ClientLimits(concurrency, rpm, v, maxRetries, timeout, schemaRetries, batch);
    }

    public ClientLimits withMaxRetries(int v) {
        return new ClientLimits(concurrency, rpm, tpm, v, timeout, schemaRetries, batch);
    }

    public ClientLimits withTimeout(Duration v) {
        return new ClientLimits(concurrency, rpm, tpm, maxRetries, v, schemaRetries, batch);
    }

    public ClientLimits withSchemaRetries(int v) {
        return new ClientLimits(concurrency, rpm, tpm, maxRetries, timeout, v, batch);
    }
}
