package dev.granular.corpus;

import dev.granular.corpus.reader.BundledCorpus;

import dev.granular.corpus.reader.CorpusReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The documents a design reads: the bundled sample corpus, files and folders on disk, or documents
 * already in memory (a Spark partition, a database query, a test). The same documents in the same
 * order give the same data whichever kind holds them.
 *
 * <pre>{@code
 * Corpus.bundled();
 * Corpus.files(List.of(Path.of("corpus/")));
 * Corpus.documents(List.of(new Document("a", "Some text.", "memory")));
 * }</pre>
 */
public sealed interface Corpus permits Corpus.Bundled, Corpus.Files, Corpus.Documents {

    /** The bundled sample corpus (US State of the Union addresses). */
    static Corpus bundled() {
        return Bundled.INSTANCE;
    }

    /** Text, JSONL or Parquet files and folders, read with the default options (field {@code text}, bad rows fail). */
    static Corpus files(List<Path> paths) {
        return new Files(paths, CorpusOptions.defaults());
    }

    /** Files and folders read with {@code options}. */
    static Corpus files(List<Path> paths, CorpusOptions options) {
        return new Files(paths, options);
    }

    /** Documents held in memory, in this order. */
    static Corpus documents(List<Document> documents) {
        return new Documents(documents);
    }

    /**
     * Passes every document, in corpus order, to {@code consumer}.
     *
     * @return rows skipped under {@link BadRowPolicy#SKIP}, by reason (empty for the other kinds)
     */
    Map<String, Long> forEach(Consumer<? super Document> consumer);

    /** The bundled sample corpus. */
    enum Bundled implements Corpus {
        INSTANCE;

        @Override
        public Map<String, Long> forEach(Consumer<? super Document> consumer) {
            BundledCorpus.forEach(consumer);
            return Map.of();
        }
    }

    /** Files and folders. */
    record Files(List<Path> paths, CorpusOptions options) implements Corpus {
        public Files {
            paths = List.copyOf(paths);
            Objects.requireNonNull(options, "options");
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("no corpus paths (use Corpus.bundled() for the sample corpus)");
            }
        }

        @Override
        public Map<String, Long> forEach(Consumer<? super Document> consumer) {
            CorpusReader reader = new CorpusReader(paths, options);
            reader.forEach(consumer);
            return reader.stats().skippedRows();
        }
    }

    /** Documents in memory. */
    record Documents(List<Document> documents) implements Corpus {
        public Documents {
            documents = List.copyOf(documents);
        }

        @Override
        public Map<String, Long> forEach(Consumer<? super Document> consumer) {
            documents.forEach(consumer);
            return Map.of();
        }
    }
}
