package dev.granular.in2.internal;

import dev.granular.in2.ExampleKind;
import dev.granular.in2.In2Config;

import dev.granular.files.OutputDirectory;
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
public final class In2Report {
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
    /** The records' types for the card, when typed where written; else null. */
    private dev.granular.files.RowTypes rowTypes;

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
    public static In2Report build(OutputDirectory dir, In2Config config) {
        Tally tally = new Tally(config);
        try (Stream<TrainingRecord> s = RecordReader.read(dir.dir())) {
            for (var it = s.iterator(); it.hasNext(); ) {
                tally.add(it.next());
            }
        }
        return tally.write(dir);
    }

    /**
     * The report's counts, one record at a time, in record order; or, for a distributed run, per shard (without
     * the repeated questions, which only the pass in index order knows: {@link #repeated(long)}), merged in shard
     * order ({@link #addAll}). Serializable: a task sends its shard's tally back.
     */
    public static final class Tally implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
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
        /** Null for a shard's tally: repeats across shards are counted by the pass in index order. */
        private final java.util.Set<String> questions;
        private long repeated;
        /** The rows' types for the dataset card, when they were typed where written; null: the card reads the files. */
        private dev.granular.files.RowTypes rowTypes;

        public Tally(In2Config config) {
            this(config, true);
        }

        private Tally(In2Config config, boolean countRepeats) {
            for (ExampleKind k : ExampleKind.values()) {
                byKind.put(k.wireName(), 0L);
            }
            lengths = Histogram.builder(0, config.maxTokens(), LENGTH_BINS);
            questions = countRepeats ? new java.util.HashSet<>() : null;
        }

        /** A shard's tally: everything but the repeated questions. */
        static Tally ofShard(In2Config config) {
            return new Tally(config, false);
        }

        public void add(TrainingRecord r) {
            add(Counted.of(r));
        }

        public void add(Counted c) {
            records++;
            byKind.merge(c.kind(), 1L, Long::sum);
            byQaKind.merge(c.qaKind(), 1L, Long::sum);
            answerChars += c.answerChars();
            if (c.teacher()) {
                byTeacher++;
            }
            if (c.question() != null && questions != null && !questions.add(c.question())) {
                repeated++;
            }
            if (c.rejected() != null) {
                c.rejected().forEach((k, v) -> rejected.merge(k, v, Long::sum));
            }
            if (c.contextTokens() != null) {
                long t = c.contextTokens();
                contextTokens += t;
                lengths.add(t);
                if (c.kind().equals("single") || c.kind().equals("multi")) {
                    longExamples++;
                    longTokens += t;
                    minLong = Math.min(minLong, t);
                    maxLong = Math.max(maxLong, t);
                    if (c.depth() != null) {
                        for (double d : c.depth()) {
                            depth.add(d);
                        }
                    }
                }
            }
        }

        /** Adds the tally of the records after this one's (shard tallies, in shard order). */
        void addAll(Tally o) {
            records += o.records;
            o.byKind.forEach((k, v) -> byKind.merge(k, v, Long::sum));
            o.byQaKind.forEach((k, v) -> byQaKind.merge(k, v, Long::sum));
            depth.addAll(o.depth);
            lengths.addAll(o.lengths);
            contextTokens += o.contextTokens;
            longExamples += o.longExamples;
            longTokens += o.longTokens;
            minLong = Math.min(minLong, o.minLong);
            maxLong = Math.max(maxLong, o.maxLong);
            answerChars += o.answerChars;
            o.rejected.forEach((k, v) -> rejected.merge(k, v, Long::sum));
            byTeacher += o.byTeacher;
            repeated += o.repeated;
        }

        /** Sets the types of the records added, typed where they were written. */
        void rowTypes(dev.granular.files.RowTypes types) {
            rowTypes = types;
        }

        /** Sets the records whose question repeats an earlier record's, as counted in index order. */
        void repeated(long n) {
            repeated = n;
        }

        public long records() {
            return records;
        }

        /** Writes the report of the records added and returns it. */
        public In2Report write(OutputDirectory dir) {
            return In2Report.write(dir, this);
        }
    }

    /**
     * What the report counts of one record, taken where the record is made (a task ships it with the draw, so the
     * report needs no record read back).
     *
     * @param question      the normalised question, or null
     * @param rejected      rejected teacher candidates by reason, or null
     * @param contextTokens the context's tokens, or null when the record has none
     * @param depth         the key segments' depths, or null
     */
    record Counted(String kind, String qaKind, long answerChars, boolean teacher, String question, Map<String, Long> rejected,
                   Long contextTokens, double[] depth) implements java.io.Serializable {
        static Counted of(TrainingRecord r) {
            Map<String, Object> meta = r.meta();
            Map<String, Long> rej = null;
            if (meta.get("qa_rejected") instanceof Map<?, ?> m) {
                rej = new TreeMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    rej.merge(String.valueOf(e.getKey()), ((Number) e.getValue()).longValue(), Long::sum);
                }
            }
            double[] depth = null;
            if (meta.get("depth") instanceof List<?> ds) {
                depth = new double[ds.size()];
                for (int i = 0; i < depth.length; i++) {
                    depth[i] = ((Number) ds.get(i)).doubleValue();
                }
            }
            return new Counted(String.valueOf(meta.get("kind")), String.valueOf(meta.get("qa_kind")),
                    r.messages().get(r.messages().size() - 1).content().length(), meta.get("teacher") != null,
                    meta.get("question") instanceof String q ? TeacherQuestions.normalise(q) : null, rej,
                    meta.get("context_tokens") instanceof Number n ? n.longValue() : null, depth);
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
        In2Report report = new In2Report(byKind, byQaKind, records, contextTokens, dh, lh, p, summary);
        report.rowTypes = tally.rowTypes;
        return report;
    }

    static String fmt(double p) {
        return Double.isNaN(p) ? "n/a" : String.format(java.util.Locale.ROOT, "%.3g", p);
    }

    /** The records' types, when they were typed where written ({@link Tally#rowTypes}); null: read the files. */
    dev.granular.files.RowTypes rowTypes() {
        return rowTypes;
    }

    public Map<String, Long> byKind() {
        return byKind;
    }

    public Map<String, Long> byQaKind() {
        return byQaKind;
    }

    public long records() {
        return records;
    }

    public long contextTokens() {
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

    public Map<String, Object> summary() {
        return summary;
    }
}
