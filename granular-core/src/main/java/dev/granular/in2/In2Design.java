package dev.granular.in2;

import dev.granular.in2.internal.Context;
import dev.granular.in2.internal.GeneralRows;
import dev.granular.in2.internal.Generated;
import dev.granular.in2.internal.In2Draw;
import dev.granular.in2.internal.In2General;
import dev.granular.in2.internal.Names;
import dev.granular.in2.internal.ProgrammaticQuestions;
import dev.granular.in2.internal.Qa;
import dev.granular.in2.internal.QaKind;
import dev.granular.in2.internal.RenderedRows;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.TeacherQuestions;

import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.granular.io.StoppedEarlyException;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The IN2 design: example {@code i} of a dataset as a pure function of the segmented
 * corpus, the configuration and the seed. No I/O, no clock; safe to call from many threads
 * in any order, and {@code example(i)} is the same whatever else was generated.
 *
 * <p>Each example gets its own random stream, seeded from (seed, i). Which kind example
 * {@code i} is comes from a seeded shuffle of the kind counts, so the counts per kind are
 * exact.
 */
public final class In2Design {
    private static final int MAX_ATTEMPTS = 2000;
    /** Teacher candidates per example: each is a request, so the bound is small. */
    static final int TEACHER_CANDIDATES = 8;
    private static final int MAX_FILLER_MISSES = 64;
    private static final int MAX_FILLER_TRIES = 200_000;
    /** Context tokens added to the minimum when rows are sized in rendered tokens (see assemble). */
    private static final int SEAM_SLACK = 4;
    /** The first examples of each long kind whose token counts are re-checked by a full tokenization. */
    private static final int VERIFIED_PER_KIND = 2;

    private final SegmentStore store;
    private final SegmentTokens tokens;
    private final In2Config config;
    private final List<GeneralRows.Row> general;
    private final TeacherQuestions teacher;
    private final byte[] kinds;
    private final int[] ordinals;
    private final long[] counts;
    private final int[] multiDocs;
    /** Sizes rows in rendered tokens of the target model's chat template; null: contexts in tokens. */
    private final RenderedRows rows;

    In2Design(SegmentStore store, SegmentTokens tokens, In2Config config, List<GeneralRows.Row> general) {
        this(store, tokens, config, general, null);
    }

    In2Design(SegmentStore store, SegmentTokens tokens, In2Config config, List<GeneralRows.Row> general,
              TeacherQuestions teacher) {
        this(store, tokens, config, general, teacher, null);
    }

    /**
     * With {@code teacher} writing the share of questions that {@link In2Config#qaMix()} gives it,
     * and, when {@code rows} is not null, lengths ({@code --min-tokens}, {@code --max-tokens}, the
     * drawn target) counted in the rendered row's tokens rather than the context's.
     */
    In2Design(SegmentStore store, SegmentTokens tokens, In2Config config, List<GeneralRows.Row> general,
              TeacherQuestions teacher, RenderedRows rows) {
        this.rows = rows;
        if (config.qaMix().usesTeacher() && teacher == null) {
            throw new InvalidConfigException("${qaMix} " + config.qaMix() + " needs a teacher model (${teacher})");
        }
        this.teacher = config.qaMix().usesTeacher() ? teacher : null;
        this.store = store;
        this.tokens = tokens;
        this.config = config;
        this.general = general;
        if (config.examples() > Integer.MAX_VALUE - 8) {
            throw new InvalidConfigException("${examples} is too large for one run: " + config.examples());
        }
        int n = (int) config.examples();
        this.counts = config.mix().counts(n);
        if (counts[ExampleKind.GENERAL.ordinal()] > 0 && general.isEmpty()) {
            throw new IllegalArgumentException("a general share needs general rows");
        }
        this.kinds = new byte[n];
        int at = 0;
        for (ExampleKind k : ExampleKind.values()) {
            for (long j = 0; j < counts[k.ordinal()]; j++) {
                kinds[at++] = (byte) k.ordinal();
            }
        }
        SplittableRandom shuffle = new SplittableRandom(config.seed());
        for (int i = n - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            byte t = kinds[i];
            kinds[i] = kinds[j];
            kinds[j] = t;
        }
        this.ordinals = new int[n];
        int[] seen = new int[ExampleKind.values().length];
        for (int i = 0; i < n; i++) {
            ordinals[i] = seen[kinds[i]]++;
        }
        List<Integer> md = new ArrayList<>();
        for (int d = 0; d < store.docs(); d++) {
            if (store.docSegCount(d) >= 2) {
                md.add(d);
            }
        }
        this.multiDocs = md.stream().mapToInt(Integer::intValue).toArray();
        checkCorpus();
    }

