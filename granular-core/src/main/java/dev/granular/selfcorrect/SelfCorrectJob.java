package dev.granular.selfcorrect;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.SpendEstimate;
import dev.granular.teacher.internal.SpendEstimator;
import dev.granular.selfcorrect.internal.SelfCorrectRun;
import dev.granular.io.InvalidConfigException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.judge.Judge;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.RowListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code granular self-correct}: Intrinsic Self-Correction data with Partial Answer Masking.
 *
 * <p>Three steps, each journaled under {@code DIR/.granular/} row by row, so a run killed at any
 * point resumes without paying twice (with or without the response cache):
 * <ol>
 *   <li>student: {@code samples} answers per task, each judged at once ({@code student.jsonl});</li>
 *   <li>selection: per-question caps and the bad/good balance, a pure seeded function of step 1's
 *       complete results, so it runs only once step 1 has no failed or unsent row;</li>
 *   <li>teacher: a confirmation for each chosen good case, a verification and a judged correction
 *       for each chosen bad case ({@code teacher.jsonl}).</li>
 * </ol>
 * Records are written from the teacher journal in row order at the end of every run. Failed rows
 * go to {@code failed.jsonl} and the run ends with {@link StoppedEarlyException} (exit 3), as does a
 * run stopped by {@code --max-cost}.
 */
public final class SelfCorrectJob {
    /** A model and its own limits: student and teacher are throttled separately. */
    public record ModelRole(ModelSpec model, ClientLimits limits) {
    }

