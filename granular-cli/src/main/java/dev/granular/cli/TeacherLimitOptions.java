package dev.granular.cli;

import dev.granular.teacher.ClientLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The teacher's operational limits for commands whose only model is a teacher ({@code distill},
 * {@code in2 --qa teacher}). None of them changes the data.
 */
final class TeacherLimitOptions {
    @Option(names = "--api-key-env", paramLabel = "NAME", description = "Environment variable holding the teacher's API key.")
    String apiKeyEnv;

    @Option(names = "--teacher-concurrency", defaultValue = "64", paramLabel = "N",
            description = "Teacher requests in flight (adapts down on 429). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--teacher-rpm", defaultValue = "0", paramLabel = "N", description = "Teacher requests per minute (0: no limit).")
    int rpm;

    @Option(names = "--teacher-tpm", defaultValue = "0", paramLabel = "N", description = "Teacher tokens per minute (0: no limit).")
    int tpm;

    @Option(names = "--teacher-max-retries", defaultValue = "8", paramLabel = "N",
            description = "Retries per teacher request. Default: ${DEFAULT-VALUE}.")
    int maxRetries;

    @Option(names = "--teacher-timeout", defaultValue = "120s", paramLabel = "DURATION", converter = GenerateCommand.DurationConverter.class,
            description = "Per teacher request attempt. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    /** The limits, with two re-asks for replies that fail a JSON schema. */
    ClientLimits limits() {
        return ConfigFlags.limits("teacher-", () -> new ClientLimits(concurrency, rpm, tpm, maxRetries, timeout, 2));
    }
}
