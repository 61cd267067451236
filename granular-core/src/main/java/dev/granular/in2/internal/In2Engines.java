package dev.granular.in2.internal;

import dev.granular.in2.In2;
import dev.granular.in2.In2Design;
import dev.granular.in2.In2Job;
import dev.granular.tokenize.Tokenizer;
import java.lang.invoke.MethodHandles;
import java.nio.file.Path;

/**
 * The entry points of an {@link In2Engine}: a run with an engine, and the members of {@code In2Design} and {@code In2}
 * that an engine's workers need ({@link #draw}, {@link #general}, {@link #openDesign}). They name types of this package,
 * which code on the module path cannot use, so they are not members of the exported types; the code behind them is.
 *
 * <pre>{@code
 * In2Job.Result r = In2Engines.run(spec, In2Job.Listener.NONE, engine);                    // driver
 * In2Design design = In2Engines.openDesign(In2.of(config), storeDir, tokenizer, general);  // worker
 * In2Draw first = In2Engines.draw(design, i);
 * }</pre>
 *
 * <p>How this package reaches package-private code of {@code dev.granular.in2}: Java has no friend access across
 * packages, so {@code In2Job} registers an {@link Access} (its package-private {@code EngineAccess}) here when it is
 * initialized, as the JDK's {@code jdk.internal.access.SharedSecrets} does across its own packages. Chosen over the
 * alternatives: moving the run itself here would need the same bridge for more code ({@code In2Design}'s
 * constructor, {@code In2.build} and {@code In2.ordered} are package-private), and loading an implementation by its
 * class name puts a string where the compiler checks nothing. Code that needs only this package's public types
 * (the benchmarks' {@code bench.In2Internals}) calls them directly, without this accessor. The exported
 * API does not grow: {@link Access} is public only in this package, which the module does not export.
 */
public final class In2Engines {
    private In2Engines() {
    }

    /** What {@code dev.granular.in2} gives this package; implemented there, registered by {@code In2Job}. */
    public interface Access {
        In2Job.Result run(In2Job.Spec spec, In2Job.Listener listener, In2Engine engine);

        In2Draw draw(In2Design design, long i);

        In2General general(In2Design design);

        In2Design openDesign(In2 in2, Path storeDir, Tokenizer tokenizer, In2General general);
    }

    private static volatile Access access;

    /** Called once, by {@code In2Job}'s static initializer. */
    public static void register(Access a) {
        access = a;
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                // In2Job registers when it is initialized; a worker may not have touched it yet.
                MethodHandles.lookup().ensureInitialized(In2Job.class);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot initialize dev.granular.in2.In2Job", e);
            }
            a = access;
            if (a == null) {
                throw new IllegalStateException("dev.granular.in2.In2Job registered no engine access");
            }
        }
        return a;
    }

    /**
     * As {@code In2Job.run(spec, listener)}, the corpus segmented and the examples drawn by {@code engine}
     * (null: on {@code spec.threads()} threads, as {@code In2Job.run(spec, listener)}).
     */
    public static In2Job.Result run(In2Job.Spec spec, In2Job.Listener listener, In2Engine engine) {
        return access().run(spec, listener, engine);
    }

    /**
     * The first draw of example {@code i} ({@code design.example(i, 0)}), ready to ship: a distributed job computes
     * these for ranges of indices anywhere, then one pass in index order keeps each draw or, when its question
     * repeats an earlier one, draws it again ({@link #run}, {@link In2Assembly}).
     */
    public static In2Draw draw(In2Design design, long i) {
        return access().draw(design, i);
    }

    /**
     * The general rows {@code design}'s general examples copy ({@link In2General#NONE} without): with
     * {@code design.config()}, what a distributed job ships for its workers' {@link #openDesign}.
     */
    public static In2General general(In2Design design) {
        return access().general(design);
    }

    /**
     * As {@code in2.openDesign(storeDir, tokenizer)}, with general rows read elsewhere (a driver's
     * {@link In2General#read}, shipped) in place of {@code In2.withGeneral}'s files, which a worker may not be able to
     * read: the design a driver's {@link #general} and {@code config()} were taken from, drawn anywhere. With
     * {@link In2General#NONE}, the general share is dropped and spread over the other kinds.
     */
    public static In2Design openDesign(In2 in2, Path storeDir, Tokenizer tokenizer, In2General general) {
        return access().openDesign(in2, storeDir, tokenizer, general);
    }
}
