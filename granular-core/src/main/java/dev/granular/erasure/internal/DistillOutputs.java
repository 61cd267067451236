package dev.granular.erasure.internal;

import dev.granular.erasure.DistillJob;
import dev.granular.erasure.StrategyChoice;
import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Charts;
import dev.granular.report.Json;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.internal.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything {@code distill} writes besides the journal: shards rebuilt from the journal in
 * task order, {@code failed.jsonl}, the final leak pass over the written files, the report
 * ({@code summary.json}, {@code strategies.json}, a heat map and a bar chart), the dataset card
 * and the manifest.
 */
public final class DistillOutputs {
    /** What the written data holds. */
    record Counts(long records, long failed, long droppedWrong, long droppedLeak, long unjudged,
                  Map<String, Long> recordsByStrategy) {
    }

    private DistillOutputs() {
    }

    static Counts write(OutputDirectory dir, DistillJob.Spec spec, Journal journal, CalibrationRun calibration,
                        List<StrategyChoice> choices, LeakCheck leaks, CostMeter meter, DistillRun.Calls calls, Instant started,
                        long tasks) {
        long records = 0;
        long wrong = 0;
        long leaked = 0;
        long unjudged = 0;
        long correct = 0;
        Map<String, Long> byStrategy = new TreeMap<>();
        try (ShardWriter w = dir.rewriter()) {
            for (long i : journal.successIndices()) {
                String line = journal.record(i).orElseThrow();
                JsonNode n = DistillRun.parse(line);
                if (n.has("dropped")) {
                    if (n.get("dropped").asText().equals("leak")) {
                        leaked++;
                    } else {
                        wrong++;
                    }
                    continue;
                }
                w.write(line);
                records++;
                byStrategy.merge(n.path("meta").path("strategy").asText(), 1L, Long::sum);
                JsonNode c = n.path("meta").path("correct");
                if (c.isNull()) {
                    unjudged++;
                } else if (c.asBoolean()) {
                    correct++;
                }
            }
            w.finish();
        }
        assertNothingLeaked(dir.dataDir(), leaks);
        writeFailed(dir, journal);
        long failed = journal.failures().size();
        Counts counts = new Counts(records, failed, wrong, leaked, unjudged, byStrategy);
        boolean complete = failed == 0 && !calls.budgetHit.get() && calibration.complete();
        try {
            Json.writeAtomically(dir.reportDir().resolve("strategies.json"), strategiesJson(calibration, choices));
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary(counts, correct, tasks, calls, meter, choices));
            // A heat map needs at least one judged cell (a budget stop early in calibration has none).
            if (calibration.cells().stream().anyMatch(c -> c.judged() > 0)) {
                HeatMap.png(dir.reportDir().resolve("strategy_accuracy.png"), calibration.cells());
            }
            if (!byStrategy.isEmpty()) {
                Charts.barChartPng(dir.reportDir().resolve("records_by_strategy.png"), "Records by strategy", "strategy",
                        "records", new ArrayList<>(byStrategy.keySet()), new ArrayList<>(byStrategy.values()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.train("granular distill", counts.records(), List.of("text-generation"), "distillation", "synthetic")
                .withFeaturesOf(dir.dir()).card(DistillCard.markdown(spec, counts, choices, calibration, meter, complete)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", "distill");
        m.put("command_line", spec.commandLine());
        m.put("config", DistillRun.identity(spec));
        m.put("limits", Map.of("concurrency", spec.limits().concurrency(), "rpm", spec.limits().rpm(), "tpm",
                spec.limits().tpm(), "max_retries", spec.limits().maxRetries(), "timeout_s", spec.limits().timeout().toSeconds(),
                "batch", spec.limits().batch() != null));
        m.put("fingerprint", dir.fingerprint());
        m.put("complete", complete);
        m.put("counts", countsJson(counts));
        m.put("cost", meter.toJson());
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        dir.finish(m);
        return counts;
    }

    /**
     * Reads back every written record and fails the run if any leaks. Records were checked
     * before the journal took them, so this can only fire on a bug or a journal edited by hand;
     * it is the guarantee that the files on disk, not just the code path, are clean.
     */
    static void assertNothingLeaked(Path dataDir, LeakCheck leaks) {
        // A run stopped (budget, failures) before its first record has an empty data folder, which
        // RecordReader refuses as bad input; there is nothing to check then, and the stop must stay
        // a resumable exit 3.
        if (!hasRecordFiles(dataDir)) {
            return;
        }
        try (Stream<TrainingRecord> s = RecordReader.read(dataDir)) {
            s.forEach(r -> {
                Optional<LeakCheck.Leak> l = leaks.find(r);
                if (l.isPresent()) {
                    throw new IllegalStateException("record " + r.id() + " carries words of strategy " + l.get().strategy()
                            + "'s instruction (\"" + l.get().words() + "\") after erasure");
                }
            });
        }
    }

    private static boolean hasRecordFiles(Path dataDir) {
        if (!java.nio.file.Files.isDirectory(dataDir)) {
            return false;
        }
        try (Stream<Path> s = java.nio.file.Files.list(dataDir)) {
            return s.map(p -> p.getFileName().toString()).anyMatch(n -> n.endsWith(".jsonl") || n.endsWith(".jsonl.gz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeFailed(OutputDirectory dir, Journal journal) {
        StringBuilder lines = new StringBuilder();
        journal.failures().values().forEach(f -> lines.append(f).append('\n'));
        Path file = dir.dir().resolve("failed.jsonl");
        try {
            if (lines.isEmpty()) {
                Files.deleteIfExists(file);
            } else {
                AtomicFiles.write(file, lines.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> strategiesJson(CalibrationRun calibration, List<StrategyChoice> choices) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> table = new ArrayList<>();
        for (Calibration.Cell c : calibration.cells()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("category", c.category());
            row.put("strategy", c.strategy());
            row.put("judged", c.judged());
            row.put("correct", c.correct());
            row.put("accuracy", c.accuracy());
            row.put("mean_answer_chars", c.meanLength());
            row.put("chosen", choices.stream().anyMatch(x -> x.category().equals(c.category())
                    && x.strategy().equals(c.strategy()) && x.reason().equals("calibration")));
            table.add(row);
        }
        out.put("table", table);
        List<Object> chosen = new ArrayList<>();
        for (StrategyChoice c : choices) {
            chosen.add(Map.of("category", c.category(), "strategy", c.strategy(), "reason", c.reason()));
        }
        out.put("chosen", chosen);
        return out;
    }

    private static Map<String, Object> countsJson(Counts c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", c.records());
        m.put("failed", c.failed());
        m.put("dropped_wrong", c.droppedWrong());
        m.put("dropped_leak", c.droppedLeak());
        m.put("unjudged", c.unjudged());
        return m;
    }

    private static Map<String, Object> summary(Counts c, long correct, long tasks, DistillRun.Calls calls, CostMeter meter,
                                               List<StrategyChoice> choices) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("tasks", tasks);
        s.putAll(countsJson(c));
        s.put("correct", correct);
        s.put("not_sent", calls.notSent.get());
        s.put("records_by_strategy", c.recordsByStrategy());
        Map<String, Object> chosen = new LinkedHashMap<>();
        choices.forEach(x -> chosen.put(x.category(), x.strategy() + (x.fallback() ? " (" + x.reason() + ")" : "")));
        s.put("strategy_by_category", chosen);
        s.put("cost", meter.toJson());
        return s;
    }
}
