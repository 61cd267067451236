package dev.granular.teacher;

import dev.granular.teacher.internal.GenerateRun;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.internal.SpendEstimator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.InvalidConfigException;
import dev.granular.io.StoppedEarlyException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
     * What to run. Start from {@link #of} and change what differs with the withers.
     *
     * @param in          the inputs: JSONL files or directories of them
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
            env = dev.granular.teacher.internal.HiddenEnvironment.of(env);   // a printed spec shows no API key
            // Named by field, not flag: the CLI shows --n, a recipe its key (InvalidConfigException#message).
            if (n < 1) {
                throw new InvalidConfigException("${n} must be at least 1, got " + n);
            }
            if (maxCost != null && !(maxCost > 0)) {
                throw new InvalidConfigException("${maxCost} must be a positive number of USD, got " + maxCost);
            }
            if (limit < 0) {
                throw new InvalidConfigException("${limit} must be 0 (all rows) or more, got " + limit);
            }
            if (shardSize < 1) {
                throw new InvalidConfigException("${shardSize} must be at least 1, got " + shardSize);
            }
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
        }

        /**
         * One reply of {@code model} per row of {@code in}, into {@code out}, with the defaults of {@code granular
         * generate}: the server's sampling parameters, one reply per row, no JSON Schema, {@link ClientLimits#DEFAULT}
         * (64 requests in flight, 8 retries, 120 s timeout), the default response cache ({@code $GRANULAR_CACHE} or
         * {@code ~/.cache/granular/responses.sqlite}), no budget, built-in prices, all rows, shards of 10,000 records,
         * no overwrite, the process's environment. The command line the manifest records is {@code ["generate"]}; the
         * CLI gives its own ({@link #withCommandLine}).
         *
         * <pre>{@code
         * GenerateJob.run(GenerateJob.Spec.of(List.of(Path.of("prompts.jsonl")),
         *         ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", null), Path.of("out/gen"))
         *         .withN(4).withParams(GenerationParams.DEFAULT.withTemperature(0.7)).withMaxCost(2.0), RowListener.NONE);
         * }</pre>
         */
        public static Spec of(List<Path> in, ModelSpec model, Path out) {
            Map<String, String> env = System.getenv();
            return new Spec(in, model, GenerationParams.DEFAULT, 1, null, ClientLimits.DEFAULT, ResponseCache.defaultLocation(env),
                    null, null, 0, out, 10_000, false, List.of("generate"), env);
        }

        /** Sampling parameters ({@code --temperature}, {@code --top-p}, {@code --max-tokens}, {@code --seed}, {@code --stop}, {@code --extra-body}). */
        public Spec withParams(GenerationParams v) {
            return new Spec(in, model, v, n, jsonSchema, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Replies per row; ids {@code ID#0..ID#n-1} when more than one ({@code --n}). */
        public Spec withN(int v) {
            return new Spec(in, model, params, v, jsonSchema, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** A JSON Schema replies must satisfy, or null ({@code --json-schema}); invalid replies are re-asked, then the row fails. */
        public Spec withJsonSchema(JsonNode v) {
            return new Spec(in, model, params, n, v, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Concurrency, rate limits, retries, timeout and the batch API ({@code --concurrency}, {@code --rpm}, ...). */
        public Spec withLimits(ClientLimits v) {
            return new Spec(in, model, params, n, jsonSchema, v, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** The response cache file, or null for none ({@code --cache}, {@code --no-cache}). */
        public Spec withCachePath(Path v) {
            return new Spec(in, model, params, n, jsonSchema, limits, v, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** A budget in USD, or null for none ({@code --max-cost}); a run that reaches it stops, resumable. */
        public Spec withMaxCost(Double v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, v, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** A prices file over the built-in table, or null ({@code --prices}). */
        public Spec withPrices(Path v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, v, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Only the first {@code v} rows; 0 reads all ({@code --limit}). */
        public Spec withLimit(long v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, prices, v, out, shardSize, overwrite, commandLine, env);
        }

        /** Records per data file ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, prices, limit, out, v, overwrite, commandLine, env);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, prices, limit, out, shardSize, v, commandLine, env);
        }

        /** The command line the manifest and card record. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, v, env);
        }

        /** The environment API keys are read from (the process's by default). */
        public Spec withEnv(Map<String, String> v) {
            return new Spec(in, model, params, n, jsonSchema, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, v);
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
        return SpendEstimator.estimate(spec.prices(), spec.out(), spec.cachePath(), e -> GenerateRun.estimate(spec, e));
    }
}
