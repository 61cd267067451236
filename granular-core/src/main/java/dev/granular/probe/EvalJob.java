package dev.granular.probe;

import dev.granular.io.InvalidConfigException;
import dev.granular.probe.internal.EvalRun;
import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.SpendEstimate;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.internal.SpendEstimator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code granular eval}: gets a reply for every probe {@link ProbeJob} wrote (from a model, greedily, through the
 * teacher layer; or from predictions made elsewhere), scores it, and writes the scored records and the report
 * ({@code report/scores.json}, plots, {@code report/index.html}) into an output folder. Model replies go to the
 * folder's journal as they arrive, so a killed run resumes without asking again; probes that fail after their
 * retries are listed in {@code failed.jsonl}, left out of the scores, and end the run with
 * {@link dev.granular.io.StoppedEarlyException} (the CLI's exit code 3).
 */
public final class EvalJob {
    /**
     * What to evaluate. Exactly one of {@code model} and {@code predictions} is set.
     *
     * @param probes      the output folder of a {@link ProbeJob} run
     * @param model       the model asked for the replies, or null with {@code predictions}
     * @param predictions JSONL files (or folders of them) of replies made elsewhere, read in order, or null with {@code model}
     * @param maxTokens   reply budget per probe (answers are short)
     * @param limits      the model's concurrency, rates, retries and timeout
     * @param cachePath   the response cache file, or null for none
     * @param maxCost     a USD budget, or null for none
     * @param prices      a prices file overriding the built-in table, or null
     * @param out         the output folder
     * @param shardSize   records per data file
     * @param overwrite   replace a different run in {@code out}
     * @param commandLine the command line the manifest records
     * @param env         the environment the API key is read from
     */
    public record Spec(Path probes, ModelSpec model, List<Path> predictions, int maxTokens, ClientLimits limits, Path cachePath,
                       Double maxCost, Path prices, Path out, int shardSize, boolean overwrite, List<String> commandLine,
                       Map<String, String> env) {
        public Spec {
            env = dev.granular.teacher.internal.HiddenEnvironment.of(env);   // a printed spec shows no API key
            predictions = predictions == null || predictions.isEmpty() ? null : List.copyOf(predictions);
            // Named by field, not flag: the CLI shows --max-tokens, a recipe its key (InvalidConfigException#message).
            if ((model == null) == (predictions == null)) {
                throw new InvalidConfigException("give either ${model} or ${predictions}");
            }
            if (maxTokens < 1) {
                throw new InvalidConfigException("${maxTokens} must be at least 1, got " + maxTokens);
            }
            if (maxCost != null && !(maxCost > 0)) {
                throw new InvalidConfigException("${maxCost} must be a positive number of USD, got " + maxCost);
            }
            commandLine = List.copyOf(commandLine);
        }

        /**
         * {@code model}'s replies to {@code probes}, scored into {@code out}, with the defaults of {@code granular eval}:
         * replies of at most 128 tokens, {@link ClientLimits#DEFAULT} (64 in flight, 8 retries, 120 s timeout), the
         * default response cache ({@code $GRANULAR_CACHE} or {@code ~/.cache/granular/responses.sqlite}), no budget,
         * built-in prices, shards of 10,000 records, no overwrite, the process's environment. The command line the
         * manifest records is {@code ["eval"]}; the CLI gives its own ({@link #withCommandLine}).
         */
        public static Spec of(Path probes, ModelSpec model, Path out) {
            Map<String, String> env = System.getenv();
            return new Spec(probes, model, null, 128, ClientLimits.DEFAULT, ResponseCache.defaultLocation(env), null, null, out,
                    10_000, false, List.of("eval"), env);
        }

        /**
         * Replies made elsewhere ({@code --predictions}: JSONL lines {@code {"samples": ["..."]}} or
         * {@code {"prediction": "..."}}, in probe order or by id) scored into {@code out}, with the defaults of
         * {@link #of}; no model is asked, so the limits, cache and budget do not matter.
         */
        public static Spec ofPredictions(Path probes, List<Path> predictions, Path out) {
            Map<String, String> env = System.getenv();
            return new Spec(probes, null, predictions, 128, ClientLimits.DEFAULT, ResponseCache.defaultLocation(env), null, null,
                    out, 10_000, false, List.of("eval"), env);
        }

        /** Reply budget per probe ({@code --max-tokens}). */
        public Spec withMaxTokens(int v) {
            return new Spec(probes, model, predictions, v, limits, cachePath, maxCost, prices, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** The model's concurrency, rates, retries and timeout ({@code --concurrency}, {@code --rpm}, ..., {@code --batch}). */
        public Spec withLimits(ClientLimits v) {
            return new Spec(probes, model, predictions, maxTokens, v, cachePath, maxCost, prices, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** The response cache file ({@code --cache}); null for none ({@code --no-cache}). */
        public Spec withCachePath(Path v) {
            return new Spec(probes, model, predictions, maxTokens, limits, v, maxCost, prices, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** A USD budget ({@code --max-cost}); null for none. */
        public Spec withMaxCost(Double v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, v, prices, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** A prices file overriding the built-in table ({@code --prices}); null for none. */
        public Spec withPrices(Path v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, maxCost, v, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** Records per data file ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, maxCost, prices, out, v, overwrite,
                    commandLine, env);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, maxCost, prices, out, shardSize, v,
                    commandLine, env);
        }

        /** The command line the manifest records. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, maxCost, prices, out, shardSize, overwrite,
                    v, env);
        }

        /** The environment the API key is read from. */
        public Spec withEnv(Map<String, String> v) {
            return new Spec(probes, model, predictions, maxTokens, limits, cachePath, maxCost, prices, out, shardSize, overwrite,
                    commandLine, v);
        }
    }

    /**
     * What a run did.
     *
     * @param sheet  accuracy by position and bin, Avg and Gap per task (also in {@code report/scores.json})
     * @param scored the probes that got a reply and a score
     * @param failed the probes that failed after their retries (listed in {@code failed.jsonl})
     * @param cost   what the run paid (requests, tokens, USD) in one line, as the CLI prints it
     */
    public record Result(ScoreSheet sheet, long scored, long failed, String cost) {
    }

    private EvalJob() {
    }

    /**
     * Runs {@code spec}: asks the model for what the output folder's journal does not hold yet (or reads the
     * predictions), scores every reply, writes the scored records, the report, the card and the manifest, and tells
     * {@code listener} of each reply. Resumable: a rerun of the same spec after a crash, an interrupt or a spent budget
     * ({@link dev.granular.io.StoppedEarlyException}) asks only for what is missing.
     */
    public static Result run(Spec spec, RowListener listener) throws InterruptedException {
        return EvalRun.run(spec, listener);
    }

    /**
     * What a run of {@code spec} would send and cost, sending and writing nothing (the CLI's {@code --dry-run}): one
     * greedy request per probe, priced at real-time and batch prices. Requests the response cache or {@code out}'s
     * journal already answered are free; with predictions there is nothing to pay for (a note says so).
     */
    public static SpendEstimate estimate(Spec spec) {
        return SpendEstimator.estimate(spec.prices(), spec.out(), spec.cachePath(), e -> EvalRun.estimate(spec, e));
    }
}
