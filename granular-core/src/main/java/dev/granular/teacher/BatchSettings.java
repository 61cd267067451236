package dev.granular.teacher;

import dev.granular.teacher.internal.BatchDispatcher;
import dev.granular.teacher.internal.LlmClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * How {@link LlmClient} sends through a provider's batch API ({@code --batch}) instead of one HTTP request per reply.
 * None of it changes what a reply says, so none of it is part of a cache key or a run's identity.
 *
 * @param linger          how long the {@link BatchDispatcher} waits for more requests after the last one came before
 *                        submitting what it has (a full batch goes at once)
 * @param pollInterval    the first wait between two status polls of a submitted batch; it doubles up to
 *                        {@code maxPollInterval}
 * @param maxPollInterval the longest wait between two polls ({@code --batch-poll})
 * @param maxRequests     most requests per batch, 0 for the provider's limit (OpenAI 50,000, Anthropic 100,000)
 * @param maxBytes        most bytes per batch (the uploaded file, or the request body), 0 for the provider's limit
 *                        (OpenAI 200 MB, Anthropic 256 MB)
 * @param inFlight        most requests a job keeps waiting for replies at once: the jobs' windows grow to this in
 *                        batch mode (a batch of 64 requests would be no batch at all)
 * @param journal         the batches journal, or null for {@code batches.jsonl} beside the output folder's paid replies
 * @param progress        where a line goes each time a batch is submitted, changes status or is downloaded
 */
public record BatchSettings(Duration linger, Duration pollInterval, Duration maxPollInterval, int maxRequests, long maxBytes,
                            int inFlight, Path journal, Consumer<String> progress) {
    /** Production defaults: linger 2 s, polls from 5 s doubling to 60 s, the providers' own limits, 100,000 in flight. */
    public static final BatchSettings DEFAULT = new BatchSettings(Duration.ofSeconds(2), Duration.ofSeconds(5),
            Duration.ofSeconds(60), 0, 0, 100_000, null, line -> { });

    public BatchSettings {
        if (maxRequests < 0 || maxBytes < 0 || inFlight < 1) {
            throw new dev.granular.io.BadInputException("batch limits must not be negative");
        }
        if (pollInterval.compareTo(maxPollInterval) > 0) {
            pollInterval = maxPollInterval;
        }
        progress = progress == null ? line -> { } : progress;
    }

    /** These settings with polls waiting at most {@code d} ({@code --batch-poll}). */
    public BatchSettings withMaxPoll(Duration d) {
        return new BatchSettings(linger, pollInterval, d, maxRequests, maxBytes, inFlight, journal, progress);
    }

    /** These settings waiting {@code d} for more requests before submitting a batch that is not full ({@code --batch-linger}). */
    public BatchSettings withLinger(Duration d) {
        return new BatchSettings(d, pollInterval, maxPollInterval, maxRequests, maxBytes, inFlight, journal, progress);
    }

    /** These settings with at most {@code n} requests a batch ({@code --batch-size}; 0 for the provider's limit). */
    public BatchSettings withMaxRequests(int n) {
        return new BatchSettings(linger, pollInterval, maxPollInterval, n, maxBytes, inFlight, journal, progress);
    }

    public BatchSettings withProgress(Consumer<String> p) {
        return new BatchSettings(linger, pollInterval, maxPollInterval, maxRequests, maxBytes, inFlight, journal, p);
    }
}
