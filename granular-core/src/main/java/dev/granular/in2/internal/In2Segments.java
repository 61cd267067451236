package dev.granular.in2.internal;

import dev.granular.in2.In2Config;

import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.Document;
import dev.granular.tokenize.Tokenizer;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * IN2's corpus segmentation in two halves, for a job that segments documents elsewhere (Spark tasks) and
 * writes the segment store in one place: {@link Preparer#prepare} splits, segments and tokenizes one
 * document (pure, thread-safe, the costly part), and a {@link Writer} appends prepared documents in corpus
 * order. A store written from the same documents in the same order is byte for byte the one
 * {@code granular in2} writes, whichever machine prepared which document; {@link In2#openDesign} builds
 * the design over it. With a {@link Decontaminator} ({@code in2 --exclude}), a contaminated document
 * prepares to an empty, {@link Prepared#excluded() excluded} one, which stores nothing and is counted by
 * the writer, as {@code granular in2} counts it.
 *
 * <pre>{@code
 * In2Segments.Preparer preparer = In2Segments.preparer(tokenizer, config);
 * try (In2Segments.Writer store = In2Segments.writer(Path.of("work/store"))) {
 *     for (Document d : documents) {              // in corpus order
 *         store.append(preparer.prepare(d));      // prepare may run anywhere, append in order
 *     }
 * }
 * In2Design design = In2.of(config).openDesign(Path.of("work/store"), tokenizer);
 * }</pre>
 */
public final class In2Segments {
    private In2Segments() {
    }

    /** One corpus document, split into pseudo-documents, segmented and tokenized; opaque and serializable. */
    public static final class Prepared implements Serializable {
        private static final long serialVersionUID = 1L;
        final SegmentStoreBuilder.Prepared value;
        private final boolean excluded;

        Prepared(SegmentStoreBuilder.Prepared value, boolean excluded) {
            this.value = value;
            this.excluded = excluded;
        }

        /** The document's id. */
        public String documentId() {
            return value.parentId();
        }

        /** Its segments over all its pseudo-documents (0: nothing to store, e.g. blank text). */
        public int segments() {
            return value.docs().stream().mapToInt(d -> d.segments().size()).sum();
        }

        /** Whether the document was dropped as contaminated (shares a word n-gram with the exclude files). */
        public boolean excluded() {
            return excluded;
        }
    }

    /** Prepares documents with one tokenizer and configuration ({@link In2Config#segmentTokens()}, {@link In2Config#maxDocTokens()}). */
    public static final class Preparer {
        private final SegmentTokens tokens;
        private final DocumentSplitter splitter;
        private final Segmenter segmenter;
        private final Decontaminator exclude;

        private Preparer(Tokenizer tokenizer, In2Config config, Decontaminator exclude) {
            this.tokens = new SegmentTokens(Objects.requireNonNull(tokenizer, "tokenizer"));
            this.splitter = new DocumentSplitter(config.maxDocTokens());
            this.segmenter = new Segmenter(config.segmentTokens());
            this.exclude = Objects.requireNonNull(exclude, "exclude");
        }

        /**
         * Splits, segments and tokenizes {@code doc}, as {@code granular in2} does; a contaminated document is
         * not tokenized and prepares to an excluded one. Thread-safe when the tokenizer is.
         */
        public Prepared prepare(Document doc) {
            if (exclude.contaminated(doc.text())) {
                // What granular in2 stores for a dropped document: its id and nothing else (no segments, no parent).
                return new Prepared(new SegmentStoreBuilder.Prepared(doc.id(), List.of()), true);
            }
            return new Prepared(SegmentStoreBuilder.prepare(doc, tokens, splitter, segmenter), false);
        }
    }

    /** A preparer without decontamination; the tokenizer must stay open while it is used. */
    public static Preparer preparer(Tokenizer tokenizer, In2Config config) {
        return new Preparer(tokenizer, config, Decontaminator.fromFiles(List.of(), Decontaminator.DEFAULT_N));
    }

    /**
     * A preparer that drops the documents {@code exclude} finds contaminated ({@code in2 --exclude}: built once
     * with {@link Decontaminator#fromFiles}, serializable, so a distributed job broadcasts it to its workers).
     */
    public static Preparer preparer(Tokenizer tokenizer, In2Config config, Decontaminator exclude) {
        return new Preparer(tokenizer, config, exclude);
    }

    /** Appends prepared documents to a segment store, in corpus order. Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final SegmentStoreBuilder builder;
        private final Path dir;
        private long excluded;

        private Writer(Path dir) {
            this.dir = dir;
            this.builder = new SegmentStoreBuilder(dir);
        }

        /** Stores {@code p} after the documents appended before it. */
        public void append(Prepared p) {
            builder.append(p.value);
            if (p.excluded) {
                excluded++;
            }
        }

        /** Documents appended as excluded (contaminated): the run's {@code corpus.decontaminated} figure. */
        public long excluded() {
            return excluded;
        }

        /** Segments stored so far. */
        public int segments() {
            return builder.segments();
        }

        /** The store's folder. */
        public Path dir() {
            return dir;
        }

        public SegmentStore finish() {
            return builder.finish();
        }

        /** Flushes the store's files; it can then be opened ({@link In2#openDesign}) or shipped. */
        @Override
        public void close() {
            builder.close();
        }
    }

    /** A writer of a new store in {@code dir} (created). */
    public static Writer writer(Path dir) {
        return new Writer(dir);
    }
}