    private void checkCorpus() {
        if (store.segments() == 0) {
            throw new BadInputException("empty corpus: no text to segment");
        }
        boolean needsLong = counts[ExampleKind.SINGLE.ordinal()] + counts[ExampleKind.MULTI.ordinal()] > 0;
        long others = store.totalTokens() - store.maxParentTokens();
        if (needsLong && others < config.maxTokens()) {
            throw new InvalidConfigException("corpus too small to fill the contexts: fillers must come from other documents, and the "
                    + "corpus holds only " + others + " tokens outside its largest document, but contexts go up to "
                    + config.maxTokens() + " tokens (${maxTokens}); add text or lower ${maxTokens}");
        }
        if (counts[ExampleKind.MULTI.ordinal()] > 0 && multiDocs.length == 0) {
            throw new InvalidConfigException("no document of the corpus has two segments, which multi-segment examples need; "
                    + "add longer documents or set the multi share to 0 in ${mix}");
        }
    }

    /** The configuration the design runs (the general share dropped when there are no general rows). */
    public In2Config config() {
        return config;
    }

    /**
     * The general rows its general examples copy ({@code In2General.NONE} without): with {@link #config()}, what a
     * distributed job ships for its workers' {@link In2#openDesign(java.nio.file.Path, dev.granular.tokenize.Tokenizer,
     * In2General)}. Package-private, as it names an internal type: engines call {@code In2Engines.general(design)}.
     */
    In2General general() {
        return general.isEmpty() ? In2General.NONE : new In2General(general);
    }

    /**
     * The first draw of example {@code i} ({@code example(i, 0)}), ready to ship: a distributed job computes
     * these for ranges of indices anywhere, then one pass in index order keeps each draw or, when its question
     * repeats an earlier one, draws it again ({@code In2Engines.run}). Package-private, as it names an internal type:
     * engines call {@code In2Engines.draw(design, i)}.
     */
    In2Draw draw(long i) {
        return In2Draw.of(i, generated(i, 0));
    }

    public long size() {
        return kinds.length;
    }

    /** The kind of example {@code i}. */
    public ExampleKind kind(long i) {
        return ExampleKind.values()[kinds[(int) i]];
    }

    /** Examples per kind, in {@link ExampleKind} order. */
    public long[] counts() {
        return counts.clone();
    }

    /** Example {@code i}. */
    public TrainingRecord example(long i) {
        return example(i, 0);
    }

    /**
     * How often a repeated question is drawn again before the repeat is accepted (and counted in
     * the report): a teacher's redraw is a request, a programmatic one costs only time.
     */
    private static final int MAX_TEACHER_REDRAWS = 4;
    private static final int MAX_REDRAWS = 32;

    /**
     * {@code r} (example {@code i} of this design), or, when its question repeats one in {@code seen}, the
     * example drawn again ({@link #example(long, int)}, round 1, 2, ...) until its question is new or the
     * redraws run out; the returned record's question is added to {@code seen}. Call it in index order,
     * once per example, with the questions of the examples before: which record counts as the repeat then
     * never depends on timing or threads, and redrawing, not dropping, keeps the counts per kind exact.
     */
    public TrainingRecord redrawRepeat(TrainingRecord r, Set<String> seen) {
        return r.meta().get("question") == null ? r : redrawRepeat(new Generated(r, null, -1, -1), seen).record();
    }

