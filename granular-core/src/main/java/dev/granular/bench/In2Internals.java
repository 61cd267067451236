package dev.granular.bench;

import dev.granular.corpus.Document;
import dev.granular.in2.In2Config;
import dev.granular.tokenize.Tokenizer;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The parts of IN2's engine that {@link In2Benchmarks} measures: its segment store and context assembly, which
 * are package-private in {@code dev.granular.in2}. The implementation ({@code dev.granular.in2.internal.BenchInternals})
 * is package-private there too and this interface lives in a package the module does not export, so the
 * exported API does not grow by a type (the JDK reaches across its own packages the same way, with
 * {@code jdk.internal.access.SharedSecrets}).
 */
public interface In2Internals {
    /** A segment store as {@code granular in2} builds one, in a folder of its own. */
    interface Store {
        int segments();

        /** Tokens of segment {@code s} with the separator after it. */
        int segmentTokens(int s);

        long totalTokens();

        /** The ids of a context of the segments {@code order}, assembled from stored token slices, as in2 does. */
        int[] sliceIds(List<Integer> order, int target);

        /** The same context's ids by building its text and tokenizing it (the baseline the slices replace). */
        int[] textIds(List<Integer> order);
    }

    /** Splits, segments and tokenizes the documents {@code documents} gives, into a store in {@code workDir}. */
    Store segment(Consumer<Consumer<Document>> documents, Tokenizer tokenizer, In2Config config, Path workDir);

    /** The sentences of {@code text}, whole or not, in order, as IN2's questions split it. */
    List<String> sentences(String text);

    /** The implementation in {@code dev.granular.in2}. */
    static In2Internals load() {
        try {
            Constructor<?> c = Class.forName("dev.granular.in2.internal.BenchInternals").getDeclaredConstructor();
            c.setAccessible(true); // package-private, in this module: deep reflection within a module needs no opens
            return (In2Internals) c.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("dev.granular.in2.internal.BenchInternals is missing", e);
        }
    }
}
