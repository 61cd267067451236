package dev.granular.bench;

import dev.granular.corpus.Document;
import dev.granular.in2.In2Config;
import dev.granular.in2.internal.Context;
import dev.granular.in2.internal.DocumentSplitter;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentStoreBuilder;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.Segmenter;
import dev.granular.in2.internal.Sentences;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The parts of IN2's engine that {@link In2Benchmarks} measures: its segment store, context assembly and sentence
 * split, called directly in {@code dev.granular.in2.internal}.
 *
 * <p>Why neither reflection nor {@code In2Engines}' accessor: everything measured here is a public type of
 * {@code dev.granular.in2.internal} (Segmenter, SegmentStoreBuilder, Context, Sentences, ...), and that package and
 * this one are in the same module, which exports neither; so a plain call compiles and the exported API does not
 * grow. {@code In2Engines} registers an accessor only because the engine needs package-private members of
 * {@code dev.granular.in2} (In2Job's run, In2Design's draws), which no other package can call; the benchmarks need
 * none, so routing them through that accessor would add a bridge with nothing to bridge. Were one needed later, the
 * way is a method on {@code In2Engines.Access}, not a class looked up by name.
 */
final class In2Internals {
    private In2Internals() {
    }

    /** A segment store as {@code granular in2} builds one, with the tokens it was built with. */
    record Store(SegmentStore store, SegmentTokens tokens) {
        int segments() {
            return store.segments();
        }

        /** Tokens of segment {@code s} with the separator after it. */
        int segmentTokens(int s) {
            return store.segTokens(s);
        }

        long totalTokens() {
            return store.totalTokens();
        }

        /** The ids of a context of the segments {@code order}, assembled from stored token slices, as in2 does. */
        int[] sliceIds(List<Integer> order, int target) {
            return Context.of(order, store, tokens, target).ids();
        }

        /** The same context's ids by building its text and tokenizing it (the baseline the slices replace). */
        int[] textIds(List<Integer> order) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < order.size(); i++) {
                if (i > 0) {
                    sb.append(SegmentTokens.SEP);
                }
                sb.append(store.segText(order.get(i)));
            }
            return tokens.midText(sb.toString());
        }
    }

    /** Splits, segments and tokenizes the documents {@code documents} gives, into a store in {@code workDir}. */
    static Store segment(Consumer<Consumer<Document>> documents, Tokenizer tokenizer, In2Config config, Path workDir) {
        SegmentTokens tokens = new SegmentTokens(tokenizer);
        Segmenter segmenter = new Segmenter(config.segmentTokens());
        DocumentSplitter splitter = new DocumentSplitter(config.maxDocTokens());
        try (SegmentStoreBuilder b = new SegmentStoreBuilder(workDir)) {
            documents.accept(d -> b.append(SegmentStoreBuilder.prepare(d, tokens, splitter, segmenter)));
            return new Store(b.finish(), tokens);
        }
    }

    /** The sentences of {@code text}, whole or not, in order, as IN2's questions split it. */
    static List<String> sentences(String text) {
        return Sentences.all(text).stream().map(s -> s.of(text)).toList();
    }
}
