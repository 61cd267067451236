package dev.granular.in2.internal;

import dev.granular.in2.In2Config;

import dev.granular.bench.In2Internals;
import dev.granular.corpus.Document;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** {@link In2Internals} for the benchmarks (package-private: found by {@link In2Internals#load()}, not exported). */
public final class BenchInternals implements In2Internals {
    BenchInternals() {
    }

    @Override
    public Store segment(Consumer<Consumer<Document>> documents, Tokenizer tokenizer, In2Config config, Path workDir) {
        SegmentTokens tokens = new SegmentTokens(tokenizer);
        Segmenter segmenter = new Segmenter(config.segmentTokens());
        DocumentSplitter splitter = new DocumentSplitter(config.maxDocTokens());
        SegmentStore store;
        try (SegmentStoreBuilder b = new SegmentStoreBuilder(workDir)) {
            documents.accept(d -> b.append(SegmentStoreBuilder.prepare(d, tokens, splitter, segmenter)));
            store = b.finish();
        }
        return new Store() {
            @Override
            public int segments() {
                return store.segments();
            }

            @Override
            public int segmentTokens(int s) {
                return store.segTokens(s);
            }

            @Override
            public long totalTokens() {
                return store.totalTokens();
            }

            @Override
            public int[] sliceIds(List<Integer> order, int target) {
                return Context.of(order, store, tokens, target).ids();
            }

            @Override
            public int[] textIds(List<Integer> order) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < order.size(); i++) {
                    if (i > 0) {
                        sb.append(SegmentTokens.SEP);
                    }
                    sb.append(store.segText(order.get(i)));
                }
                return tokens.midText(sb.toString());
            }
        };
    }

    @Override
    public List<String> sentences(String text) {
        return Sentences.all(text).stream().map(s -> s.of(text)).toList();
    }
}
