package dev.granular.cli;

import dev.granular.report.Json;
import dev.granular.teacher.SpendEstimate;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * {@code --dry-run} and {@code --dry-run-json}, shared by every command that calls a model: build the requests the run
 * would send, count and price them (each job's {@code estimate(spec)}), print the estimate, send and write nothing, exit 0.
 */
final class DryRunOptions {
    @Option(names = "--dry-run", description = "Count the requests, prompt and completion tokens and their cost (real-time "
            + "and batch) without sending or writing anything; requests already answered (cache, earlier attempts) are free.")
    boolean table;

    @Option(names = "--dry-run-json", description = "--dry-run, printed as one JSON object.")
    boolean json;

    /** Whether this is a dry run. */
    boolean on() {
        return table || json;
    }

    /** Prints {@code estimate} in the form asked for; returns the exit code. */
    int print(SpendEstimate estimate, PrintWriter out) {
        if (json) {
            out.println(Json.toCompactString(estimate.toJson()));
        } else {
            out.print(estimate.table());
        }
        out.flush();
        return Granular.OK;
    }
}
