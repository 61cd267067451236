package dev.granular.probe.internal;

import dev.granular.in2.PromptTemplate;
import dev.granular.probe.ProbeConfig;
import java.util.ArrayList;
import java.util.List;

/** Small hand-made item pools: every sentence distinct, every piece unique unless a test wants otherwise. */
final class ProbeFixtures {
    static final String[] COLOURS = {"amber", "blue", "crimson", "dun", "emerald", "fawn", "grey", "hazel", "indigo", "jade"};
    static final String[] THINGS = {"boat", "kettle", "lantern", "meadow", "orchard", "parrot", "quilt", "river", "saddle", "tower"};

    private ProbeFixtures() {
    }

    /** {@code n} sentences like "Sentence 17 says that the amber kettle stood near the old bridge.", piece "17 says that the amber kettle". */
    static List<Item> sentences(int n) {
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String piece = "number " + i + " says that the " + COLOURS[i % 10] + " " + THINGS[(i / 10) % 10];
            out.add(new Item.Sentence("Sentence " + piece + " stood near the old bridge.", piece));
        }
        return out;
    }

    static ProbeConfig config(int tokens, int positions, int bin, int sets) {
        return new ProbeConfig(tokens, positions, bin, sets, 42, PromptTemplate.DEFAULT);
    }
}
