package dev.granular.in2;

import dev.granular.corpus.Document;
import dev.granular.tokenize.Tokenizer;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * IN2's corpus segmentation in two halves, for a job that segments documents elsewhere (Spark tasks) and
 * writes the segment store in one place: {@link Preparer#prepare} splits, segments and tokenizes one
 * document (pure, thread-safe, the costly part), and a {@link Writer} appends prepared documents in corpus
 * order. A store written from the same documents in the same order is byte for byte the one
 * {@code granular in2} writes, whichever machine prepared which document; {@link In2#openDesign} builds
 * the design over it.
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

        Prepared(SegmentStoreBuilder.Prepared value) {
            this.value = value;
        }

        /** The document's id. */
        public String documentId() {
            return value.parentId();
        }

        /** Its segments over all its pseudo-documents (0: nothing to store, e.g. blank text). */
        public int segments() {
            return value.docs().stream().mapToInt(d -> d.segments().size()).sum();
        }
    }

    /** Prepares documents with one tokenizer and configuration ({@link In2Config#segmentTokens()}, {@link In2Config#maxDocTokens()}). */
    public static final class Preparer {
        private final SegmentTokens tokens;
        private final DocumentSplitter splitter;
        private final Segmenter segmenter;

        private Preparer(Tokenizer tokenizer, In2Config config) {
            this.tokens = new SegmentTokens(Objects.requireNonNull(tokenizer, "tokenizer"));
            this.splitter = new DocumentSplitter(config.maxDocTokens());
            this.segmenter = new Segmenter(config.segmentTokens());
        }

        /** Splits, segments and tokenizes {@code doc}, as {@code granular in2} does. Thread-safe when the tokenizer is. */
        public Prepared prepare(Document doc) {
            return new Prepared(SegmentStoreBuilder.prepare(doc, tokens, splitter, segmenter));
        }
    }

    /** A preparer; the tokenizer must stay open while it is used. */
    public static Preparer preparer(Tokenizer tokenizer, In2Config config) {
        return new Preparer(tokenizer, config);
    }

    /** Appends prepared documents to a segment store, in corpus order. Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final SegmentStoreBuilder builder;
        private final Path dir;

        private Writer(Path dir) {
            this.dir = dir;
            this.builder = new SegmentStoreBuilder(dir);
        }

        /** Stores {@code p} after the documents appended before it. */
        public void append(Prepared p) {
            builder.append(p.value);
        }

        /** Segments stored so far. */
        public int segments() {
            return builder.segments();
        }

        /** The store's folder. */
        public Path dir() {
            return dir;
        }

        SegmentStore finish() {
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
