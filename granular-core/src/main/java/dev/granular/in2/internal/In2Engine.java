package dev.granular.in2.internal;

import dev.granular.corpus.Corpus;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Design;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the CPU-heavy stages of an {@code In2Job} run when not on that JVM's threads: a distributed engine
 * (granular-spark's {@code SparkIn2}) segments the corpus and draws the examples on other machines, and the run keeps
 * the rest as it is (output directory and its identity, resume, index order, repeated questions drawn again, report,
 * card, manifest), so its data files are those of a local run with the same inputs. Programmatic questions only. Run
 * one with {@link In2Engines#run}. The run reads the exclude files ({@link Decontaminator}) and the general rows
 * itself, so a bad file is reported as a local run reports it; the engine ships them: the decontaminator to its
 * preparers ({@link In2Segments#preparer}), the design's {@link In2Engines#general} to its draws
 * ({@link In2Engines#openDesign}).
 *
 * <p>Not exported, and not a stable API: it lives here rather than in {@code In2Job} because every method names a
 * type of this package, which code on the module path cannot use (see ApiSurfaceTest).
 */
public interface In2Engine {
    /** Its name, for the manifest ({@code "engine"}). */
    String name();

    /**
     * The corpus when the engine reads one of its own (granular-spark's DataFrame corpus) in place of
     * {@code spec.corpus()}, which is then empty; null (the default) for {@code spec.corpus()}. Called once, before
     * the output directory is opened: what it returns is part of the run's identity, so a resume with another
     * corpus is refused as one with a changed corpus file is. {@link #segment} is then given no corpus (null).
     */
    default OwnCorpus ownCorpus() {
        return null;
    }

    /**
     * Prepares the documents of {@code corpus} ({@link In2Segments#preparer}, with {@code exclude}, which finds
     * nothing without exclude files) and appends them to {@code store} in corpus order, the excluded ones too (the
     * store counts them). {@code corpus} is null when the engine reads its own ({@link #ownCorpus()}).
     */
    Segmented segment(Corpus corpus, In2Config config, Decontaminator exclude, In2Segments.Writer store);

    /**
     * {@code In2Engines.draw(design, i)} for {@code i} from {@code from} to {@code design.size()}, in index order,
     * computed anywhere (over the store {@link #segment} wrote, with {@code design.config()} and
     * {@code In2Engines.general(design)}).
     */
    Iterator<In2Draw> draws(In2Design design, long from);

    /**
     * Writes the examples from {@code assembly.from()} to the end through {@code assembly}: by default, every draw
     * of {@link #draws} comes here and is written here, in index order; an engine whose workers see the output
     * folder keeps the draws there, sends only their keys here, and writes the shards there ({@link In2Assembly}).
     */
    default void assemble(In2Design design, In2Assembly assembly) {
        assembly.writeInOrder(draws(design, assembly.from()));
    }

    /**
     * A corpus an engine reads itself (see {@link #ownCorpus()}).
     *
     * @param label  how the dataset card names it ("a Spark DataFrame ...")
     * @param inputs the manifest's {@code inputs} entries for it, in place of the files' {@code corpus} and
     *               {@code corpus_sha256}: a {@code corpus_sha256} over its content makes a resume with another corpus
     *               refused
     */
    record OwnCorpus(String label, Map<String, Object> inputs) {
        public OwnCorpus {
            Objects.requireNonNull(label, "label");
            inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        }
    }

    /**
     * What {@link #segment} read.
     *
     * @param documents   corpus documents read
     * @param skippedRows rows skipped under {@code --on-bad-row skip}, by reason
     */
    record Segmented(long documents, Map<String, Long> skippedRows) {
        public Segmented {
            skippedRows = Map.copyOf(skippedRows);
        }
    }
}
