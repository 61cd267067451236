package dev.granular.erasure.internal;

import dev.granular.erasure.DistillJob;
import dev.granular.erasure.Selection;
import dev.granular.erasure.Strategy;
import dev.granular.erasure.StrategyLibrary;
import dev.granular.teacher.RowListener;
import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.report.Json;
import dev.granular.teacher.internal.Journal;
import dev.granular.judge.Verdict;
import dev.granular.teacher.internal.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The LLM half of {@code --select auto}: every strategy answers each category's calibration
 * tasks, each answer is judged, and the verdicts go to the calibration journal (index = the
 * call's position in a fixed order: category, then strategy, then task), so a resumed run
 * only asks what is missing. With another selection mode nothing is asked.
 *
 * @param cells    the category × strategy table, in category then library order
 * @param failed   calibration calls that failed after their retries
 * @param complete whether every calibration call has a verdict
 */
public record CalibrationRun(List<Calibration.Cell> cells, int failed, boolean complete) {

    /** One calibration call. */
    private record Call(long index, String category, Strategy strategy, DistillTask task) {
    }

    static CalibrationRun run(DistillJob.Spec spec, List<DistillTask> tasks, DistillRun.Teacher teacher, Journal journal,
                              DistillRun.Calls calls, RowListener listener) throws InterruptedException {
        if (!(spec.selection() instanceof Selection.Auto auto)) {
            return new CalibrationRun(List.of(), 0, true);
        }
        Map<String, List<DistillTask>> sample = Calibration.sample(tasks, auto.calibration(), spec.seed());
        List<Call> plan = new ArrayList<>();
        sample.forEach((category, list) -> {
            for (Strategy s : spec.library().all()) {
                for (DistillTask t : list) {
                    plan.add(new Call(plan.size(), category, s, t));
                }
            }
        });
        listener.stage("calibrate", plan.size(), journal.successes());
        calls.window(spec.limits().concurrency())
                .run(plan, c -> journal.done(c.index()), c -> one(c, teacher, journal, calls, listener));
        return tally(plan, journal, sample.keySet().stream().toList(), spec.library());
    }

    private static void one(Call c, DistillRun.Teacher teacher, Journal journal, DistillRun.Calls calls,
                            RowListener listener) throws InterruptedException {
        Outcome o = teacher.ask(c.task(), c.strategy(), 0);
        Verdict verdict = null;
        if (o instanceof Outcome.Ok ok) {
            verdict = teacher.judge(c.task(), c.strategy(), ok.completion().text());
            if (!verdict.judged()) {
                o = verdict.judgeFailure(); // a failed judge is a failed calibration answer, never a wrong one
            }
        }
        switch (o) {
            case Outcome.Failed f -> {
                if (f.kind() == Outcome.FailureKind.BUDGET) {
                    calls.budgetHit.set(true);
                    calls.notSent.incrementAndGet();
                    return;
                }
                Map<String, Object> reason = new LinkedHashMap<>();
                reason.put("id", c.task().id());
                reason.put("strategy", c.strategy().name());
                reason.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
                reason.put("reason", f.message());
                journal.failure(c.index(), Json.toCompactString(reason));
                listener.finished(false, 0, Math.max(0, f.attempts() - 1), calls.status());
            }
            case Outcome.Ok ok -> {
                String answer = ok.completion().text();
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("category", c.category());
                v.put("strategy", c.strategy().name());
                v.put("id", c.task().id());
                v.put("correct", verdict.correct());
                v.put("chars", answer.codePointCount(0, answer.length()));
                journal.success(c.index(), Json.toCompactString(v));
                listener.finished(true, ok.completion().usage().promptTokens() + ok.completion().usage().completionTokens(),
                        Math.max(0, ok.attempts() - 1), calls.status());
            }
        }
    }

    private static CalibrationRun tally(List<Call> plan, Journal journal, List<String> categories, StrategyLibrary library) {
        Map<String, long[]> acc = new LinkedHashMap<>();
        for (String category : categories) {
            for (Strategy s : library.all()) {
                acc.put(category + "\u0000" + s.name(), new long[3]);
            }
        }
        boolean complete = true;
        for (Call c : plan) {
            Optional<String> rec = journal.record(c.index());
            if (rec.isEmpty()) {
                complete = false;
                continue;
            }
            JsonNode v = DistillRun.parse(rec.get());
            long[] a = acc.get(c.category() + "\u0000" + c.strategy().name());
            a[0]++;
            a[1] += v.path("correct").asBoolean() ? 1 : 0;
            a[2] += v.path("chars").asLong();
        }
        List<Calibration.Cell> cells = new ArrayList<>();
        acc.forEach((k, a) -> {
            int z = k.indexOf('\u0000');
            cells.add(new Calibration.Cell(k.substring(0, z), k.substring(z + 1), (int) a[0], (int) a[1], a[2]));
        });
        return new CalibrationRun(cells, journal.failures().size(), complete && journal.failures().isEmpty());
    }

    /** The winning strategy of {@code category}, or empty when it had no calibration tasks. */
    Optional<String> winner(String category) {
        List<Calibration.Cell> mine = cells.stream().filter(c -> c.category().equals(category) && c.judged() > 0).toList();
        return mine.isEmpty() ? Optional.empty() : Optional.of(Calibration.choose(mine));
    }
}
