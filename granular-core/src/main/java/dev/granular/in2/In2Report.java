package dev.granular.in2;

import dev.granular.io.OutputDirectory;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Charts;
import dev.granular.report.Histogram;
import dev.granular.report.Json;
import dev.granular.report.Uniformity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The report of an IN2 dataset: counts by kind and question kind, context lengths, and how
 * uniformly the key segments are spread over depth. A fresh run tallies it from the records as it
 * writes them ({@link Tally}); a resumed run reads every record back from disk ({@link #build}),
 * so the report is the same either way.
 *
 * <p>Writes {@code report/summary.json}, {@code report/depth.png} and {@code report/lengths.png}.
 */
final class In2Report {
    static final int DEPTH_BINS = 10;
    static final int LENGTH_BINS = 32;

    private final Map<String, Long> byKind;
    private final Map<String, Long> byQaKind;
    private final long records;
    private final long contextTokens;
    private final Histogram depth;
    private final Histogram lengths;
    private final double depthP;
    private final Map<String, Object> summary;

    private In2Report(Map<String, Long> byKind, Map<String, Long> byQaKind, long records, long contextTokens,
                      Histogram depth, Histogram lengths, double depthP, Map<String, Object> summary) {
        this.byKind = byKind;
        this.byQaKind = byQaKind;
        this.records = records;
        this.contextTokens = contextTokens;
        this.depth = depth;
        this.lengths = lengths;
        this.depthP = depthP;
        this.summary = summary;
    }

    /**
     * The report of the records on disk. {@link In2Job} tallies the records as it writes them instead
     * ({@link Tally}), which gives the same report without reading 80 MB of JSONL back; a resumed run,
     * whose earlier records were written by another process, reads them all from disk.
     */
    static In2Report build(OutputDirectory dir, In2Config config) {
        Tally tally = new Tally(config);
        try (Stream<TrainingRecord> s = RecordReader.read(dir.dir())) {
            for (var it = s.iterator(); it.hasNext(); ) {
                tally.add(it.next());
            }
        }
        return tally.write(dir);
    }

    /** The report's counts, one record at a time, in record order. */
    static final class Tally {
        private final Map<String, Long> byKind = new LinkedHashMap<>();
        private final Map<String, Long> byQaKind = new TreeMap<>();
        private final Histogram.Builder depth = Histogram.builder(0, 1, DEPTH_BINS);
        private final Histogram.Builder lengths;
        private long records;
        private long contextTokens;
        private long longExamples;
        private long longTokens;
        private long minLong = Long.MAX_VALUE;
        private long maxLong;
        private long answerChars;
        private final Map<String, Long> rejected = new TreeMap<>();
        private long byTeacher;
        private final java.util.Set<String> questions = new java.util.HashSet<>();
        private long repeated;

        Tally(In2Config config) {
            for (ExampleKind k : ExampleKind.values()) {
                byKind.put(k.wireName(), 0L);
            }
            lengths = Histogram.builder(0, config.maxTokens(), LENGTH_BINS);
        }

        void add(TrainingRecord r) {
            records++;
            Map<String, Object> meta = r.meta();
            String kind = String.valueOf(meta.get("kind"));
            byKind.merge(kind, 1L, Long::sum);
            byQaKind.merge(String.valueOf(meta.get("qa_kind")), 1L, Long::sum);
            answerChars += r.messages().get(r.messages().size() - 1).content().length();
            if (meta.get("teacher") != null) {
                byTeacher++;
            }
            if (meta.get("question") instanceof String q && !questions.add(TeacherQuestions.normalise(q))) {
                repeated++;
            }
            if (meta.get("qa_rejected") instanceof Map<?, ?> rej) {
                rej.forEach((k, v) -> rejected.merge(String.valueOf(k), ((Number) v).longValue(), Long::sum));
            }
            if (meta.get("context_tokens") instanceof Number n) {
                long t = n.longValue();
                contextTokens += t;
                lengths.add(t);
                if (kind.equals("single") || kind.equals("multi")) {
                    longExamples++;
                    longTokens += t;
                    minLong = Math.min(minLong, t);
                    maxLong = Math.max(maxLong, t);
                    if (meta.get("depth") instanceof List<?> ds) {
                        for (Object d : ds) {
                            depth.add(((Number) d).doubleValue());
                        }
                    }
                }
            }
        }

        /** Writes the report of the records added and returns it. */
        In2Report write(OutputDirectory dir) {
            return In2Report.write(dir, this);
        }
    }

    private static In2Report write(OutputDirectory dir, Tally tally) {
        Map<String, Long> byKind = tally.byKind;
        Map<String, Long> byQaKind = tally.byQaKind;
        Histogram.Builder depth = tally.depth;
        Histogram.Builder lengths = tally.lengths;
        long records = tally.records;
        long contextTokens = tally.contextTokens;
        long longExamples = tally.longExamples;
        long longTokens = tally.longTokens;
        long minLong = tally.minLong;
        long maxLong = tally.maxLong;
        long answerChars = tally.answerChars;
        Map<String, Long> rejected = tally.rejected;
        long byTeacher = tally.byTeacher;
        long repeated = tally.repeated;
        Histogram dh = depth.build();
        Histogram lh = lengths.build();
        double p = dh.total() >= DEPTH_BINS ? Uniformity.chiSquarePValue(dh.counts()) : Double.NaN;

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("records", records);
        summary.put("by_kind", byKind);
        summary.put("by_qa_kind", byQaKind);
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("total_tokens", contextTokens);
        ctx.put("long_examples", longExamples);
        ctx.put("long_mean_tokens", longExamples == 0 ? null : (double) longTokens / longExamples);
        ctx.put("long_min_tokens", longExamples == 0 ? null : minLong);
        ctx.put("long_max_tokens", longExamples == 0 ? null : maxLong);
        ctx.put("histogram", lh.toJson());
        summary.put("context_tokens", ctx);
        Map<String, Object> dep = new LinkedHashMap<>();
        dep.put("key_segments", dh.total());
        dep.put("histogram", dh.toJson());
        dep.put("chi_square_p", p);
        dep.put("note", "depth = start token of a key segment / context tokens, over single and multi examples;"
                + " a p-value above 0.01 means no evidence against uniform depth");
        summary.put("depth", dep);
        summary.put("mean_answer_chars", records == 0 ? null : (double) answerChars / records);
        Map<String, Object> qs = new LinkedHashMap<>();
        qs.put("redrawn_duplicates", rejected.getOrDefault("duplicate", 0L));
        qs.put("repeated", repeated);
        qs.put("note", "redrawn_duplicates: questions that repeated an earlier record's and were drawn again; "
                + "repeated: records whose question (case and punctuation folded) still repeats an earlier one");
        summary.put("questions", qs);
        if (byTeacher > 0) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("questions", byTeacher);
            t.put("rejected_candidates", rejected);
            t.put("note", "candidates dropped and replaced: failed (no reply), invalid (not the JSON asked for), evidence "
                    + "(quote not verbatim in the key segments), meta (refers to 'the text'), ambiguous (quote repeated in the "
                    + "context), duplicate (question asked before)");
            summary.put("teacher", t);
        }
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
            Charts.histogramPng(dir.reportDir().resolve("depth.png"), "Depth of the key segments (p = " + fmt(p) + ")",
                    "depth in context (0 = start, 1 = end)", "key segments", dh);
            Charts.histogramPng(dir.reportDir().resolve("lengths.png"), "Context lengths", "context tokens", "examples", lh);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + dir.reportDir(), e);
        }
        return new In2Report(byKind, byQaKind, records, contextTokens, dh, lh, p, summary);
    }

    static String fmt(double p) {
        return Double.isNaN(p) ? "n/a" : String.format(java.util.Locale.ROOT, "%.3g", p);
    }

    Map<String, Long> byKind() {
        return byKind;
    }

    Map<String, Long> byQaKind() {
        return byQaKind;
    }

    long records() {
        return records;
    }

    long contextTokens() {
        return contextTokens;
    }

    Histogram depth() {
        return depth;
    }

    Histogram lengths() {
        return lengths;
    }

    double depthP() {
        return depthP;
    }

    Map<String, Object> summary() {
        return summary;
    }
}
