package dev.granular.erasure.internal;

import dev.granular.erasure.Selection;
import dev.granular.erasure.Strategy;
import dev.granular.erasure.StrategyChoice;
import dev.granular.erasure.internal.Calibration;
import dev.granular.erasure.internal.CalibrationRun;
import dev.granular.erasure.internal.DistillOutputs;
import dev.granular.erasure.internal.DistillTask;
import dev.granular.erasure.internal.LeakCheck;
import dev.granular.erasure.internal.TaskReader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.concurrent.InFlightWindow;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.judge.Judge;
import dev.granular.judge.ModelJudge;
import dev.granular.judge.Verdict;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import dev.granular.report.Numbers;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.Journal;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.internal.SqliteResponseCache;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import dev.granular.erasure.DistillJob;
import dev.granular.erasure.DistillJob.Spec;
import dev.granular.erasure.DistillJob.Result;

/**
 * How {@link DistillJob} runs: DistillJob holds the API (its {@code Spec}, {@code Result}, {@code run} and
 * {@code estimate}), this class the orchestration behind it, out of the exported package.
 */
public final class DistillRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DistillRun() {
    }

    public static Result run(Spec spec, RowListener listener) throws InterruptedException {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.tasks());
        List<DistillTask> tasks = TaskReader.read(spec.tasks(), spec.limit());
        if (tasks.isEmpty()) {
            throw new BadInputException("no tasks in " + JsonlInput.names(spec.tasks()));
        }
        LeakCheck leaks = new LeakCheck(spec.library().all());
        leaks.find(spec.systemMessage()).ifPresent(l -> {
            throw new dev.granular.io.InvalidConfigException("${systemMessage} repeats words of strategy " + l.strategy() + "'s instruction (\""
                    + l.words() + "\"): the training data would carry the strategy it is meant to erase");
        });
        PriceTable prices = PriceTable.builtIn(spec.prices());
        OutputDirectory dir = OutputDirectory.open(spec.out(), "distill", identity(spec), spec.shardSize(), spec.overwrite(),
                spec.tasks());
        CostMeter meter = CostMeter.of(prices, spec.maxCost());
        // Every paid reply is journalled first; a resumed run adds what its earlier attempts paid (see PaidRepliesFile).
        PaidRepliesFile replies = PaidRepliesFile.of(dir);
        ResponseCache cache = spec.cachePath() == null ? ResponseCache.NONE : SqliteResponseCache.open(spec.cachePath());
        List<LlmClient> clients = new ArrayList<>();
        Journal calibrationJournal = Journal.open(dir.dir().resolve(".granular").resolve("calibration.jsonl"));
        Journal journal = Journal.open(dir.dir().resolve(".granular").resolve("journal.jsonl"));
        Calls calls = new Calls(meter);
        try {
            LlmClient teacher = client(spec, spec.teacher(), cache, meter, replies, clients);
            Judge judge = Judge.parse(spec.judge(), model -> new ModelJudge(client(spec, ModelSpec.parse(model, null), cache, meter,
                    replies, clients)));
            Teacher t = new Teacher(teacher, spec.params(), judge);
            CalibrationRun calibration = CalibrationRun.run(spec, tasks, t, calibrationJournal, calls, listener);
            List<StrategyChoice> choices = choose(spec, tasks, calibration);
            Map<String, StrategyChoice> byCategory = new TreeMap<>();
            choices.forEach(c -> byCategory.put(c.category(), c));
            if (calibration.complete()) {
                generate(spec, tasks, byCategory, t, leaks, journal, calls, listener);
            }
            DistillOutputs.Counts counts = DistillOutputs.write(dir, spec, journal, calibration, choices, leaks, meter, calls,
                    started, tasks.size());
            Result result = new Result(spec.out(), counts.records(), counts.failed(), counts.droppedWrong(), counts.droppedLeak(),
                    calls.notSent.get(), choices, meter.summary(), Duration.between(started, Instant.now()));
            if (calls.budgetHit.get()) {
                throw new StoppedEarlyException("the ${maxCost} budget of " + Numbers.usd(spec.maxCost()) + " was reached after "
                        + meter.summary() + "; " + calls.notSent.get() + " requests not sent; rerun with a larger ${maxCost} to continue");
            }
            if (!calibration.complete()) {
                throw new StoppedEarlyException(calibration.failed() + " calibration answers failed after their retries; "
                        + "no task was distilled");
            }
            if (counts.failed() > 0) {
                throw new StoppedEarlyException(counts.failed() + " tasks failed after their retries (see "
                        + spec.out().resolve("failed.jsonl") + ")");
            }
            return result;
        } finally {
            clients.forEach(LlmClient::close);
            cache.close();
            replies.close();
            calibrationJournal.close();
            journal.close();
        }
    }

    /**
     * Adds the requests a run of {@code spec} would send to {@code estimator}, sending and writing nothing. The
     * calibration requests are the run's own. A distill request depends on its category's strategy: fixed or mapped,
     * it is the run's own; chosen by calibration (not run yet), each task is counted with its longest-prompt strategy,
     * an upper bound. One answer per task ({@code --require-correct} asks up to {@code --attempts} when judged wrong).
     */
    public static void estimate(Spec spec, dev.granular.teacher.internal.SpendEstimator estimator) {
        OutputOverlap.check(spec.out(), spec.tasks());
        List<DistillTask> tasks = TaskReader.read(spec.tasks(), spec.limit());
        if (tasks.isEmpty()) {
            throw new BadInputException("no tasks in " + JsonlInput.names(spec.tasks()));
        }
        boolean auto = spec.selection() instanceof Selection.Auto;
        if (spec.selection() instanceof Selection.Auto a) {
            Calibration.sample(tasks, a.calibration(), spec.seed()).forEach((category, list) -> {
                for (Strategy s : spec.library().all()) {
                    for (DistillTask t : list) {
                        estimator.add("calibrate", spec.teacher(), Teacher.request(spec.params(), t, s, 0));
                    }
                }
            });
        }
        Map<String, StrategyChoice> byCategory = new TreeMap<>();
        if (!auto) {
            choose(spec, tasks, new CalibrationRun(List.of(), 0, true)).forEach(c -> byCategory.put(c.category(), c));
        }
        for (DistillTask t : tasks) {
            ChatRequest req;
            if (auto) {
                req = null;
                int longest = -1;
                for (Strategy s : spec.library().all()) {
                    ChatRequest r = Teacher.request(spec.params(), t, s, 0);
                    int n = estimator.promptTokens(spec.teacher(), r);
                    if (n > longest) {
                        longest = n;
                        req = r;
                    }
                }
            } else {
                req = Teacher.request(spec.params(), t, spec.library().get(byCategory.get(t.category()).strategy()), 0);
            }
            estimator.add("distill", spec.teacher(), req);
        }
        if (auto) {
            estimator.note("distill: calibration picks each category's strategy, so each task is counted with its "
                    + "longest-prompt strategy (an upper bound)");
        }
        if (spec.requireCorrect()) {
            estimator.note("distill --require-correct: one answer per task counted; a wrong one is asked again, up to "
                    + spec.attempts() + " per task");
        }
        if (spec.judge().trim().startsWith("model:")) {
            estimator.note("the model judge's calls (one per answer of a task with a known answer) are not counted");
        }
    }

    /** Only what changes the data: never limits, cache or budget, so a stopped run resumes with other ones. */
    public static Map<String, Object> identity(Spec spec) {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("teacher", spec.teacher().toString());
        id.put("params", spec.params().toJson());
        Map<String, Object> strategies = new LinkedHashMap<>();
        spec.library().all().forEach(s -> {
            // insertion-ordered, never Map.of: its iteration order changes from JVM to JVM, and so would the fingerprint
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("instruction_sha256", s.instructionSha256());
            one.put("extract", s.extract() == null ? "" : s.extract().pattern());
            strategies.put(s.name(), one);
        });
        id.put("strategies", strategies);
        id.put("selection", spec.selection().toJson());
        id.put("default_strategy", spec.defaultStrategy());
        id.put("system_message_sha256", Json.sha256Hex(spec.systemMessage()));
        id.put("require_correct", spec.requireCorrect());
        id.put("attempts", spec.attempts());
        id.put("judge", spec.judge());
        id.put("seed", spec.seed());
        id.put("limit", spec.limit());
        id.put("input", JsonlInput.manifestValue(spec.tasks()));
        id.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.tasks())));
        return id;
    }

    private static LlmClient client(Spec spec, ModelSpec model, ResponseCache cache, CostMeter meter, PaidRepliesFile replies,
                                    List<LlmClient> clients) {
        replies.carryInto(meter, model);
        LlmClient c = LlmClient.open(model, spec.env(), spec.limits(), cache, meter, replies);
        clients.add(c);
        return c;
    }

    /** Every category's strategy, in category order. */
    public static List<StrategyChoice> choose(Spec spec, List<DistillTask> tasks, CalibrationRun calibration) {
        List<String> categories = tasks.stream().map(DistillTask::category).distinct().sorted().toList();
        List<StrategyChoice> out = new ArrayList<>();
        for (String c : categories) {
            out.add(switch (spec.selection()) {
                case Selection.Fixed f -> new StrategyChoice(c, f.strategy(), "fixed");
                case Selection.Mapped m -> m.byCategory().containsKey(c)
                        ? new StrategyChoice(c, m.byCategory().get(c), "map")
                        : new StrategyChoice(c, spec.defaultStrategy(), "default: not in the map");
                case Selection.Auto a -> calibration.winner(c)
                        .map(w -> new StrategyChoice(c, w, "calibration"))
                        .orElseGet(() -> new StrategyChoice(c, spec.defaultStrategy(), "default: no answered tasks"));
            });
        }
        return out;
    }

    private static void generate(Spec spec, List<DistillTask> tasks, Map<String, StrategyChoice> byCategory, Teacher teacher,
                                 LeakCheck leaks, Journal journal, Calls calls, RowListener listener) throws InterruptedException {
        listener.stage("distill", tasks.size(), journal.successes());
        calls.window(spec.limits().concurrency()).run(tasks, task -> journal.done(task.ordinal()), task -> {
            Strategy s = spec.library().get(byCategory.get(task.category()).strategy());
            distillOne(spec, task, s, teacher, leaks, journal, calls, listener);
        });
    }

    private static void distillOne(Spec spec, DistillTask task, Strategy strategy, Teacher teacher, LeakCheck leaks,
                                   Journal journal, Calls calls, RowListener listener) throws InterruptedException {
        int tries = spec.requireCorrect() && task.answered() ? spec.attempts() : 1;
        for (int k = 0; k < tries; k++) {
            Outcome o = teacher.ask(task, strategy, k);
            switch (o) {
                case Outcome.Failed f -> {
                    calls.failed(f, journal, task, listener);
                    return;
                }
                case Outcome.Ok ok -> {
                    String answer = ok.completion().text();
                    Verdict verdict = task.answered() ? teacher.judge(task, strategy, answer) : null;
                    if (verdict != null && !verdict.judged()) {
                        // The judge failed, not the teacher: neither "wrong" nor a retry of the teacher.
                        calls.failed(verdict.judgeFailure(), journal, task, listener);
                        return;
                    }
                    Boolean correct = verdict == null ? null : verdict.correct();
                    long tokens = ok.completion().usage().promptTokens() + ok.completion().usage().completionTokens();
                    if (Boolean.FALSE.equals(correct) && spec.requireCorrect()) {
                        if (k + 1 < tries) {
                            continue;
                        }
                        journal.success(task.ordinal(), dropped(task, strategy, "wrong", null));
                        listener.finished(true, tokens, Math.max(0, ok.attempts() - 1), calls.status());
                        return;
                    }
                    TrainingRecord r = ErasedRecords.record(task, strategy, answer, ok.completion().toolCalls(),
                            ok.completion().textNull(), spec.systemMessage(), spec.teacher().toString(), correct);
                    var leak = leaks.find(r);
                    journal.success(task.ordinal(), leak.isPresent()
                            ? dropped(task, strategy, "leak", leak.get().words())
                            : RecordJson.toJson(r));
                    listener.finished(true, tokens, Math.max(0, ok.attempts() - 1), calls.status());
                    return;
                }
            }
        }
    }

    /** A journal entry for a task that finished without a record. */
    private static String dropped(DistillTask task, Strategy strategy, String why, String words) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("dropped", why);
        d.put("id", task.id());
        d.put("category", task.category());
        d.put("strategy", strategy.name());
        if (words != null) {
            d.put("leaked_words", words);
        }
        return Json.toCompactString(d);
    }

    /** The teacher with its parameters and the judge: one place that builds requests. */
    public record Teacher(LlmClient client, GenerationParams params, Judge judge) {
        Outcome ask(DistillTask task, Strategy strategy, int sample) throws InterruptedException {
            return client.complete(request(params, task, strategy, sample));
        }

        /** The teacher's request: the one place distill builds it (run and dry run). */
        static ChatRequest request(GenerationParams params, DistillTask task, Strategy strategy, int sample) {
            GenerationParams p = params.seed() == null ? params : params.withSeed(params.seed() + sample);
            return new ChatRequest(task.id(), ErasedRecords.teacherRequest(task, strategy), p, sample, null, null, task.tools());
        }

        Verdict judge(DistillTask task, Strategy strategy, String answer) {
            return judge.judge(task.judgeTask(), strategy.answerPart(answer));
        }
    }

    /** Shared counters of a run's calls. */
    public static final class Calls {
        final CostMeter meter;
        final AtomicBoolean budgetHit = new AtomicBoolean();
        final AtomicLong notSent = new AtomicLong();
        final AtomicLong failed = new AtomicLong();

        Calls(CostMeter meter) {
            this.meter = meter;
        }

        /** The window distill and its calibration send through: a spent budget stops it, and counts what it holds back. */
        InFlightWindow window(int concurrency) {
            return InFlightWindow.forConcurrency(concurrency).stoppingWhen(budgetHit::get).countingNotSent(notSent::incrementAndGet);
        }

        /** Records a failed call: a budget stop, or a failure with its reason in the journal. */
        void failed(Outcome.Failed f, Journal journal, DistillTask task, RowListener listener) {
            if (f.kind() == Outcome.FailureKind.BUDGET) {
                budgetHit.set(true);
                notSent.incrementAndGet();
                return;
            }
            Map<String, Object> reason = new LinkedHashMap<>();
            reason.put("id", task.id());
            reason.put("source", task.source());
            reason.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
            reason.put("status", f.status());
            reason.put("reason", f.message());
            reason.put("attempts", f.attempts());
            journal.failure(task.ordinal(), Json.toCompactString(reason));
            failed.incrementAndGet();
            listener.finished(false, 0, Math.max(0, f.attempts() - 1), status());
        }

        String status() {
            return String.format(Locale.ROOT, "$%.4f%s", meter.spentUsd(), failed.get() > 0 ? ", " + failed.get() + " failed" : "");
        }
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("the journal holds a line that is not JSON", e);
        }
    }
}