    /** As {@link #redrawRepeat(TrainingRecord, Set)}, with the context's ids. */
    Generated redrawRepeat(Generated g, Set<String> seen) {
        TrainingRecord r = g.record();
        if (r.meta().get("question") == null) {
            return g;
        }
        long index = Long.parseLong(r.id().substring(r.id().indexOf('-') + 1));
        int redraws = r.meta().get("teacher") != null ? MAX_TEACHER_REDRAWS : MAX_REDRAWS;
        for (int round = 1; round <= redraws && seen.contains(TeacherQuestions.normalise(question(r))); round++) {
            g = generated(index, round);
            r = g.record();
        }
        seen.add(TeacherQuestions.normalise(question(r)));
        return g;
    }

    /**
     * As {@link #redrawRepeat(Generated, Set)} for example {@code i}, whose first draw (made elsewhere) asked a question
     * in {@code seen}: the redraws from round 1, without making round 0 again. Without a teacher only (a teacher's
     * questions get fewer redraws, which round 0's record would tell).
     */
    Generated redrawRepeat(long i, Set<String> seen) {
        if (teacher != null) {
            return redrawRepeat(generated(i, 0), seen);
        }
        Generated g = generated(i, 1);
        for (int round = 2; round <= MAX_REDRAWS && seen.contains(TeacherQuestions.normalise(question(g.record()))); round++) {
            g = generated(i, round);
        }
        seen.add(TeacherQuestions.normalise(question(g.record())));
        return g;
    }

    private static String question(TrainingRecord r) {
        return String.valueOf(r.meta().get("question"));
    }


    /** The context of the long record this thread is making (set by longRecord; the kinds' methods return records). */
    private static final ThreadLocal<Generated> LAST = new ThreadLocal<>();

    /**
     * Example {@code i}, drawn again: round {@code r > 0} gives another example of the same kind
     * (used when a teacher's question repeats an earlier one; see {@link In2Job}).
     */
    public TrainingRecord example(long i, int round) {
        return generated(i, round).record();
    }

    /** As {@link #example(long, int)}, with the context's ids. */
    Generated generated(long i, int round) {
        LAST.remove();
        TrainingRecord r = make(i, round);
        Generated g = LAST.get();
        LAST.remove();
        return g == null ? new Generated(r, null, -1, -1) : new Generated(r, g.context(), g.message(), g.start());
    }

    private TrainingRecord make(long i, int round) {
        long seed = round == 0 ? mix(config.seed(), i) : mix(mix(config.seed(), i), round);
        SplittableRandom rnd = new SplittableRandom(seed);
        String id = String.format("in2-%08d", i);
        ExampleKind kind = kind(i);
        boolean verify = ordinals[(int) i] < VERIFIED_PER_KIND;
        Writer writer = kind == ExampleKind.GENERAL ? null : writer(kind, id, rnd, round);
        TrainingRecord r = switch (kind) {
            case SINGLE -> single(id, rnd, verify, writer);
            case MULTI -> multi(id, rnd, verify, writer);
            case SHORT -> shortExample(id, rnd, writer);
            case GENERAL -> generalExample(id, (int) i);
        };
        if (round > 0 && writer != null) {
            writer.rejected.merge("duplicate", (long) round, Long::sum);
        }
        return writer == null || writer.rejected.isEmpty() ? r : withRejections(r, writer);
    }

    /**
     * Who writes this example's question, and what it rejected on the way: the teacher (when the
     * {@code --qa} mix says so for this example) or the programmatic rules.
     */
    private final class Writer {
        final boolean teacher;
        final String id;
        final int round;
        final Map<String, Long> rejected = new java.util.TreeMap<>();
        boolean onlyFailures = true;
        QaKind kind;

        Writer(boolean teacher, String id, int round, QaKind firstKind) {
            this.teacher = teacher;
            this.id = id;
            this.round = round;
            this.kind = firstKind;
        }

        int maxAttempts() {
            return teacher ? TEACHER_CANDIDATES : MAX_ATTEMPTS;
        }

