package dev.granular.cli;

import dev.granular.teacher.internal.ResponseCache;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every command that calls a model shares: where replies are cached, and what a run
 * may spend. None of them changes the data, so none is part of a run's identity.
 */
final class SpendOptions {
    @Option(names = "--cache", paramLabel = "PATH",
            description = "Response cache file. Default: $GRANULAR_CACHE or ~/.cache/granular/responses.sqlite.")
    Path cache;

    @Option(names = "--no-cache",
            description = "Do not read or write the response cache (the output folder's journal still makes reruns resume).")
    boolean noCache;

    @Option(names = "--max-cost", paramLabel = "USD",
            description = "Stop cleanly (exit 3) before spending more; rerun with a larger budget to continue.")
    Double maxCost;

    @Option(names = "--prices", paramLabel = "FILE", description = "Prices per 1M tokens overriding the built-in table (JSON or YAML).")
    Path prices;

    /** The cache file to use, or null for none. */
    Path cachePath() {
        return noCache ? null : cache != null ? cache : ResponseCache.defaultLocation(System.getenv());
    }
}
