package dev.granular.in2;

import dev.granular.in2.internal.CorpusBuild;
import dev.granular.in2.internal.DocumentSplitter;
import dev.granular.in2.internal.GeneralRows;
import dev.granular.in2.internal.Generated;
import dev.granular.in2.internal.In2General;
import dev.granular.in2.internal.RenderedRows;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentStoreBuilder;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.Segmenter;

import dev.granular.concurrent.WorkerPool;
import dev.granular.corpus.Corpus;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.Document;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * IN2 as a library: the same records, in the same order, as {@code granular in2} writes for the same
 * corpus, tokenizer and {@link In2Config} (programmatic questions), without an output directory.
 *
 * <pre>{@code
 * try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
 *      Stream<TrainingRecord> records = In2.of(In2Config.DEFAULT.withExamples(100)).records(Corpus.bundled(), tokenizer)) {
 *     records.forEach(r -> System.out.println(r.id()));
 * }
 * }</pre>
 *
 * <p><b>Two entry points.</b> {@link #records} segments the corpus (into a temporary folder, deleted when
 * the stream is closed) and streams every example. {@link #design} segments it into a folder the caller
 * owns and returns the {@link In2Design}, whose {@link In2Design#example(long)} is a pure function of the
 * segmented corpus, the configuration and the index: a distributed job builds the design once per
 * executor (from the whole corpus, so the same seed gives the same records whatever the partitioning)
 * and computes any range of indices in any task. The records of a run are then
 * {@code design.example(i)} for {@code i} in {@code [0, design.size())}, in index order, with one
 * sequential pass of {@link In2Design#redrawRepeat} (a question that repeats an earlier one is drawn
 * again; rare, and only the repeats need the design again).
 *
 * <p>An {@code In2} is an immutable value; the {@code with...} methods return copies.
 */
public final class In2 {
    private final In2Config config;
    private final List<Path> exclude;
    private final List<Path> general;
    private final int threads;
    private final ChatTemplate chatTemplate;

    private In2(In2Config config, List<Path> exclude, List<Path> general, int threads, ChatTemplate chatTemplate) {
        this.config = Objects.requireNonNull(config, "config");
        this.exclude = List.copyOf(exclude);
        this.general = List.copyOf(general);
        this.threads = Math.max(1, threads);
        this.chatTemplate = chatTemplate;
    }

    /** IN2 with {@code config}, no decontamination, no general rows (their share is spread over the other kinds), one thread. */
    public static In2 of(In2Config config) {
        return new In2(config, List.of(), List.of(), 1, null);
    }

    /** Drops documents sharing a word 10-gram with these files (benchmark test sets), as {@code in2 --exclude} does. */
    public In2 withExclude(List<Path> files) {
        return new In2(config, files, general, threads, chatTemplate);
    }

    /**
     * General instruction rows for the {@code general} share: JSONL files or folders of canonical records or
     * {@code {"messages": [...]}} rows, as {@code in2 --general} takes.
     */
    public In2 withGeneral(List<Path> files) {
        return new In2(config, exclude, files, threads, chatTemplate);
    }

    /** Worker threads for segmenting and generating; never changes the records. */
    public In2 withThreads(int n) {
        return new In2(config, exclude, general, n, chatTemplate);
    }

    /**
     * Lengths ({@link In2Config#minTokens()}, {@link In2Config#maxTokens()}, the drawn target) counted in the tokens
     * of the row as {@code template} renders it for the target model, as {@code in2 --chat-template} does; the
     * tokenizer must be the model's. Null: lengths are context tokens.
     */
    public In2 withChatTemplate(ChatTemplate template) {
        return new In2(config, exclude, general, threads, template);
    }

    /** The configuration as given. */
    public In2Config config() {
        return config;
    }

    /** The configuration that runs: without general rows, the general share is dropped and spread over the other kinds. */
    public In2Config effectiveConfig() {
        return general.isEmpty() && config.mix().share(ExampleKind.GENERAL) > 0
                ? config.withMix(config.mix().without(ExampleKind.GENERAL)) : config;
    }

    /**
     * Segments {@code corpus} with {@code tokenizer} into {@code workDir} (created; the caller deletes it once
     * done with the design) and returns the design. The tokenizer must stay open while the design is used.
     *
     * @throws dev.granular.io.BadInputException when the corpus or the configuration cannot give the examples
     */
    public In2Design design(Corpus corpus, Tokenizer tokenizer, Path workDir) {
        In2Config effective = effectiveConfig();
        List<GeneralRows.Row> rows = general.isEmpty() ? List.of() : GeneralRows.read(general);
        try (WorkerPool pool = WorkerPool.platform(threads, "granular-in2")) {
            CorpusBuild build = build(corpus, tokenizer, effective, exclude, workDir, pool, threads);
            return new In2Design(build.store(), build.tokens(), effective, rows, null,
                    chatTemplate == null ? null : new RenderedRows(chatTemplate, build.tokens()));
        }
    }

    /**
     * The design over a segment store already written in {@code storeDir} ({@link #design} or
     * {@code In2Segments.Writer}, here or on another machine, with the same configuration's segmentation):
     * what a distributed job's workers call, each with its own copy of the store. The tokenizer must be the
     * one the store was made with, and stay open while the design is used.
     *
     * @throws dev.granular.io.BadInputException when the store or the configuration cannot give the examples
     */
    public In2Design openDesign(Path storeDir, Tokenizer tokenizer) {
        return openDesign(storeDir, tokenizer, In2General.read(general));
    }

    /**
     * As {@link #openDesign(Path, Tokenizer)}, with general rows read elsewhere (a driver's {@code In2General.read},
     * shipped) in place of {@link #withGeneral}'s files, which a worker may not be able to read: the design a
     * driver's {@link In2Design#general()} and {@link In2Design#config()} were taken from, drawn anywhere. With
     * {@code In2General.NONE}, the general share is dropped and spread over the other kinds. Package-private, as it
     * names an internal type: engines call {@code In2Engines.openDesign(in2, storeDir, tokenizer, general)}.
     */
    In2Design openDesign(Path storeDir, Tokenizer tokenizer, In2General general) {
        In2Config effective = general.isEmpty() && config.mix().share(ExampleKind.GENERAL) > 0
                ? config.withMix(config.mix().without(ExampleKind.GENERAL)) : config;
        SegmentTokens tokens = new SegmentTokens(tokenizer);
        return new In2Design(SegmentStore.open(storeDir), tokens, effective, general.rows(), null,
                chatTemplate == null ? null : new RenderedRows(chatTemplate, tokens));
    }

    /**
     * Every example, in order, as {@code granular in2} writes them. The corpus is segmented now (errors are
     * thrown here); the examples are generated as the stream is consumed. Close the stream (try-with-resources)
     * to stop the workers and delete the temporary segment store; the tokenizer must stay open until then.
     */
    public Stream<TrainingRecord> records(Corpus corpus, Tokenizer tokenizer) {
        Path work;
        try {
            work = Files.createTempDirectory("granular-in2-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder", e);
        }
        WorkerPool pool = null;
        try {
            In2Design design = design(corpus, tokenizer, work.resolve("store"));
            pool = WorkerPool.platform(threads, "granular-in2");
            Iterator<Generated> generated = ordered(design, 0, new HashSet<>(), pool, threads, 8);
            Iterator<TrainingRecord> it = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return generated.hasNext();
                }

                @Override
                public TrainingRecord next() {
                    return generated.next().record();
                }
            };
            WorkerPool p = pool;
            return StreamSupport.stream(Spliterators.spliterator(it, design.size(),
                            Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.SIZED), false)
                    .onClose(() -> {
                        p.close();
                        deleteQuietly(work);
                    });
        } catch (RuntimeException | Error e) {
            if (pool != null) {
                pool.close();
            }
            deleteQuietly(work);
            throw e;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind is harmless; the records were delivered
        }
    }

    // ---- shared with In2Job


    /**
     * Reads, decontaminates and segments {@code corpus} into a store at {@code storeDir}; documents are prepared
     * on {@code pool} and appended in corpus order, so the store does not depend on the thread count.
     */
    static CorpusBuild build(Corpus corpus, Tokenizer tokenizer, In2Config config, List<Path> exclude, Path storeDir,
                             WorkerPool pool, int threads) {
        SegmentTokens tokens = new SegmentTokens(tokenizer);
        Segmenter segmenter = new Segmenter(config.segmentTokens());
        DocumentSplitter splitter = new DocumentSplitter(config.maxDocTokens());
        Decontaminator decon = Decontaminator.fromFiles(exclude, 10);
        AtomicLong documents = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        ArrayDeque<Future<SegmentStoreBuilder.Prepared>> inFlight = new ArrayDeque<>();
        int window = threads * 4;
        try (SegmentStoreBuilder builder = new SegmentStoreBuilder(storeDir)) {
            List<Document> batch = new ArrayList<>();
            Consumer<Document> onDoc = doc -> {
                documents.incrementAndGet();
                batch.add(doc);
                if (batch.size() >= 16) {
                    submit(List.copyOf(batch), inFlight, pool, tokens, splitter, segmenter, decon, dropped);
                    batch.clear();
                    while (inFlight.size() > window) {
                        builder.append(await(inFlight.removeFirst()));
                    }
                }
            };
            Map<String, Long> skipped = corpus.forEach(onDoc);
            if (!batch.isEmpty()) {
                submit(List.copyOf(batch), inFlight, pool, tokens, splitter, segmenter, decon, dropped);
            }
            while (!inFlight.isEmpty()) {
                builder.append(await(inFlight.removeFirst()));
            }
            int segments = builder.segments();
            SegmentStore store = builder.finish();
            return new CorpusBuild(store, tokens, documents.get(), dropped.get(), skipped, segments);
        }
    }

    private static void submit(List<Document> docs, ArrayDeque<Future<SegmentStoreBuilder.Prepared>> inFlight,
                               WorkerPool pool, SegmentTokens tokens, DocumentSplitter splitter, Segmenter segmenter,
                               Decontaminator decon, AtomicLong dropped) {
        for (Document d : docs) {
            inFlight.add(pool.submit(() -> {
                if (decon.contaminated(d.text())) {
                    dropped.incrementAndGet();
                    return new SegmentStoreBuilder.Prepared(d.id(), List.of());
                }
                return SegmentStoreBuilder.prepare(d, tokens, splitter, segmenter);
            }));
        }
    }

    /**
     * The examples from {@code from} to the end, generated ahead on {@code pool} ({@code parallel} tasks of
     * {@code batch} examples, times four, in flight) and delivered in index order, each passed through
     * {@link In2Design#redrawRepeat} against {@code seen} (which it extends).
     */
    static Iterator<Generated> ordered(In2Design design, long from, Set<String> seen, WorkerPool pool, int parallel,
                                            int batch) {
        return new Iterator<>() {
            private final ArrayDeque<Future<List<Generated>>> inFlight = new ArrayDeque<>();
            private Iterator<Generated> current = java.util.Collections.emptyIterator();
            private long next = from;

            @Override
            public boolean hasNext() {
                while (!current.hasNext()) {
                    while (next < design.size() && inFlight.size() < parallel * 4) {
                        long lo = next;
                        long hi = Math.min(design.size(), lo + batch);
                        inFlight.add(pool.submit(() -> {
                            List<Generated> records = new ArrayList<>((int) (hi - lo));
                            for (long i = lo; i < hi; i++) {
                                records.add(design.generated(i, 0));
                            }
                            return records;
                        }));
                        next = hi;
                    }
                    if (inFlight.isEmpty()) {
                        return false;
                    }
                    current = await(inFlight.removeFirst()).iterator();
                }
                return true;
            }

            @Override
            public Generated next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return design.redrawRepeat(current.next(), seen);
            }
        };
    }

    static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