        /**
         * A question about {@code texts} (one segment, or a document's segments), or nothing this attempt.
         *
         * @param doc the (pseudo-)document holding a single segment, whose text shows which words are names
         */
        Optional<Qa> write(List<String> texts, List<Boolean> starts, boolean multi, int doc, SplittableRandom rnd, int attempt) {
            if (teacher) {
                TeacherQuestions.Result res = In2Design.this.teacher.ask(texts, multi, id, round * TEACHER_CANDIDATES + attempt);
                return switch (res) {
                    case TeacherQuestions.Accepted a -> Optional.of(a.qa());
                    case TeacherQuestions.Rejected rej -> {
                        rejected.merge(rej.reason(), 1L, Long::sum);
                        onlyFailures &= rej.reason().equals("failed");
                        yield Optional.empty();
                    }
                };
            }
            List<QaKind> kinds = multi ? QaKind.multiSegment() : QaKind.single();
            kind = rotate(attempt, kind, kinds, rnd);
            return multi ? ProgrammaticQuestions.multi(kind, texts, starts, rnd)
                    : ProgrammaticQuestions.single(kind, texts.get(0), starts.get(0), () -> Names.in(store.docText(doc)), rnd);
        }

        /** Nothing usable after every attempt. */
        RuntimeException exhausted(String what) {
            if (teacher && onlyFailures) {
                return new StoppedEarlyException("the teacher " + In2Design.this.teacher.model() + " gave no reply for " + id
                        + " after " + TEACHER_CANDIDATES + " requests and their retries; rerun to continue");
            }
            if (teacher) {
                return new StoppedEarlyException("the teacher " + In2Design.this.teacher.model() + " wrote no usable " + what
                        + " question for " + id + " in " + TEACHER_CANDIDATES + " candidates (rejected: " + rejected + ")");
            }
            return new BadInputException("could not write a " + what + " question in " + MAX_ATTEMPTS
                    + " tries: the corpus has too little usable prose (whole sentences with numbers, names or several words)");
        }
    }

    private Writer writer(ExampleKind kind, String id, SplittableRandom rnd, int round) {
        boolean byTeacher = teacher != null && config.qaMix().teacherWrites(rnd);
        List<QaKind> kinds = kind == ExampleKind.MULTI ? QaKind.multiSegment() : QaKind.single();
        return new Writer(byTeacher, id, round, kinds.get(rnd.nextInt(kinds.size())));
    }

    private static TrainingRecord withRejections(TrainingRecord r, Writer w) {
        Map<String, Object> meta = new LinkedHashMap<>(r.meta());
        meta.put("qa_rejected", new LinkedHashMap<>(w.rejected));
        return new TrainingRecord(r.id(), r.messages(), r.tools(), meta);
    }

    /** SplitMix64 finaliser over (seed, index): independent streams per example. */
    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---- single: one key segment among fillers

    private TrainingRecord single(String id, SplittableRandom rnd, boolean verify, Writer writer) {
        int target = drawTarget(rnd);
        for (int attempt = 0; attempt < writer.maxAttempts(); attempt++) {
            int key = rnd.nextInt(store.segments());
            var qa = writer.write(List.of(store.segText(key)), List.of(store.segStartsSentence(key)), false, store.segDoc(key), rnd,
                    attempt);
            if (qa.isEmpty()) {
                continue;
            }
            RenderedRows.Frame frame = frame(qa.get());
            Context ctx = assemble(List.of(key), target, rnd, frame == null ? 0 : frame.overhead());
            int rendered = ctx == null ? -1 : rendered(frame, ctx);
            if (ctx == null || rendered < 0 || !qa.get().unambiguousIn(ctx.text())) {
                if (writer.teacher) {
                    writer.rejected.merge("ambiguous", 1L, Long::sum);
                }
                continue;
            }
            return longRecord(id, ExampleKind.SINGLE, qa.get(), ctx, List.of(key), null, verify, writer, frame, rendered);
        }
        throw writer.exhausted("single-segment");
    }

    // ---- multi: all segments of one document spread among fillers, the question needs two

