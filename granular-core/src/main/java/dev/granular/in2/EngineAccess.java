package dev.granular.in2;

import dev.granular.in2.internal.In2Draw;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Engines;
import dev.granular.in2.internal.In2General;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Path;

/**
 * This package's members for {@link In2Engines}, which {@code In2Job} registers there: package-private, like the
 * members it calls, so that the exported API names no type of {@code dev.granular.in2.internal} for engines (see
 * {@link In2Engines} for why a registered accessor).
 */
final class EngineAccess implements In2Engines.Access {
    @Override
    public In2Job.Result run(In2Job.Spec spec, In2Job.Listener listener, In2Engine engine) {
        return In2Job.run(spec, listener, engine);
    }

    @Override
    public In2Draw draw(In2Design design, long i) {
        return design.draw(i);
    }

    @Override
    public In2General general(In2Design design) {
        return design.general();
    }

    @Override
    public In2Design openDesign(In2 in2, Path storeDir, Tokenizer tokenizer, In2General general) {
        return in2.openDesign(storeDir, tokenizer, general);
    }
}
