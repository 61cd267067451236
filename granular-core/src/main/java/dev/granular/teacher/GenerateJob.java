package dev.granular.teacher;

import dev.granular.teacher.internal.GenerateRun;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.internal.Completion;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.internal.FileWrites;
import dev.granular.teacher.internal.GenerateInput;
import dev.granular.teacher.internal.Journal;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.internal.SpendEstimator;
import dev.granular.teacher.internal.SqliteResponseCache;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code granular generate}: one model reply per input row (or {@code n}), through
 * {@link LlmClient}, into an output directory.
 *
 * <p>Every finished row goes to the folder's journal the moment it is done, so a run
 * killed at any point resumes without asking again for a reply it already has, with or
 * without the response cache. Rows that finally fail go to {@code failed.jsonl} and the
 * run ends with exit code 3; a rerun retries them. Shards are written from the journal in
 * row order at the end of every run.
 *
 * <p>Before the first request the whole input is read and checked (every line parses, ids are unique), so bad
 * input costs nothing. Every paid reply is journalled first ({@link PaidRepliesFile}), so a rerun with another
 * configuration or an edited input pays only for requests that changed, and the run's spend, budget and counts
 * cover every attempt of the run, interrupted or not. A wrong key, an unreachable server or a full disk stops the
 * run at once ({@link LlmClient#stop}): nothing more is sent.
 */
public final class GenerateJob {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What to run.
     *
     * @param in          the inputs: JSONL files or directories of them (see {@link GenerateInput})
     * @param model       the model
     * @param params      sampling parameters
     * @param n           replies per row
     * @param jsonSchema  a schema replies must satisfy, or null
     * @param limits      concurrency, rates, retries, timeout
     * @param cachePath   the response cache file, or null for none ({@code --no-cache})
     * @param maxCost     USD budget, or null for none
     * @param prices      a prices file overriding the built-in table, or null
     * @param limit       take only the first rows (0 = all)
     * @param out         the output directory
     * @param shardSize   records per shard
     * @param overwrite   replace a different run in {@code out}
     * @param commandLine for the manifest
     * @param env         the environment (API keys)
     */
    public record Spec(List<Path> in, ModelSpec model, GenerationParams params, int n, JsonNode jsonSchema, ClientLimits limits,
                       Path cachePath, Double maxCost, Path prices, long limit, Path out, int shardSize, boolean overwrite,
                       List<String> commandLine, Map<String, String> env) {
        public Spec {
            if (n < 1) {
                throw new BadInputException("--n must be at least 1, got " + n);
            }
            if (maxCost != null && !(maxCost > 0)) {
                throw new BadInputException("--max-cost must be a positive number of USD, got " + maxCost);
            }
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
        }
    }


    /**
     * What a run did.
     *
     * @param attempts HTTP requests sent by this process (retries and failures included)
     * @param billable replies paid for by the whole run (earlier, interrupted attempts included)
     */
    public record Result(Path out, long attempts, long billable, long ok, long failed, long notSent, long cachedHits,
                         String costSummary, Duration elapsed) {
    }

    private GenerateJob() {
    }
    /**
     * Runs {@code spec}: sends what its output folder's journal does not hold yet, writes the data, the card and the
     * manifest atomically, and tells {@code listener} of each row. Resumable: a rerun of the same spec after a crash, an
     * interrupt or a spent budget ({@link dev.granular.io.StoppedEarlyException}) sends only what is missing.
     */
    public static Result run(Spec spec, RowListener listener) throws InterruptedException {
        return GenerateRun.run(spec, listener);
    }

    /**
     * What a run of {@code spec} would send and cost, sending and writing nothing (the CLI's {@code --dry-run}):
     * requests, prompt and completion tokens and USD at real-time and batch prices, per step and model. Requests the
     * response cache or {@code out}'s journal already answered are free.
     */
    public static SpendEstimate estimate(Spec spec) {
        try (SpendEstimator estimator = SpendEstimator.open(PriceTable.builtIn(spec.prices()), spec.out(), spec.cachePath())) {
            GenerateRun.estimate(spec, estimator);
            return estimator.estimate();
        }
    }
}