    private TrainingRecord multi(String id, SplittableRandom rnd, boolean verify, Writer writer) {
        int target = drawTarget(rnd);
        for (int attempt = 0; attempt < writer.maxAttempts(); attempt++) {
            int d = multiDocs[rnd.nextInt(multiDocs.length)];
            int first = store.docFirstSeg(d);
            int count = store.docSegCount(d);
            List<String> texts = new ArrayList<>(count);
            List<Boolean> starts = new ArrayList<>(count);
            List<Integer> keys = new ArrayList<>(count);
            for (int s = first; s < first + count; s++) {
                texts.add(store.segText(s));
                starts.add(store.segStartsSentence(s));
                keys.add(s);
            }
            var qa = writer.write(texts, starts, true, d, rnd, attempt);
            if (qa.isEmpty()) {
                continue;
            }
            RenderedRows.Frame frame = frame(qa.get());
            Context ctx = assemble(keys, target, rnd, frame == null ? 0 : frame.overhead());
            int rendered = ctx == null ? -1 : rendered(frame, ctx);
            if (ctx == null || rendered < 0 || !qa.get().unambiguousIn(ctx.text())) {
                if (writer.teacher) {
                    writer.rejected.merge("ambiguous", 1L, Long::sum);
                }
                continue;
            }
            return longRecord(id, ExampleKind.MULTI, qa.get(), ctx, keys, keys, verify, writer, frame, rendered);
        }
        throw writer.exhausted("multi-segment");
    }

    /** Every 200 failed attempts, draws another question kind: the current one is rare in this corpus. */
    private static QaKind rotate(int attempt, QaKind current, List<QaKind> kinds, SplittableRandom rnd) {
        return attempt > 0 && attempt % 200 == 0 ? kinds.get(rnd.nextInt(kinds.size())) : current;
    }

    private int drawTarget(SplittableRandom rnd) {
        return config.minTokens() + rnd.nextInt(config.maxTokens() - config.minTokens() + 1);
    }

    /** The rendered row around the context for this question, or null when lengths are context tokens. */
    private RenderedRows.Frame frame(Qa qa) {
        return rows == null ? null
                : rows.frame(messages(config.template().fill(RenderedRows.PLACEHOLDER, qa.question()).content(), qa.answer()));
    }

    /**
     * The row's length when it is within the lengths, else -1: context tokens at most --max-tokens
     * (the minimum is the filling's), or the rendered row's tokens within --min-tokens..--max-tokens.
     */
    private int rendered(RenderedRows.Frame frame, Context ctx) {
        if (frame == null) {
            return ctx.tokens() <= config.maxTokens() ? ctx.tokens() : -1;
        }
        int n = rows.length(frame, ctx);
        return n <= config.maxTokens() && n >= config.minTokens() ? n : -1;
    }

    Context assemble(List<Integer> keys, int target, SplittableRandom rnd) {
        return assemble(keys, target, rnd, 0);
    }

