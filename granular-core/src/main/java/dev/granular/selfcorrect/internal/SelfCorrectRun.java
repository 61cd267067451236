package dev.granular.selfcorrect.internal;

import dev.granular.concurrent.InFlightWindow;
import dev.granular.selfcorrect.SelfCorrectCounts;
import dev.granular.selfcorrect.internal.Balancer;
import dev.granular.selfcorrect.internal.Candidate;
import dev.granular.selfcorrect.internal.Examples;
import dev.granular.selfcorrect.internal.Prompts;
import dev.granular.selfcorrect.internal.SelfCheckPhrases;
import dev.granular.selfcorrect.internal.SelfCorrectReport;
import dev.granular.selfcorrect.internal.SelfCorrectTask;
import dev.granular.selfcorrect.internal.StepRunner;
import dev.granular.selfcorrect.internal.StudentAnswer;
import dev.granular.selfcorrect.internal.StudentStep;
import dev.granular.selfcorrect.internal.TaskReader;
import dev.granular.selfcorrect.internal.TeacherStep;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.io.StoppedEarlyException;
import dev.granular.judge.Judge;
import dev.granular.judge.ModelJudge;
import dev.granular.judge.Verdict;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Numbers;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.Journal;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.internal.SqliteResponseCache;
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
import dev.granular.selfcorrect.SelfCorrectJob;
import dev.granular.selfcorrect.SelfCorrectJob.ModelRole;
import dev.granular.selfcorrect.SelfCorrectJob.Spec;
import dev.granular.selfcorrect.SelfCorrectJob.Result;

/**
 * How {@link SelfCorrectJob} runs: SelfCorrectJob holds the API (its {@code Spec}, {@code Result}, {@code run} and
 * {@code estimate}), this class the orchestration behind it, out of the exported package.
 */
public final class SelfCorrectRun {

    private SelfCorrectRun() {
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
                throw new StoppedEarlyException("the ${maxCost} budget of " + Numbers.usd(spec.maxCost()) + " was reached after "
                        + meter.summary() + "; " + notSent + " requests not sent; rerun with a larger ${maxCost} to continue");
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
    public static void estimate(Spec spec, dev.granular.teacher.internal.SpendEstimator estimator) {
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
        long answer = spec.maxTokens() != null ? spec.maxTokens() : dev.granular.teacher.internal.SpendEstimator.DEFAULT_COMPLETION_TOKENS;
        long completion = answer;
        int revisions = Math.min(spec.samples(), spec.maxPerQuestion());
        String why = "prompt: the revision prompt with a student answer of " + answer + " tokens (max_tokens), at most "
                + revisions + " answers per task; completion: " + completion + " per reply";
        String judge = spec.judge().trim();
        ModelSpec judgeModel = judge.startsWith("model:") ? ModelSpec.parse(judge.substring(6), null) : null;
        for (SelfCorrectTask t : tasks) {
            var req = new dev.granular.teacher.internal.ChatRequest(t.id(), Prompts.correct(t.task(), ""), GenerationParams.DEFAULT
                    .withMaxTokens(spec.maxTokens()), 0, Prompts.CORRECT_SCHEMA, null);
            estimator.addAssumed("teacher", spec.teacher().model(), revisions,
                    estimator.promptTokens(spec.teacher().model(), req) + answer, completion, why);
            if (judgeModel != null) {
                var j = ModelJudge.request(t.task(), "");
                estimator.addAssumed("judge", judgeModel, spec.samples() + revisions,
                        estimator.promptTokens(judgeModel, j) + answer, dev.granular.teacher.internal.SpendEstimator.DEFAULT_COMPLETION_TOKENS,
                        "one call per student answer and per revision, each with a reply of " + answer + " tokens; no max_tokens: "
                                + dev.granular.teacher.internal.SpendEstimator.DEFAULT_COMPLETION_TOKENS + " assumed per reply");
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

    private static InFlightWindow window(ModelRole role) {
        return InFlightWindow.forConcurrency(role.limits().concurrency());
    }

    /** The judged, non-blank answers of a complete student journal. */
    public static List<Candidate> candidates(Journal answers, List<StudentStep.Item> items) {
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
