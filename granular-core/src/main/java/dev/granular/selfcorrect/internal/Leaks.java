package dev.granular.selfcorrect.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Catches teacher text that gives away that the teacher was shown the answer. A trained model
 * that says "the reference answer is C" has learned to expect a reference it will never get at
 * inference time, so such examples are dropped (and counted), not repaired.
 */
public final class Leaks {
    private static final List<String> TELLS = List.of(
            "reference answer", "reference solution", "answer key", "ground truth", "ground-truth",
            "the provided answer", "the given answer", "answer provided", "answer was provided", "answer i was given",
            "right final answer", "correct answer provided", "was told the answer", "for you only");

    private Leaks() {
    }

    /** The first tell found in {@code text}, if any (case-insensitive). */
    static Optional<String> find(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        return TELLS.stream().filter(t::contains).findFirst();
    }
}