    /**
     * Fillers from other parents up to {@code target} tokens, then the keys (in their order)
     * at uniformly random slots among them; null when the keys alone exceed the maximum length.
     * {@code overhead} tokens of the row around the context count against the lengths (0: the
     * lengths are the context's).
     */
    Context assemble(List<Integer> keys, int target, SplittableRandom rnd, int overhead) {
        // The row's own tokens are estimated apart from the context; joined, the seams may save a
        // token or two, so a few more context tokens keep the row at --min-tokens (the caller checks).
        int minTokens = overhead == 0 ? config.minTokens() : config.minTokens() - overhead + SEAM_SLACK;
        int maxTokens = config.maxTokens() - overhead;
        int parent = store.segParent(keys.get(0));
        Set<Integer> used = new HashSet<>(keys);
        int total = 0;
        for (int k : keys) {
            total += store.segTokens(k);
        }
        if (total > maxTokens) {
            return null; // the document alone, with its separators, does not fit: the caller picks another
        }
        List<Integer> fillers = new ArrayList<>();
        int misses = 0;
        int budget = overhead == 0 ? Math.max(target, config.minTokens()) : Math.max(target - overhead, minTokens);
        // Fill until many draws in a row no longer fit the remaining budget; below the minimum
        // length keep looking (short segments, the ends of documents, fill the last gap).
        for (int tries = 0; tries < MAX_FILLER_TRIES && (misses < MAX_FILLER_MISSES || total < minTokens); tries++) {
            int s = rnd.nextInt(store.segments());
            if (store.segParent(s) == parent || used.contains(s)) {
                misses++;
                continue;
            }
            int len = store.segTokens(s);
            if (total + len > budget) {
                misses++;
                continue;
            }
            used.add(s);
            fillers.add(s);
            total += len;
            misses = 0;
        }
        int n = fillers.size() + keys.size();
        // Slots for the keys: k distinct slots out of n, uniformly, kept in document order.
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            slots[i] = i;
        }
        for (int i = 0; i < keys.size(); i++) {
            int j = i + rnd.nextInt(n - i);
            int t = slots[i];
            slots[i] = slots[j];
            slots[j] = t;
        }
        int[] keySlots = Arrays.copyOf(slots, keys.size());
        Arrays.sort(keySlots);
        Integer[] order = new Integer[n];
        for (int i = 0; i < keys.size(); i++) {
            order[keySlots[i]] = keys.get(i);
        }
        int f = 0;
        for (int i = 0; i < n; i++) {
            if (order[i] == null) {
                order[i] = fillers.get(f++);
            }
        }
        return Context.of(Arrays.asList(order), store, tokens, target);
    }

    private TrainingRecord longRecord(String id, ExampleKind kind, Qa qa, Context ctx, List<Integer> candidates,
                                      List<Integer> docSegments, boolean verify, Writer writer, RenderedRows.Frame frame,
                                      int rendered) {
        if (verify) {
            verifyTokens(id, ctx);
        }
        PromptTemplate.Filled filled = config.template().fill(ctx.text(), qa.question());
        List<Message> messages = messages(filled.content(), qa.answer());
        if (frame != null && verify) {
            rows.verify(id, messages, frame, ctx.text(), rendered);
        }
        int contextCp = filled.content().codePointCount(0, filled.contextStart());
        List<Integer> keySlots = new ArrayList<>();
        List<List<Integer>> keySpans = new ArrayList<>();
        List<Double> depth = new ArrayList<>();
        List<String> evidence = new ArrayList<>();
        List<List<Integer>> evidenceSpans = new ArrayList<>();
        for (Qa.Evidence e : qa.evidence()) {
            int seg = candidates.get(e.part());
            int slot = ctx.slotOf(seg);
            String segText = store.segText(seg);
            if (!keySlots.contains(slot)) {
                keySlots.add(slot);
                int b = contextCp + ctx.cpStarts()[slot];
                keySpans.add(List.of(b, b + segText.codePointCount(0, segText.length())));
                depth.add(round((double) ctx.tokenStarts()[slot] / ctx.tokens()));
            }
            evidence.add(segText.substring(e.begin(), e.end()));
            int eb = contextCp + ctx.cpStarts()[slot] + segText.codePointCount(0, e.begin());
            evidenceSpans.add(List.of(eb, eb + segText.codePointCount(e.begin(), e.end())));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "in2");
        meta.put("kind", kind.wireName());
        meta.put("qa_kind", qa.kind().wireName());
        meta.put("context_tokens", ctx.tokens());
        meta.put("target_tokens", ctx.target());
        if (frame != null) {
            meta.put("rendered_tokens", rendered);
        }
        meta.put("segments", ctx.segments().length);
        meta.put("key_segments", keySlots);
        meta.put("key_char_spans", keySpans);
        meta.put("depth", depth);
        meta.put("evidence", String.join("\n", evidence));
        meta.put("evidence_spans", evidenceSpans);
        meta.put("source", store.parentName(store.segParent(candidates.get(0))));
        meta.put("question", qa.question());
        if (writer.teacher) {
            meta.put("teacher", teacher.model());
        }
        if (docSegments != null) {
            List<Integer> all = new ArrayList<>();
            for (int s : docSegments) {
                all.add(ctx.slotOf(s));
            }
            meta.put("doc_segments", all);
        }
        TrainingRecord r = new TrainingRecord(id, messages, null, meta);
        LAST.set(new Generated(r, ctx, config.systemMessage() != null ? 1 : 0, filled.contextStart()));
        return r;
    }

    // ---- short: the document alone

    private TrainingRecord shortExample(String id, SplittableRandom rnd, Writer writer) {
        for (int attempt = 0; attempt < writer.maxAttempts(); attempt++) {
            int d = rnd.nextInt(store.docs());
            int first = store.docFirstSeg(d);
            int count = store.docSegCount(d);
            int seg = first + rnd.nextInt(count);
            String segText = store.segText(seg);
            var qa = writer.write(List.of(segText), List.of(store.segStartsSentence(seg)), false, d, rnd, attempt);
            if (qa.isEmpty()) {
                continue;
            }
            String doc = store.docText(d);
            if (!qa.get().unambiguousIn(doc)) {
                continue;
            }
            PromptTemplate.Filled filled = config.template().fill(doc, qa.get().question());
            int contextCp = filled.content().codePointCount(0, filled.contextStart());
            int segChar = store.segCharBegin(seg);
            int segCp = doc.codePointCount(0, segChar);
            int docTokens = tokens.midText(doc).length;
            int before = segChar == 0 ? 0 : tokens.midText(doc.substring(0, segChar)).length;
            Qa.Evidence e = qa.get().evidence().get(0);
            int eb = contextCp + segCp + segText.codePointCount(0, e.begin());
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("design", "in2");
            meta.put("kind", ExampleKind.SHORT.wireName());
            meta.put("qa_kind", qa.get().kind().wireName());
            meta.put("context_tokens", docTokens);
            if (rows != null) {
                meta.put("rendered_tokens", rows.length(frame(qa.get()), doc));
            }
            meta.put("segments", count);
            meta.put("key_segments", List.of(seg - first));
            meta.put("key_char_spans", List.of(List.of(contextCp + segCp, contextCp + segCp + segText.codePointCount(0, segText.length()))));
            meta.put("depth", List.of(round((double) before / docTokens)));
            meta.put("evidence", segText.substring(e.begin(), e.end()));
            meta.put("evidence_spans", List.of(List.of(eb, eb + segText.codePointCount(e.begin(), e.end()))));
            meta.put("source", store.parentName(store.docParent(d)));
            meta.put("question", qa.get().question());
            if (writer.teacher) {
                meta.put("teacher", teacher.model());
            }
            return new TrainingRecord(id, messages(filled.content(), qa.get().answer()), null, meta);
        }
        throw writer.exhausted("short-example");
    }

    // ---- general: copied rows

    private TrainingRecord generalExample(String id, int i) {
        GeneralRows.Row row = general.get(Math.floorMod(ordinals[i] + (int) mix(config.seed(), -1), general.size()));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "in2");
        meta.put("kind", ExampleKind.GENERAL.wireName());
        meta.put("qa_kind", "general");
        meta.put("source", row.source());
        return new TrainingRecord(id, row.messages(), null, meta);
    }

    private List<Message> messages(String user, String answer) {
        List<Message> out = new ArrayList<>(3);
        if (config.systemMessage() != null) {
            out.add(Message.system(config.systemMessage()));
        }
        out.add(Message.user(user));
        out.add(Message.assistant(answer));
        return out;
    }

    /**
     * Re-tokenizes a context and compares it with the ids built from segment slices. The
     * first examples of each kind are checked in every run, so a tokenizer for which slice
     * joining is not exact stops the run instead of writing wrong token counts.
     */
    private void verifyTokens(String id, Context ctx) {
        int[] actual = tokens.midText(ctx.text());
        if (!Arrays.equals(actual, ctx.ids())) {
            throw new IllegalStateException("token check failed for " + id + ": " + ctx.ids().length
                    + " tokens from segment slices, " + actual.length + " from tokenizing the context with "
                    + tokens.tokenizer().name() + "; this tokenizer does not allow building contexts from slices");
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
