package dev.granular.erasure;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.SpendEstimate;
import dev.granular.teacher.internal.SpendEstimator;
import dev.granular.erasure.internal.DistillRun;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.InvalidConfigException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.judge.Judge;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.RowListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code granular distill}: a teacher answers each task under its category's strategy, and the
 * answers become training data with the strategy erased behind one generic system message.
 *
 * <p>Two journals make the run resumable even without the response cache: one for calibration
 * answers ({@code .granular/calibration.jsonl}, indexed by calibration call) and one for tasks
 * ({@code .granular/journal.jsonl}, indexed by task). A task that was dropped (judged wrong under
 * {@code --require-correct}, or caught leaking its instruction) is journaled as done, so a rerun
 * neither pays for it again nor writes it. The data is rewritten from the journal at the end of
 * every run, then read back and checked for leaks once more.
 */
public final class DistillJob {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What to run.
     *
     * @param tasks          the tasks file
     * @param teacher        the teacher model
     * @param params         sampling parameters
     * @param library        the strategies
     * @param selection      how categories get strategies
     * @param defaultStrategy the strategy of categories that selection cannot decide
     * @param systemMessage  the generic system message of the training data
     * @param requireCorrect drop answers judged wrong (after {@code attempts} tries)
     * @param attempts       answers asked per task at most under {@code requireCorrect}
     * @param judge          a {@link Judge} spec
     * @param seed           the calibration sample's seed; also the sampling seed when {@code samplingSeed}
     */
    public record Spec(List<Path> tasks, ModelSpec teacher, GenerationParams params, StrategyLibrary library, Selection selection,
                       String defaultStrategy, String systemMessage, boolean requireCorrect, int attempts, String judge,
                       long seed, ClientLimits limits, Path cachePath, Double maxCost, Path prices, long limit, Path out,
                       int shardSize, boolean overwrite, List<String> commandLine, Map<String, String> env) {
        public Spec {
            env = dev.granular.teacher.internal.HiddenEnvironment.of(env);   // a printed spec shows no API key
            // Named by field, not flag: the CLI shows --attempts, a recipe its key (InvalidConfigException#message).
            if (attempts < 1) {
                throw new InvalidConfigException("${attempts} must be at least 1, got " + attempts);
            }
            if (maxCost != null && !(maxCost > 0)) {
                throw new InvalidConfigException("${maxCost} must be a positive number of USD, got " + maxCost);
            }
            if (systemMessage == null || systemMessage.isBlank()) {
                throw new InvalidConfigException("${systemMessage} must not be empty");
            }
            library.get(defaultStrategy);
            Judge.parse(judge, model -> null); // a bad judge is refused here, before a task is read or a request sent
            tasks = List.copyOf(tasks);
            commandLine = List.copyOf(commandLine);
        }

        /**
         * {@code tasks} answered by {@code teacher} into {@code out} with the defaults of {@code granular distill}: the server's
         * sampling parameters, the built-in strategies selected {@code auto} on 32 calibration answers per category, default
         * strategy {@code step-by-step}, {@link Erasure#DEFAULT_SYSTEM_MESSAGE}, no {@code --require-correct} (4 attempts when
         * on), judge {@code auto}, seed 0, 64 teacher requests in flight with 8 retries and a 120 s timeout, the default
         * response cache ({@code $GRANULAR_CACHE} or {@code ~/.cache/granular/responses.sqlite}), no budget, built-in prices,
         * all tasks, shards of 10,000 records, no overwrite, the process's environment. The command line the manifest records
         * is {@code ["distill"]}; the CLI gives its own ({@link #withCommandLine}).
         *
         * <pre>{@code
         * DistillJob.run(DistillJob.Spec.of(List.of(Path.of("tasks.jsonl")), ModelSpec.parse("openai:gpt-4o-mini", null),
         *         Path.of("out/distill")).withRequireCorrect(true).withMaxCost(5.0), RowListener.NONE);
         * }</pre>
         */
        public static Spec of(List<Path> tasks, ModelSpec teacher, Path out) {
            StrategyLibrary library = StrategyLibrary.builtIn();
            Map<String, String> env = System.getenv();
            return new Spec(tasks, teacher, GenerationParams.DEFAULT, library, Selection.parse("auto", 32, library), "step-by-step",
                    Erasure.DEFAULT_SYSTEM_MESSAGE, false, 4, "auto", 0, ClientLimits.DEFAULT,
                    ResponseCache.defaultLocation(env), null, null, 0, out, 10_000, false, List.of("distill"), env);
        }

        /** Sampling parameters of the teacher ({@code --temperature}, {@code --max-tokens}, {@code --seed}). */
        public Spec withParams(GenerationParams v) {
            return new Spec(tasks, teacher, v, library, selection, defaultStrategy, systemMessage, requireCorrect, attempts,
                    judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** The strategies ({@code --strategies}); {@link #defaultStrategy()} must be one of them. */
        public Spec withLibrary(StrategyLibrary v) {
            return new Spec(tasks, teacher, params, v, selection, defaultStrategy, systemMessage, requireCorrect, attempts,
                    judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** How categories get strategies ({@code --select}, {@code --calibration}). */
        public Spec withSelection(Selection v) {
            return new Spec(tasks, teacher, params, library, v, defaultStrategy, systemMessage, requireCorrect, attempts,
                    judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** The strategy of categories the selection cannot decide ({@code --default-strategy}). */
        public Spec withDefaultStrategy(String v) {
            return new Spec(tasks, teacher, params, library, selection, v, systemMessage, requireCorrect, attempts, judge,
                    seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** The generic system message of the training data ({@code --system-message}). */
        public Spec withSystemMessage(String v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, v, requireCorrect, attempts, judge,
                    seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Drop answers judged wrong after {@link #attempts()} tries ({@code --require-correct}). */
        public Spec withRequireCorrect(boolean v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, v, attempts, judge,
                    seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Answers asked per task at most under {@link #requireCorrect()} ({@code --attempts}). */
        public Spec withAttempts(int v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect, v,
                    judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** A {@link Judge} spec ({@code --judge}). */
        public Spec withJudge(String v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, v, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** The calibration sample's seed ({@code --seed}; the CLI also puts it in {@link #params()}). */
        public Spec withSeed(long v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, v, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** The teacher's concurrency, rates, retries and timeout ({@code --teacher-*}). */
        public Spec withLimits(ClientLimits v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, v, cachePath, maxCost, prices, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** The response cache file ({@code --cache}); null for none ({@code --no-cache}). */
        public Spec withCachePath(Path v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, v, maxCost, prices, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** A USD budget ({@code --max-cost}); null for none. */
        public Spec withMaxCost(Double v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, v, prices, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** A prices file overriding the built-in table ({@code --prices}); null for none. */
        public Spec withPrices(Path v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, v, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** Only the first tasks ({@code --limit}; 0 = all). */
        public Spec withLimit(long v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, prices, v, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** Records per shard ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, prices, limit, out, v, overwrite, commandLine, env);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, v, commandLine, env);
        }

        /** The command line the manifest records. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite, v, env);
        }

        /** The environment the API keys are read from. */
        public Spec withEnv(Map<String, String> v) {
            return new Spec(tasks, teacher, params, library, selection, defaultStrategy, systemMessage, requireCorrect,
                    attempts, judge, seed, limits, cachePath, maxCost, prices, limit, out, shardSize, overwrite,
                    commandLine, v);
        }
    }


    /** What a run did. */
    public record Result(Path out, long records, long failed, long droppedWrong, long droppedLeak, long notSent,
                         List<StrategyChoice> choices, String costSummary, Duration elapsed) {
    }

    private DistillJob() {
    }
    /**
     * Runs {@code spec}: sends what its output folder's journal does not hold yet, writes the data, the card and the
     * manifest atomically, and tells {@code listener} of each row. Resumable: a rerun of the same spec after a crash, an
     * interrupt or a spent budget ({@link dev.granular.io.StoppedEarlyException}) sends only what is missing.
     */
    public static Result run(Spec spec, RowListener listener) throws InterruptedException {
        return DistillRun.run(spec, listener);
    }

    /**
     * What a run of {@code spec} would send and cost, sending and writing nothing (the CLI's {@code --dry-run}):
     * requests, prompt and completion tokens and USD at real-time and batch prices, per step and model. Requests the
     * response cache or {@code out}'s journal already answered are free.
     */
    public static SpendEstimate estimate(Spec spec) {
        return SpendEstimator.estimate(spec.prices(), spec.out(), spec.cachePath(), e -> DistillRun.estimate(spec, e));
    }
}
