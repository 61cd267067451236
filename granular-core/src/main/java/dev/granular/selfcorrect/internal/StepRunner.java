package dev.granular.selfcorrect.internal;

import dev.granular.concurrent.InFlightWindow;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.internal.Journal;
import dev.granular.teacher.internal.Outcome;
import dev.granular.report.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Runs one LLM step over its rows on virtual threads, journaling each row the moment it ends, so
 * that a step killed at any point resumes with only its unfinished rows and pays for nothing twice.
 * Rows already done in the journal are skipped; once the budget is hit, no further row is sent.
 */
public final class StepRunner {
    /** What one row came to. Sealed: the runner's switch has no default. */
    sealed interface RowResult permits Done, Failed, OverBudget {
    }

    /**
     * Finished: {@code json} (one JSON object) goes to the journal as the row's result; {@code retries} are
     * the requests the row's model call was sent again (shown in the progress).
     */
    record Done(String json, long tokens, int retries) implements RowResult {
        Done(String json, long tokens) {
            this(json, tokens, 0);
        }
    }

    /** Failed after its retries: {@code reasonJson} goes to the journal; a rerun retries the row. */
    record Failed(String reasonJson, int retries) implements RowResult {
        Failed(String reasonJson) {
            this(reasonJson, 0);
        }
    }

    /** Not sent: the cost budget would have been exceeded. */
    record OverBudget() implements RowResult {
    }

    /** The work of one row; may block on the network. */
    @FunctionalInterface
    interface Work<T> {
        RowResult run(T item) throws InterruptedException;
    }

    /** What a step did in this run. */
    record Tally(long ok, long failed, long notSent) {
        boolean budgetHit() {
            return notSent > 0;
        }
    }

    private StepRunner() {
    }

    /**
     * Runs {@code work} over {@code items} through {@code window} (a row waits for its permit uninterruptibly, as
     * this step always has: an interrupt stays set on the thread and the executor's close interrupts the rows in
     * flight).
     */
    static <T> Tally run(String name, List<T> items, ToLongFunction<T> index, Journal journal, InFlightWindow window,
                         CostMeter meter, RowListener listener, Work<T> work) {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong notSent = new AtomicLong();
        AtomicBoolean budget = new AtomicBoolean();
        long done = items.stream().filter(i -> journal.done(index.applyAsLong(i))).count();
        listener.stage(name, items.size(), done);
        window.stoppingWhen(budget::get).countingNotSent(notSent::incrementAndGet).runUninterruptibly(items::forEach,
                item -> journal.done(index.applyAsLong(item)), item -> {
                    long i = index.applyAsLong(item);
                    switch (work.run(item)) {
                        case Done d -> {
                            journal.success(i, d.json());
                            ok.incrementAndGet();
                            listener.finished(true, d.tokens(), d.retries(), status(meter, failed.get()));
                        }
                        case Failed f -> {
                            journal.failure(i, f.reasonJson());
                            failed.incrementAndGet();
                            listener.finished(false, 0, f.retries(), status(meter, failed.get()));
                        }
                        case OverBudget b -> {
                            budget.set(true);
                            notSent.incrementAndGet();
                        }
                    }
                });
        return new Tally(ok.get(), failed.get(), notSent.get());
    }

    /** A failed request as a journal reason, or {@link OverBudget} when the budget stopped it. */
    static RowResult failure(String id, String source, Outcome.Failed f) {
        if (f.kind() == Outcome.FailureKind.BUDGET) {
            return new OverBudget();
        }
        return failure(id, source, f.kind().name().toLowerCase(Locale.ROOT), f.status(), f.message(), f.attempts());
    }

    /** A judge model's failed call: {@code judge_failed} in the journal, or {@link OverBudget} when the budget stopped it. */
    static RowResult judgeFailure(String id, String source, Outcome.Failed f) {
        if (f.kind() == Outcome.FailureKind.BUDGET) {
            return new OverBudget();
        }
        return failure(id, source, "judge_failed", f.status(), f.message(), f.attempts());
    }

    static RowResult failure(String id, String source, String kind, int status, String message, int attempts) {
        Map<String, Object> reason = new LinkedHashMap<>();
        reason.put("id", id);
        reason.put("source", source);
        reason.put("kind", kind);
        reason.put("status", status);
        reason.put("reason", message);
        reason.put("attempts", attempts);
        return new Failed(Json.toCompactString(reason), Math.max(0, attempts - 1));
    }

    private static String status(CostMeter meter, long failed) {
        return String.format(Locale.ROOT, "$%.4f%s", meter.spentUsd(), failed > 0 ? ", " + failed + " failed" : "");
    }
}
