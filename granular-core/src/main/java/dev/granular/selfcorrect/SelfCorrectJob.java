package dev.granular.selfcorrect;

import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.judge.Judge;
import dev.granular.judge.ModelJudge;
import dev.granular.judge.Verdict;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Numbers;
import dev.granular.teacher.CostMeter;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.Journal;
import dev.granular.teacher.LlmClient;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.PaidRepliesFile;
import dev.granular.teacher.PriceTable;
import dev.granular.teacher.ResponseCache;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.SqliteResponseCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
    public record ModelRole(ModelSpec model, LlmClient.Limits limits) {
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
            return new Spec(tasks, new ModelRole(student, new LlmClient.Limits(64, 0, 0, 8, Duration.ofSeconds(120), 2)),
                    new ModelRole(teacher, new LlmClient.Limits(16, 0, 0, 8, Duration.ofSeconds(120), 2)), "auto", 4, 0.8, null, 0.5,
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

    public static Result run(Spec spec, RowListener listener) {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.tasks());
        List<SelfCorrectTask> tasks = TaskReader.read(spec.tasks(), spec.limit());
        SelfCheckPhrases phrases = spec.verifyPhrases() == null ? SelfCheckPhrases.builtIn() : SelfCheckPhrases.read(spec.verifyPhrases());
        Judge.parse(spec.judge(), s -> null); // a bad --judge fails here, before anything is opened or sent
        OutputDirectory dir = OutputDirectory.open(spec.out(), "self-correct", identity(spec, phrases), spec.shardSize(),
                spec.overwrite(), java.util.stream.Stream.concat(spec.tasks().stream(), java.util.stream.Stream.ofNullable(spec.verifyPhrases())).toList());
        PriceTable prices = PriceTable.builtIn(spec.prices());
        CostMeter meter = CostMeter.of(prices, spec.maxCost());
        // Every paid reply is journalled first; a resumed run adds what its earlier attempts paid (see PaidRepliesFile).
        PaidRepliesFile replies = PaidRepliesFile.of(dir);
        List<LlmClient> clients = new ArrayList<>();
        ResponseCache cache = spec.cachePath() == null ? ResponseCache.NONE : SqliteResponseCache.open(spec.cachePath());
        Path state = dir.dir().resolve(".granular");
        try (Journal answers = Journal.open(state.resolve("student.jsonl"));
             Journal revisions = Journal.open(state.resolve("teacher.jsonl"))) {
            LlmClient student = client(spec.student(), spec.env(), cache, meter, replies, clients);
            LlmClient teacher = client(spec.teacher(), spec.env(), cache, meter, replies, clients);
            Judge judge = Judge.parse(spec.judge(), s -> new ModelJudge(
                    client(new ModelRole(ModelSpec.parse(s, null), spec.teacher().limits()), spec.env(), cache, meter, replies,
                            clients)));
            GenerationParams studentParams = studentParams(spec);
            List<StudentStep.Item> items = studentItems(spec, tasks);
            StudentStep studentStep = new StudentStep(student, judge, studentParams);
            StepRunner.Tally first = StepRunner.run("student", items, StudentStep.Item::index, answers,
                    window(spec.student()), meter, listener, studentStep::run);
            Balancer.Selection selection = null;
            StepRunner.Tally second = new StepRunner.Tally(0, 0, 0);
            if (answers.failures().isEmpty() && !first.budgetHit()) {
                selection = Balancer.select(candidates(answers, items), spec.maxPerQuestion(), spec.badRatio(), spec.seed());
                Map<String, SelfCorrectTask> byId = new HashMap<>();
                tasks.forEach(t -> byId.put(t.id(), t));
                List<TeacherStep.Item> chosen = selection.all().stream().map(c -> new TeacherStep.Item(byId.get(c.taskId()), c)).toList();
                TeacherStep teacherStep = new TeacherStep(teacher, judge, GenerationParams.DEFAULT.withMaxTokens(spec.maxTokens()),
                        phrases, spec.seed(), spec.maskGoodInitial(),
                        new Examples.Provenance(spec.student().model().toString(), spec.teacher().model().toString(), judge.spec()));
                second = StepRunner.run("teacher", chosen, t -> t.candidate().index(), revisions,
                        window(spec.teacher()), meter, listener, teacherStep::run);
            }
            boolean budgetHit = first.budgetHit() || second.budgetHit();
            long notSent = first.notSent() + second.notSent();
            Map<Long, String> failures = new java.util.TreeMap<>(answers.failures());
            revisions.failures().forEach((i, f) -> failures.put(i + (1L << 40), f));
            boolean complete = failures.isEmpty() && !budgetHit && selection != null;
            SelfCorrectCounts counts = writeOutputs(dir, spec, tasks, answers, revisions, selection, failures, notSent, meter,
                    complete, started);
            if (budgetHit) {
                throw new StoppedEarlyException("the --max-cost budget of " + Numbers.usd(spec.maxCost()) + " was reached after "
                        + meter.summary() + "; " + notSent + " requests not sent; rerun with a larger --max-cost to continue");
            }
            if (!failures.isEmpty()) {
                throw new StoppedEarlyException(failures.size() + " rows failed after their retries (see "
                        + spec.out().resolve("failed.jsonl") + ")");
            }
            return new Result(spec.out(), counts, meter.summary(), Duration.between(started, Instant.now()));
        } finally {
            clients.forEach(LlmClient::close);
            cache.close();
            replies.close();
        }
    }

    /**
     * Adds the requests a run of {@code spec} would send to {@code estimator}, sending and writing nothing. The
     * student's requests are the run's own; the teacher's revise answers not given yet, so they are built from the
     * real prompts with an empty answer plus the student's expected answer length, for at most
     * {@code min(--samples, --max-per-question)} answers per task (the balancer's upper bound); a model judge's calls
     * are assumed the same way.
     */
    public static void estimate(Spec spec, dev.granular.teacher.SpendEstimator estimator) {
        OutputOverlap.check(spec.out(), spec.tasks());
        List<SelfCorrectTask> tasks = TaskReader.read(spec.tasks(), spec.limit());
        if (spec.verifyPhrases() != null) {
            SelfCheckPhrases.read(spec.verifyPhrases()); // the real run's checks
        }
        Judge.parse(spec.judge(), s -> null);
        GenerationParams studentParams = studentParams(spec);
        for (StudentStep.Item item : studentItems(spec, tasks)) {
            estimator.add("student", spec.student().model(), StudentStep.request(item, studentParams));
        }
        long answer = spec.maxTokens() != null ? spec.maxTokens() : dev.granular.teacher.SpendEstimator.DEFAULT_COMPLETION_TOKENS;
        long completion = answer;
        int revisions = Math.min(spec.samples(), spec.maxPerQuestion());
        String why = "prompt: the revision prompt with a student answer of " + answer + " tokens (max_tokens), at most "
                + revisions + " answers per task; completion: " + completion + " per reply";
        String judge = spec.judge().trim();
        ModelSpec judgeModel = judge.startsWith("model:") ? ModelSpec.parse(judge.substring(6), null) : null;
        for (SelfCorrectTask t : tasks) {
            var req = new dev.granular.teacher.ChatRequest(t.id(), Prompts.correct(t.task(), ""), GenerationParams.DEFAULT
                    .withMaxTokens(spec.maxTokens()), 0, Prompts.CORRECT_SCHEMA, null);
            estimator.addAssumed("teacher", spec.teacher().model(), revisions,
                    estimator.promptTokens(spec.teacher().model(), req) + answer, completion, why);
            if (judgeModel != null) {
                var j = ModelJudge.request(t.task(), "");
                estimator.addAssumed("judge", judgeModel, spec.samples() + revisions,
                        estimator.promptTokens(judgeModel, j) + answer, dev.granular.teacher.SpendEstimator.DEFAULT_COMPLETION_TOKENS,
                        "one call per student answer and per revision, each with a reply of " + answer + " tokens; no max_tokens: "
                                + dev.granular.teacher.SpendEstimator.DEFAULT_COMPLETION_TOKENS + " assumed per reply");
            }
        }
        estimator.note("self-correct: the teacher (and a model judge) see student answers not written yet, so their prompts "
                + "are assumed (see the lines above); the student's are counted");
    }

    private static GenerationParams studentParams(Spec spec) {
        return GenerationParams.DEFAULT.withTemperature(spec.temperature()).withMaxTokens(spec.maxTokens());
    }

    private static List<StudentStep.Item> studentItems(Spec spec, List<SelfCorrectTask> tasks) {
        List<StudentStep.Item> items = new ArrayList<>();
        for (SelfCorrectTask t : tasks) {
            for (int k = 0; k < spec.samples(); k++) {
                items.add(new StudentStep.Item(t, k, t.ordinal() * spec.samples() + k));
            }
        }
        return items;
    }

    private static LlmClient client(ModelRole role, Map<String, String> env, ResponseCache cache, CostMeter meter,
                                    PaidRepliesFile replies, List<LlmClient> clients) {
        replies.carryInto(meter, role.model());
        LlmClient c = LlmClient.open(role.model(), env, role.limits(), cache, meter, replies);
        clients.add(c);
        return c;
    }

    private static int window(ModelRole role) {
        return Math.max(16, role.limits().concurrency() * 2);
    }

    /** The judged, non-blank answers of a complete student journal. */
    static List<Candidate> candidates(Journal answers, List<StudentStep.Item> items) {
        List<Candidate> out = new ArrayList<>();
        for (StudentStep.Item it : items) {
            answers.record(it.index()).map(StudentAnswer::parse).filter(a -> !a.text().isBlank()).ifPresent(a ->
                    out.add(new Candidate(it.index(), it.task().id(), it.sample(), a.outcome() == Verdict.Outcome.CORRECT,
                            a.text().strip())));
        }
        return out;
    }

    /** What changes the output: a different value starts a new run (or needs --overwrite). */
    private static Map<String, Object> identity(Spec spec, SelfCheckPhrases phrases) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("student", spec.student().model().toString());
        m.put("teacher", spec.teacher().model().toString());
        m.put("judge", spec.judge());
        m.put("samples", spec.samples());
        m.put("temperature", spec.temperature());
        m.put("max_tokens", spec.maxTokens());
        m.put("bad_ratio", spec.badRatio());
        m.put("max_per_question", spec.maxPerQuestion());
        m.put("mask_good_initial", spec.maskGoodInitial());
        m.put("phrases", phrases.phrases());
        m.put("seed", spec.seed());
        m.put("limit", spec.limit());
        m.put("tasks", JsonlInput.manifestValue(spec.tasks()));
        m.put("tasks_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.tasks())));
        return m;
    }

    private static SelfCorrectCounts writeOutputs(OutputDirectory dir, Spec spec, List<SelfCorrectTask> tasks, Journal answers,
                                                  Journal revisions, Balancer.Selection selection, Map<Long, String> failures,
                                                  long notSent, CostMeter meter, boolean complete, Instant started) {
        long correct = 0;
        long wrong = 0;
        long unparseable = 0;
        long empty = 0;
        for (long i : answers.successIndices()) {
            StudentAnswer a = StudentAnswer.parse(answers.record(i).orElseThrow());
            if (a.text().isBlank()) {
                empty++;
            }
            switch (a.outcome()) {
                case CORRECT -> correct++;
                case WRONG -> wrong++;
                case UNPARSEABLE -> unparseable++;
                case JUDGE_FAILED -> throw new IllegalStateException("a failed judge call is a failed row, never a journalled answer");
            }
        }
        long rr = 0;
        long wr = 0;
        long ww = 0;
        long leaked = 0;
        try (ShardWriter w = dir.rewriter()) {
            for (long i : revisions.successIndices()) {
                String line = revisions.record(i).orElseThrow();
                com.fasterxml.jackson.databind.JsonNode node = dev.granular.report.Json.mapper().readTree(line);
                if (node.has("dropped")) {
                    if (node.path("dropped").asText().equals("leaked")) {
                        leaked++;
                    } else {
                        ww++;
                    }
                    continue;
                }
                TrainingRecord r = RecordJson.parse(line, revisions.file().toString(), 0);
                if ("bad".equals(r.meta().get("case"))) {
                    wr++;
                } else {
                    rr++;
                }
                w.write(line);
            }
            w.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the teacher journal", e);
        }
        Path failedFile = dir.dir().resolve("failed.jsonl");
        if (failures.isEmpty()) {
            try {
                Files.deleteIfExists(failedFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            StringBuilder b = new StringBuilder();
            failures.values().forEach(f -> b.append(f).append('\n'));
            AtomicFiles.write(failedFile, b.toString());
        }
        SelfCorrectCounts counts = new SelfCorrectCounts(tasks.size(), answers.successes(), correct, wrong, unparseable, empty,
                selection == null ? 0 : selection.goodCandidates(), selection == null ? 0 : selection.badCandidates(),
                selection == null ? 0 : selection.good().size(), selection == null ? 0 : selection.bad().size(),
                rr, wr, ww, leaked, failures.size(), notSent, spec.badRatio());
        SelfCorrectReport.write(dir, spec, counts, meter, complete);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", "self-correct");
        m.put("command_line", spec.commandLine());
        m.put("student", spec.student().model().toString());
        m.put("teacher", spec.teacher().model().toString());
        m.put("judge", spec.judge());
        m.put("input", JsonlInput.manifestValue(spec.tasks()));
        m.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.tasks())));
        m.put("fingerprint", dir.fingerprint());
        m.put("complete", complete);
        m.put("counts", counts.toJson());
        m.put("cost", meter.toJson());
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        dir.finish(m);
        return counts;
    }
}