    /**
     * What to run.
     *
     * @param tasks           the tasks file
     * @param student         the model being fine-tuned, which writes the initial answers
     * @param teacher         the model that writes verifications and corrections
     * @param judge           {@code auto|exact|choice|number|regex:P|model:SPEC}
     * @param samples         student answers per task
     * @param temperature     the student's sampling temperature
     * @param maxTokens       completion limit for both models, or null for the provider default
     * @param badRatio        the share of bad cases, in [0, 1]
     * @param verifyPhrases   a file of self-check phrases replacing the built-in pool, or null
     * @param maxPerQuestion  most good and most bad candidates kept per task
     * @param maskGoodInitial mask the initial answer of good cases too
     * @param cachePath       the response cache, or null for none
     * @param maxCost         USD budget over both models, or null
     * @param prices          a prices file, or null
     * @param seed            seeds the phrase draw, the caps and the balance
     * @param limit           only the first tasks (0 = all)
     * @param out             the output directory
     * @param shardSize       records per shard
     * @param overwrite       replace a different run in {@code out}
     * @param commandLine     for the manifest and the card
     * @param env             the environment (API keys)
     */
    public record Spec(List<Path> tasks, ModelRole student, ModelRole teacher, String judge, int samples, double temperature,
                       Integer maxTokens, double badRatio, Path verifyPhrases, int maxPerQuestion, boolean maskGoodInitial,
                       Path cachePath, Double maxCost, Path prices, long seed, long limit, Path out, int shardSize,
                       boolean overwrite, List<String> commandLine, Map<String, String> env) {
        public Spec {
            env = dev.granular.teacher.internal.HiddenEnvironment.of(env);   // a printed spec shows no API key
            // Named by field, not flag: the CLI shows --samples, a recipe its key (InvalidConfigException#message).
            if (samples < 1) {
                throw new InvalidConfigException("${samples} must be at least 1, got " + samples);
            }
            if (!(badRatio >= 0 && badRatio <= 1)) {
                throw new InvalidConfigException("${badRatio} must be between 0 and 1, got " + badRatio);
            }
            if (maxPerQuestion < 1) {
                throw new InvalidConfigException("${maxPerQuestion} must be at least 1, got " + maxPerQuestion);
            }
            if (maxCost != null && !(maxCost > 0)) {
                throw new InvalidConfigException("${maxCost} must be a positive number of USD, got " + maxCost);
            }
            if (maxTokens != null && maxTokens < 1) {
                throw new InvalidConfigException("${maxTokens} must be at least 1, got " + maxTokens);
            }
            Judge.parse(judge, model -> null); // a bad judge is refused here, before a task is read or a request sent
            tasks = List.copyOf(tasks);
            commandLine = List.copyOf(commandLine);
        }

        /**
         * {@code tasks} answered by {@code student}, checked and corrected by {@code teacher}, into {@code out} with the defaults of
         * {@code granular self-correct}: 64 student and 16 teacher requests in flight, each with 8 retries and a 120 s timeout,
         * judge {@code auto}, 4 samples at temperature 0.8, the provider's completion limit, bad ratio 0.5, the built-in
         * self-check phrases, at most 2 good and 2 bad cases per task, good initial answers unmasked, the default response
         * cache ({@code $GRANULAR_CACHE} or {@code ~/.cache/granular/responses.sqlite}), no budget, built-in prices, seed 0,
         * all tasks, shards of 10,000 records, no overwrite, the process's environment. The command line the manifest records
         * is {@code ["self-correct"]}; the CLI gives its own ({@link #withCommandLine}).
         *
         * <pre>{@code
         * SelfCorrectJob.run(SelfCorrectJob.Spec.of(List.of(Path.of("gsm8k.jsonl")),
         *         ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", null), ModelSpec.parse("openai:gpt-4o", null),
         *         Path.of("out/isc")).withBadRatio(0.4).withSamples(8), RowListener.NONE);
         * }</pre>
         */
        public static Spec of(List<Path> tasks, ModelSpec student, ModelSpec teacher, Path out) {
            Map<String, String> env = System.getenv();
            return new Spec(tasks, new ModelRole(student, ClientLimits.DEFAULT),
                    new ModelRole(teacher, ClientLimits.DEFAULT.withConcurrency(16)), "auto", 4, 0.8, null, 0.5,
                    null, 2, false, ResponseCache.defaultLocation(env), null, null, 0, 0, out, 10_000, false, List.of("self-correct"),
                    env);
        }

        /** The student model and its limits ({@code --student}, {@code --student-*}). */
        public Spec withStudent(ModelRole v) {
            return new Spec(tasks, v, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** The teacher model and its limits ({@code --teacher}, {@code --teacher-*}). */
        public Spec withTeacher(ModelRole v) {
            return new Spec(tasks, student, v, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** {@code auto|exact|choice|number|regex:P|model:SPEC} ({@code --judge}). */
        public Spec withJudge(String v) {
            return new Spec(tasks, student, teacher, v, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** Student answers per task ({@code --samples}). */
        public Spec withSamples(int v) {
            return new Spec(tasks, student, teacher, judge, v, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** The student's sampling temperature ({@code --temperature}). */
        public Spec withTemperature(double v) {
            return new Spec(tasks, student, teacher, judge, samples, v, maxTokens, badRatio, verifyPhrases, maxPerQuestion,
                    maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Completion limit for both models ({@code --max-tokens}); null for the provider default. */
        public Spec withMaxTokens(Integer v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, v, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** The share of bad cases, in [0, 1] ({@code --bad-ratio}). */
        public Spec withBadRatio(double v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, v, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** A file of self-check phrases replacing the built-in pool ({@code --verify-phrases}); null for the built-in. */
        public Spec withVerifyPhrases(Path v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, v, maxPerQuestion,
                    maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Most good and most bad candidates kept per task ({@code --max-per-question}). */
        public Spec withMaxPerQuestion(int v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases, v,
                    maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite, commandLine, env);
        }

        /** Mask the initial answer of good cases too ({@code --mask-good-initial}). */
        public Spec withMaskGoodInitial(boolean v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, v, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite, commandLine,
                    env);
        }

        /** The response cache file ({@code --cache}); null for none ({@code --no-cache}). */
        public Spec withCachePath(Path v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, v, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** USD budget over both models ({@code --max-cost}); null for none. */
        public Spec withMaxCost(Double v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, v, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** A prices file overriding the built-in table ({@code --prices}); null for none. */
        public Spec withPrices(Path v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, v, seed, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** Seeds the phrase draw, the caps and the balance ({@code --seed}). */
        public Spec withSeed(long v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, v, limit, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** Only the first tasks ({@code --limit}; 0 = all). */
        public Spec withLimit(long v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, v, out, shardSize, overwrite,
                    commandLine, env);
        }

        /** Records per shard ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, v, overwrite,
                    commandLine, env);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, v,
                    commandLine, env);
        }

        /** The command line the manifest and the card record. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite, v,
                    env);
        }

        /** The environment the API keys are read from. */
        public Spec withEnv(Map<String, String> v) {
            return new Spec(tasks, student, teacher, judge, samples, temperature, maxTokens, badRatio, verifyPhrases,
                    maxPerQuestion, maskGoodInitial, cachePath, maxCost, prices, seed, limit, out, shardSize, overwrite,
                    commandLine, v);
        }
    }


    /** What a run did. */
    public record Result(Path out, SelfCorrectCounts counts, String costSummary, Duration elapsed) {
    }

    private SelfCorrectJob() {
    }
    /**
     * Runs {@code spec}: sends what its output folder's journal does not hold yet, writes the data, the card and the
     * manifest atomically, and tells {@code listener} of each row. Resumable: a rerun of the same spec after a crash, an
     * interrupt or a spent budget ({@link dev.granular.io.StoppedEarlyException}) sends only what is missing.
     */
    public static Result run(Spec spec, RowListener listener) {
        return SelfCorrectRun.run(spec, listener);
    }

    /**
     * What a run of {@code spec} would send and cost, sending and writing nothing (the CLI's {@code --dry-run}):
     * requests, prompt and completion tokens and USD at real-time and batch prices, per step and model. Requests the
     * response cache or {@code out}'s journal already answered are free.
     */
    public static SpendEstimate estimate(Spec spec) {
        return SpendEstimator.estimate(spec.prices(), spec.out(), spec.cachePath(), e -> SelfCorrectRun.estimate(spec, e));
    }
}
