package dev.granular.probe.internal;

import java.util.concurrent.atomic.AtomicLong;
import dev.granular.concurrent.InFlightWindow;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import dev.granular.probe.EvalJob;
import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import dev.granular.report.Numbers;
import dev.granular.teacher.internal.ChatMessage;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.internal.CircuitBreaker;
import dev.granular.teacher.internal.Clock;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.HttpTransport;
import dev.granular.teacher.internal.Journal;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.internal.RetryPolicy;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.internal.SpendEstimator;
import dev.granular.teacher.internal.SqliteResponseCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * What {@link EvalJob#run} does: gets a reply for every probe (from a model, greedily, through the teacher layer; or
 * from a predictions file), scores it, and writes the scored records and the report. Model replies go to the folder's
 * journal as they arrive, so a killed run resumes without asking again; probes that fail after their retries are
 * listed in {@code failed.jsonl}, left out of the scores, and end the run with {@code StoppedEarlyException}.
 */
public final class EvalRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvalRun() {
    }

    public static EvalJob.Result run(EvalJob.Spec spec, RowListener listener) throws InterruptedException {
        List<String> ids = probeIds(spec.probes());
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("probes_sha256", CorpusReader.fingerprint(RecordReader.dataFiles(spec.probes())));
        identity.put("model", spec.model() == null ? null : spec.model().toString());
        identity.put("predictions_sha256", spec.predictions() == null ? null : CorpusReader.fingerprint(JsonlInput.files(spec.predictions())));
        identity.put("max_tokens", spec.maxTokens());
        OutputDirectory dir = OutputDirectory.open(spec.out(), "eval", identity, spec.shardSize(), spec.overwrite(),
                java.util.stream.Stream.concat(java.util.stream.Stream.of(spec.probes()),
                        spec.predictions() == null ? java.util.stream.Stream.<Path>empty() : spec.predictions().stream()).toList());
        PriceTable prices = spec.prices() == null ? PriceTable.builtIn() : PriceTable.builtIn().withOverrides(spec.prices());
        CostMeter meter = spec.maxCost() == null ? new CostMeter(prices) : new CostMeter(prices, spec.maxCost());
        List<String> replies;
        Map<Long, String> failures = Map.of();
        boolean budgetHit = false;
        if (spec.predictions() != null) {
            try {
                replies = Predictions.align(spec.predictions(), ids);
            } catch (RuntimeException e) {
                dir.abandon(e);
                throw e;
            }
        } else {
            // Every paid reply is journalled first; a resumed run adds what its earlier attempts paid (see PaidRepliesFile).
            try (Journal journal = Journal.open(dir.dir().resolve(".granular").resolve("journal.jsonl"));
                 PaidRepliesFile paid = PaidRepliesFile.of(dir)) {
                paid.carryInto(meter, spec.model());
                budgetHit = ask(spec, ids.size(), journal, meter, paid, listener);
                replies = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    replies.add(journal.record(i).map(EvalRun::replyText).orElse(null));
                }
                failures = journal.failures();
            }
        }
        ScoreSheet sheet = writeOutputs(spec, dir, replies, failures, meter, budgetHit);
        long scored = replies.stream().filter(r -> r != null).count();
        if (budgetHit) {
            throw new StoppedEarlyException("the ${maxCost} budget of " + Numbers.usd(spec.maxCost()) + " was reached after " + meter.summary());
        }
        if (!failures.isEmpty()) {
            throw new StoppedEarlyException(failures.size() + " probes failed after their retries (see "
                    + spec.out().resolve("failed.jsonl") + ")");
        }
        return new EvalJob.Result(sheet, scored, failures.size(), meter.summary());
    }

    /**
     * Adds the requests a run of {@code spec} would send to {@code estimator} (the same ones, built by the same code),
     * sending and writing nothing; with {@code --predictions} there is no model call, which it notes.
     */
    public static void estimate(EvalJob.Spec spec, SpendEstimator estimator) {
        probeIds(spec.probes()); // the real run's checks
        if (spec.model() == null) {
            estimator.note("eval --predictions makes no model calls: nothing to pay for");
            return;
        }
        GenerationParams params = params(spec);
        try (Stream<TrainingRecord> probes = RecordReader.read(spec.probes())) {
            probes.forEach(p -> estimator.add("eval", spec.model(), request(p, params)));
        }
    }

    /** Greedy replies of at most {@code --max-tokens}. */
    private static GenerationParams params(EvalJob.Spec spec) {
        return new GenerationParams(0.0, null, spec.maxTokens(), null, List.of(), Map.of());
    }

    /** The request for {@code probe}: the one place eval builds requests (run and dry run). */
    private static ChatRequest request(TrainingRecord probe, GenerationParams params) {
        List<ChatMessage> chat = probe.messages().stream().map(m -> new ChatMessage(m.role(), m.content())).toList();
        return ChatRequest.of(probe.id(), chat, params);
    }

    private static List<String> probeIds(Path probes) {
        if (!Files.exists(probes)) {
            throw new BadInputException(probes, 0, "no such probes directory");
        }
        try (Stream<TrainingRecord> s = RecordReader.read(probes)) {
            List<String> ids = new ArrayList<>();
            s.forEach(r -> {
                if (!"probe".equals(r.design())) {
                    throw new BadInputException(probes.toString(), 0, "record \"" + r.id() + "\" is not a probe (meta.design is \""
                            + r.design() + "\"); make probes with granular probe");
                }
                ids.add(r.id());
            });
            if (ids.isEmpty()) {
                throw new BadInputException(probes, 0, "holds no probes");
            }
            return ids;
        }
    }

    /** Sends every probe not yet in the journal; returns whether the budget stopped it. */
    private static boolean ask(EvalJob.Spec spec, int total, Journal journal, CostMeter meter, PaidRepliesFile paid, RowListener listener)
            throws InterruptedException {
        GenerationParams params = params(spec);
        ResponseCache cache = spec.cachePath() == null ? ResponseCache.NONE : SqliteResponseCache.open(spec.cachePath());
        AtomicBoolean budgetHit = new AtomicBoolean();
        try (LlmClient client = new LlmClient(spec.model(), spec.model().key(spec.env()), new HttpTransport(), spec.limits(), cache,
                meter, Clock.SYSTEM, new RetryPolicy(spec.limits().maxRetries(), Duration.ofSeconds(1), Duration.ofSeconds(60),
                java.util.random.RandomGenerator.getDefault()), CircuitBreaker.defaults(Clock.SYSTEM), paid);
             Stream<TrainingRecord> probes = RecordReader.read(spec.probes())) {
            listener.stage("generate", total, journal.successes());
            AtomicLong next = new AtomicLong(); // a probe's journal index is its place in the probes, done or not
            Stream<Numbered> numbered = probes.map(p -> new Numbered(next.getAndIncrement(), p));
            InFlightWindow.forConcurrency(spec.limits().concurrency()).stoppingWhen(budgetHit::get).run(numbered::iterator,
                    n -> journal.done(n.index()), n -> one(client, journal, meter, n.probe(), n.index(), params, budgetHit, listener));
        } finally {
            cache.close();
        }
        return budgetHit.get();
    }

    /** A probe and its journal index. */
    private record Numbered(long index, TrainingRecord probe) {
    }

    private static void one(LlmClient client, Journal journal, CostMeter meter, TrainingRecord probe, long i,
                            GenerationParams params, AtomicBoolean budgetHit, RowListener listener)
            throws InterruptedException {
        Outcome outcome = client.complete(request(probe, params));
        switch (outcome) {
            case Outcome.Ok o -> {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("prediction", o.completion().text());
                line.put("finish_reason", o.completion().finishReason());
                line.put("cached", o.cached());
                journal.success(i, Json.toCompactString(line));
                listener.finished(true, o.completion().usage().promptTokens() + o.completion().usage().completionTokens(),
                        Math.max(0, o.attempts() - 1), String.format(Locale.ROOT, "$%.4f", meter.spentUsd()));
            }
            case Outcome.Failed f -> {
                if (f.kind() == Outcome.FailureKind.BUDGET) {
                    budgetHit.set(true);
                    return;
                }
                Map<String, Object> reason = new LinkedHashMap<>();
                reason.put("id", probe.id());
                reason.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
                reason.put("status", f.status());
                reason.put("reason", f.message());
                reason.put("attempts", f.attempts());
                journal.failure(i, Json.toCompactString(reason));
                listener.finished(false, 0, Math.max(0, f.attempts() - 1),
                        String.format(Locale.ROOT, "$%.4f, %d failed", meter.spentUsd(), journal.failures().size()));
            }
        }
    }

    private static String replyText(String journalLine) {
        try {
            return (String) JSON.readValue(journalLine, new TypeReference<Map<String, Object>>() { }).get("prediction");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Scored records in probe order, failed.jsonl, the report, the card and the manifest. */
    private static ScoreSheet writeOutputs(EvalJob.Spec spec, OutputDirectory dir, List<String> replies, Map<Long, String> failures,
                                           CostMeter meter, boolean budgetHit) {
        List<Scored> rows = new ArrayList<>();
        try (ShardWriter w = dir.rewriter(); Stream<TrainingRecord> probes = RecordReader.read(spec.probes())) {
            int i = 0;
            for (TrainingRecord probe : (Iterable<TrainingRecord>) probes::iterator) {
                String reply = replies.get(i++);
                if (reply == null) {
                    continue;
                }
                ProbeTask task = ProbeTask.parse((String) probe.meta().get("task"));
                double score = Scorers.score(task, probe.meta().get("gold"), reply);
                rows.add(ProbeRecords.scored(probe.meta(), score));
                List<Message> msgs = new ArrayList<>(probe.messages());
                msgs.add(Message.of(Role.ASSISTANT, reply, false));
                Map<String, Object> meta = new LinkedHashMap<>(probe.meta());
                meta.put("design", "eval");
                meta.put("score", score);
                meta.put("model", spec.model() == null ? "predictions:" + predictionsName(spec.predictions()) : spec.model().toString());
                w.write(RecordJson.toJson(new TrainingRecord(probe.id(), msgs, null, meta)));
            }
            w.finish();
        }
        try {
            Path failedFile = dir.dir().resolve("failed.jsonl");
            if (failures.isEmpty()) {
                Files.deleteIfExists(failedFile);
            } else {
                AtomicFiles.write(failedFile, String.join("\n", failures.values()) + "\n");
            }
            if (rows.isEmpty()) {
                throw new StoppedEarlyException("no probe got a reply; nothing to score");
            }
            ScoreSheet sheet = ScoreSheets.of(rows);
            String title = spec.model() == null ? predictionsName(spec.predictions()) : spec.model().toString();
            EvalReport.write(dir.reportDir(), sheet, title);
            AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.test("granular eval", rows.size(), List.of("text-generation", "question-answering"), "evaluation", "long-context")
                    .withFeaturesOf(dir.dir()).card(card(spec, sheet, rows.size(), failures.size())
                    + (spec.model() == null ? "" : "\n## Spend\n\nEvery attempt of this run (an interrupted run resumed pays only for what it did not have):\n\n" + meter.attemptsTable())));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tool", "granular");
            m.put("command", "eval");
            m.put("command_line", spec.commandLine());
            m.put("model", title);
            m.put("fingerprint", dir.fingerprint());
            m.put("complete", failures.isEmpty() && !budgetHit);
            m.put("counts", Map.of("scored", rows.size(), "failed", failures.size()));
            m.put("cost", meter.toJson());
            dir.finish(m);
            return sheet;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String card(EvalJob.Spec spec, ScoreSheet sheet, int scored, int failed) {
        StringBuilder md = new StringBuilder("# Lost-in-the-middle evaluation\n\n");
        md.append("Made by granular with `granular ").append(String.join(" ", spec.commandLine())).append("`.\n\n");
        md.append("Each record is a probe with the reply (`\"train\": false`) and `meta.score`. ")
                .append(scored).append(" probes scored, ").append(failed).append(" failed.\n\n");
        md.append("| task | Avg | Gap |\n|---|---|---|\n");
        sheet.tasks().forEach((t, s) -> md.append("| ").append(t.id()).append(" | ").append(EvalReport.pct(s.avg())).append(" | ")
                .append(EvalReport.pct(s.gap())).append(" |\n"));
        if (sheet.allAvg() != null) {
            md.append("| All | ").append(EvalReport.pct(sheet.allAvg())).append(" | ").append(EvalReport.pct(sheet.allGap())).append(" |\n");
        }
        if (sheet.needle() != null) {
            md.append("| needle | ").append(EvalReport.pct(sheet.needle().avg())).append(" | ")
                    .append(EvalReport.pct(sheet.needle().gap())).append(" |\n");
        }
        md.append("\nPlots and numbers: [report/index.html](report/index.html).\n");
        return md.toString();
    }

    /** How records and reports name predictions: the file name, or the names joined when there are several. */
    private static String predictionsName(List<Path> predictions) {
        return String.join("+", predictions.stream().map(p -> p.getFileName().toString()).toList());
    }
}
