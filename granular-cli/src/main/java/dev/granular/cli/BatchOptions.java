package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.BatchSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --batch}: every command that calls a model can send its requests through the provider's batch API instead
 * (OpenAI Batch, Anthropic Message Batches: half the price, replies within 24 hours). Used beside {@link SpendOptions}.
 * It changes how requests are sent, never what they ask, so it is no part of a run's identity: a run started in
 * batch mode can be resumed in real time and the other way round (see docs/batch.md).
 */
final class BatchOptions {
    @Option(names = "--batch",
            description = "Send requests through the provider's batch API (OpenAI Batch, Anthropic Message Batches): batch prices, "
                    + "replies within 24 h. Kill and rerun at any point: submitted batches are picked up, never paid twice. "
                    + "See docs/batch.md.")
    boolean batch;

    @Option(names = "--batch-poll", defaultValue = "60s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "With --batch: the longest wait between two status polls of a batch (polls start at 5s and double). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration poll;

    @Option(names = "--batch-linger", defaultValue = "2s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "With --batch: how long to wait for more requests before submitting a batch that is not full. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration linger;

    @Option(names = "--batch-size", defaultValue = "0", paramLabel = "N",
            description = "With --batch: most requests in one batch (0: the provider's limit, OpenAI 50,000, Anthropic 100,000).")
    int size;

    /** {@code limits} sending through the batch API when {@code --batch} is given, progress lines on standard error. */
    ClientLimits apply(ClientLimits limits) {
        if (!batch) {
            return limits;
        }
        if (poll.isNegative() || poll.isZero()) {
            throw new dev.granular.io.BadInputException("--batch-poll must be positive, got " + poll);
        }
        if (linger.isNegative() || size < 0) {
            throw new dev.granular.io.BadInputException("--batch-linger and --batch-size must not be negative");
        }
        return limits.withBatch(BatchSettings.DEFAULT.withMaxPoll(poll).withLinger(linger).withMaxRequests(size)
                .withProgress(line -> System.err.println("granular: " + line)));
    }
}
