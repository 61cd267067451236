package dev.granular.teacher.internal;

import dev.granular.teacher.RowListener;
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
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.concurrent.InFlightWindow;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import dev.granular.teacher.GenerateJob;
import dev.granular.teacher.GenerateJob.Spec;
import dev.granular.teacher.GenerateJob.Result;

/**
 * How {@link GenerateJob} runs: GenerateJob holds the API (its {@code Spec}, {@code Result}, {@code run} and
 * {@code estimate}), this class the orchestration behind it, out of the exported package.
 */
public final class GenerateRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GenerateRun() {
    }

    /**
     * Adds the requests a run of {@code spec} would send to {@code estimator}, sending and writing nothing: the same
     * requests {@link #run} builds ({@link #request}), so the same cache keys, and the same input checks.
     */
    public static void estimate(Spec spec, SpendEstimator estimator) {
        OutputOverlap.check(spec.out(), spec.in());
        GenerateInput.check(spec.in(), spec.limit()); // a dry run finds what the real run would refuse
        GenerateInput.forEach(spec.in(), spec.limit(), row -> {
            for (int k = 0; k < spec.n(); k++) {
                estimator.add("generate", spec.model(), request(spec, row, k));
            }
        });
    }

    public static Result run(Spec spec, RowListener listener) throws InterruptedException {
        return run(spec, listener, FileWrites.DIRECT);
    }

    /** {@link #run(Spec, RowListener)} writing its journals through {@code writes} (tests inject a full disk). */
    public static Result run(Spec spec, RowListener listener, FileWrites writes) throws InterruptedException {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.in());
        spec.model().key(spec.env()); // a missing or unsendable key is bad input, found before anything is written
        PriceTable prices = PriceTable.builtIn(spec.prices());
        // every row is read and checked (and ids compared) before the first request
        long rowsToRun = GenerateInput.check(spec.in(), spec.limit());

        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("model", spec.model().toString());
        identity.put("params", spec.params().toJson());
        identity.put("n", spec.n());
        identity.put("json_schema", spec.jsonSchema() == null ? null : spec.jsonSchema().toString());
        identity.put("input", JsonlInput.manifestValue(spec.in()));
        identity.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.in())));
        OutputDirectory dir = OutputDirectory.open(spec.out(), "generate", identity, spec.shardSize(), spec.overwrite(),
                spec.in());

        CostMeter meter = CostMeter.of(prices, spec.maxCost());
        PaidRepliesFile replies = PaidRepliesFile.open(dir.dir().resolve(OutputDirectory.PAID_REPLIES), dir.fingerprint(), writes);
        // What earlier attempts of this run paid counts against the budget and in every figure.
        replies.carryInto(meter, spec.model());
        ResponseCache cache = spec.cachePath() == null ? ResponseCache.NONE : SqliteResponseCache.open(spec.cachePath());
        Journal journal = Journal.open(dir.dir().resolve(".granular").resolve("journal.jsonl"), Journal.DEFAULT_FORCE_EVERY, writes);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong notSent = new AtomicLong();
        AtomicBoolean budgetHit = new AtomicBoolean();
        RuntimeException fatal = null;
        try (LlmClient client = LlmClient.open(spec.model(), spec.env(), spec.limits(), cache, meter, replies)) {
            long total = rowsToRun * spec.n();
            listener.stage("generate", total, journal.successes());
            try {
                InFlightWindow.forConcurrency(spec.limits().concurrency())
                        .stoppingWhen(() -> budgetHit.get() || client.stopped().isPresent())
                        .countingNotSent(notSent::incrementAndGet)
                        .onFailure(client::stop) // nothing else is sent: in-flight and queued rows stop now
                        .<Sample>runUninterruptibly(samples -> GenerateInput.forEach(spec.in(), spec.limit(), row -> {
                            for (int k = 0; k < spec.n(); k++) {
                                samples.accept(new Sample(row, k, row.ordinal() * spec.n() + k));
                            }
                        }), s -> journal.done(s.index()), s -> {
                            try {
                                one(spec, client, journal, meter, s.row(), s.sample(), s.index(), ok, failed, notSent, budgetHit,
                                        listener);
                            } catch (UncheckedIOException io) {
                                // The row journal could not be written (a full disk): stop, saying so in plain words.
                                throw io.getMessage().startsWith("cannot append to the journal")
                                        ? PaidRepliesFile.cannotWrite(journal.file(), io.getCause()) : io;
                            }
                        });
            } catch (RuntimeException e) {
                // A row's failure: the outputs are not written, but the journal is still closed below.
                fatal = e;
            }
        } finally {
            cache.close();
            replies.close();
        }
        try {
            if (fatal != null) {
                throw fatal;
            }
            long written;
            try {
                written = writeOutputs(dir, journal, spec, meter, started, budgetHit.get(), notSent.get());
            } catch (UncheckedIOException e) {
                String why = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
                throw new StoppedEarlyException((why != null && why.contains("No space left") ? "the disk is full: " : "")
                        + "cannot write the outputs in " + spec.out() + " (" + why + "); every reply is journalled, "
                        + "so nothing is asked again: free some space");
            }
            Result result = new Result(spec.out(), meter.attempts(), meter.billable(), written, journal.failures().size(),
                    notSent.get(), meter.cachedRequests(), meter.summary(), Duration.between(started, Instant.now()));
            if (budgetHit.get()) {
                // Numbers.human: a budget of 0.0002 reads $0.0002, not $2.0E-4
                throw new StoppedEarlyException("the ${maxCost} budget of $" + dev.granular.report.Numbers.human(spec.maxCost())
                        + " was reached after " + meter.summary() + "; " + notSent.get()
                        + " requests not sent; rerun with a larger ${maxCost} to continue");
            }
            if (!journal.failures().isEmpty()) {
                throw new StoppedEarlyException(journal.failures().size() + " rows failed after their retries (see "
                        + spec.out().resolve("failed.jsonl") + ")");
            }
            return result;
        } finally {
            closeQuietly(journal, fatal != null);
        }
    }

    /** Sample {@code sample} of {@code row}, at {@code index} in the journal. */
    private record Sample(GenerateInput.Row row, int sample, long index) {
    }

    /** Closes the journal; after a failure (a full disk, say) a failing close must not hide the failure. */
    private static void closeQuietly(Journal journal, boolean failing) {
        try {
            journal.close();
        } catch (UncheckedIOException e) {
            if (!failing) {
                throw e;
            }
        }
    }

    private static void one(Spec spec, LlmClient client, Journal journal, CostMeter meter, GenerateInput.Row row, int sample,
                            long index, AtomicLong ok, AtomicLong failed, AtomicLong notSent, AtomicBoolean budgetHit,
                            RowListener listener) throws InterruptedException {
        ChatRequest req = request(spec, row, sample);
        String id = req.rowId();
        Outcome outcome = client.complete(req);
        switch (outcome) {
            case Outcome.Ok o -> {
                journal.success(index, RecordJson.toJson(record(spec, row, id, o)));
                ok.incrementAndGet();
                listener.finished(true, o.completion().usage().promptTokens() + o.completion().usage().completionTokens(),
                        Math.max(0, o.attempts() - 1), status(meter, failed.get()));
            }
            case Outcome.Failed f -> {
                if (f.kind() == Outcome.FailureKind.BUDGET) {
                    budgetHit.set(true);
                    notSent.incrementAndGet();
                    return;
                }
                Map<String, Object> reason = new LinkedHashMap<>();
                reason.put("id", id);
                reason.put("source", row.source());
                reason.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
                reason.put("status", f.status());
                reason.put("reason", f.message());
                reason.put("attempts", f.attempts());
                journal.failure(index, Json.toCompactString(reason));
                failed.incrementAndGet();
                listener.finished(false, 0, Math.max(0, f.attempts() - 1), status(meter, failed.get()));
            }
        }
    }

    /** The request for sample {@code sample} of {@code row}: the one place generate builds requests (run and dry run). */
    public static ChatRequest request(Spec spec, GenerateInput.Row row, int sample) {
        String id = spec.n() == 1 ? row.id() : row.id() + "#" + sample;
        return new ChatRequest(id, row.chat(), spec.params(), sample, spec.jsonSchema(), null, row.tools());
    }

    /** The progress line's tail: money so far and errors. */
    private static String status(CostMeter meter, long failed) {
        return String.format(Locale.ROOT, "$%.4f%s", meter.spentUsd(), failed > 0 ? ", " + failed + " failed" : "");
    }

    public static TrainingRecord record(Spec spec, GenerateInput.Row row, String id, Outcome.Ok o) {
        List<Message> msgs = new ArrayList<>(row.messages());
        Completion c = o.completion();
        // A reply that calls tools is kept as such: its calls, and null content when the server sent null.
        msgs.add(c.toolCalls() == null ? Message.assistant(c.text())
                : new Message(Role.ASSISTANT, c.text(), true, null, null, c.toolCalls(), null, null, null, c.textNull()));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "generate");
        meta.putAll(GenerateInput.inputMeta(row));
        if (row.meta().get("design") instanceof String d) {
            meta.put("input_design", d);
        }
        meta.put("source", row.source());
        if (spec.n() > 1) {
            meta.put("sample_index", id.substring(id.lastIndexOf('#') + 1));
        }
        Map<String, Object> gen = new LinkedHashMap<>();
        gen.put("model", spec.model().toString());
        gen.put("finish_reason", o.completion().finishReason());
        gen.put("usage", Map.of("prompt_tokens", o.completion().usage().promptTokens(),
                "completion_tokens", o.completion().usage().completionTokens()));
        gen.put("latency_ms", o.latencyMs());
        gen.put("cached", o.cached());
        gen.put("attempts", o.attempts());
        meta.put("generation", gen);
        return new TrainingRecord(id, msgs, row.tools(), meta);
    }

    /** Shards from the journal, in row order; failed.jsonl; report; card; manifest. Returns records written. */
    private static long writeOutputs(OutputDirectory dir, Journal journal, Spec spec, CostMeter meter, Instant started,
                                     boolean budgetHit, long notSent) {
        long written = 0;
        try (ShardWriter w = dir.rewriter()) {
            for (long i : journal.successIndices()) {
                w.write(journal.record(i).orElseThrow());
                written++;
            }
            w.finish();
        }
        StringBuilder failedLines = new StringBuilder();
        journal.failures().values().forEach(f -> failedLines.append(f).append('\n'));
        Path failedFile = dir.dir().resolve("failed.jsonl");
        if (failedLines.isEmpty()) {
            try {
                java.nio.file.Files.deleteIfExists(failedFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else {
            AtomicFiles.write(failedFile, failedLines.toString());
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("records", written);
        counts.put("failed", journal.failures().size());
        counts.put("not_sent", notSent);
        counts.put("attempts", meter.attempts());
        counts.put("billable", meter.billable());
        counts.put("cached", meter.cachedRequests());
        Map<String, Object> summary = new LinkedHashMap<>(counts);
        summary.put("cost", meter.toJson());
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean complete = journal.failures().isEmpty() && !budgetHit;
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.train("granular generate", written, List.of("text-generation"), "synthetic")
                .withFeaturesOf(dir.dir()).card(card(spec, written, journal.failures().size(), notSent, meter, complete)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", "generate");
        m.put("command_line", spec.commandLine());
        m.put("model", spec.model().toString());
        m.put("params", spec.params().toJson());
        m.put("n", spec.n());
        m.put("limits", Map.of("concurrency", spec.limits().concurrency(), "rpm", spec.limits().rpm(), "tpm", spec.limits().tpm(),
                "max_retries", spec.limits().maxRetries(), "timeout_s", spec.limits().timeout().toSeconds(),
                "batch", spec.limits().batch() != null));
        m.put("input", JsonlInput.manifestValue(spec.in()));
        m.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.in())));
        m.put("fingerprint", dir.fingerprint());
        m.put("complete", complete);
        m.put("counts", counts);
        m.put("cost", meter.toJson());
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        dir.finish(m);
        return written;
    }

    private static String card(Spec spec, long written, int failed, long notSent, CostMeter meter, boolean complete) {
        return "# Generated replies\n\n"
                + "Made by granular with `granular " + String.join(" ", spec.commandLine()) + "`.\n\n"
                + "Each record is an input conversation from `" + JsonlInput.names(spec.in()) + "` plus the reply of `"
                + spec.model() + "` as the trained assistant message; `meta.generation` has the model, finish reason, "
                + "token usage, latency, whether the reply came from the cache, and the attempts it took.\n\n"
                + "| | |\n|---|---|\n"
                + "| records | " + written + " |\n"
                + "| failed rows (failed.jsonl) | " + failed + " |\n"
                + "| not sent (budget) | " + notSent + " |\n"
                + "| requests sent by this process (retries and failures included) | " + meter.attempts() + " |\n"
                + "| billable replies (the whole run, interrupted attempts included) | " + meter.billable() + " |\n"
                + "| replies reused (cache or earlier runs) | " + meter.cachedRequests() + " |\n"
                + "| complete | " + (complete ? "yes" : "no: rerun the same command to continue") + " |\n"
                + "| usage | " + meter.summary() + " |\n"
                + "\n## Spend\n\nEvery attempt of this run (an interrupted run resumed pays only for what it did not have):\n\n"
                + meter.attemptsTable();
    }
}
