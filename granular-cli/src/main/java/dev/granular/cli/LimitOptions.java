package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The operational limits of a command that calls one model ({@code generate}, {@code eval}):
 * concurrency, rates, retries, timeout, and where the key is. None of them changes the data.
 */
final class LimitOptions {
    @Option(names = "--api-key-env", paramLabel = "NAME", description = "Environment variable holding the API key.")
    String apiKeyEnv;

    @Option(names = "--concurrency", defaultValue = "64", paramLabel = "N",
            description = "Most requests in flight (adapts down on 429). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--rpm", defaultValue = "0", paramLabel = "N", description = "Requests per minute (0: no limit).")
    int rpm;

    @Option(names = "--tpm", defaultValue = "0", paramLabel = "N", description = "Tokens per minute (0: no limit).")
    int tpm;

    @Option(names = "--max-retries", defaultValue = "8", paramLabel = "N", description = "Retries per request. Default: ${DEFAULT-VALUE}.")
    int maxRetries;

    @Option(names = "--timeout", defaultValue = "120s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "Per attempt, e.g. 120s, 2m, 500ms. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    /** The limits, with two re-asks for replies that fail a JSON schema. */
    ClientLimits limits() {
        return ConfigFlags.limits("", () -> new ClientLimits(concurrency, rpm, tpm, maxRetries, timeout, 2));
    }
}
