package dev.granular.selfcorrect.internal;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pool of self-check prompts placed between the initial answer and the verdict. Many
 * wordings, drawn per example, keep the model from tying self-verification to one fixed string;
 * the draw is seeded by the example's id and sample, so reruns pick the same phrase.
 *
 * @param phrases one or more single-line phrases (unmodifiable copy)
 */
public record SelfCheckPhrases(List<String> phrases) {
    private static final List<String> BUILT_IN = List.of(
            "Let me go back over this answer before I settle on it.",
            "Before finishing, I will check whether that answer actually holds.",
            "Is the answer above right? Let me verify it.",
            "Let me double-check my reasoning.",
            "I should make sure this is correct before moving on.",
            "Checking the work above once more:",
            "Does this answer survive a second look? Let me see.",
            "Let me re-read the question and test my answer against it.",
            "Time to verify the result.",
            "Let me confirm that each step above is sound.",
            "Before I commit, let me review the solution.",
            "Wait, let me check that answer.",
            "A quick self-check of the answer above:",
            "Let me look for mistakes in what I just wrote.",
            "Is that really the right answer? I will verify.",
            "Let me retrace the steps to be sure.",
            "I will now check the answer against the conditions in the question.",
            "One more pass to confirm the answer:",
            "Let me test whether the conclusion follows from the steps.",
            "Reviewing my answer for errors:",
            "Let me verify this before giving it as final.",
            "Hold on, I will scrutinise that result.",
            "Let me see if the answer above stands up.",
            "Let me make certain the final answer is right.");

    public SelfCheckPhrases {
        phrases = List.copyOf(phrases);
        if (phrases.isEmpty()) {
            throw new dev.granular.io.InvalidConfigException("${verifyPhrases}: at least one phrase is needed");
        }
        for (String p : phrases) {
            if (p.isBlank() || p.strip().length() != p.length() || p.lines().count() != 1) {
                throw new IllegalArgumentException("a self-check phrase must be one non-blank line without outer spaces: \"" + p + "\"");
            }
        }
    }

    /** The 24 built-in phrases. */
    public static SelfCheckPhrases builtIn() {
        return new SelfCheckPhrases(BUILT_IN);
    }

    /**
     * One phrase a line from {@code file}; blank lines and lines starting with {@code #} are skipped,
     * outer spaces are stripped.
     *
     * @throws BadInputException when the file holds no phrase
     */
    public static SelfCheckPhrases read(Path file) {
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) {
                    out.add(s);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the self-check phrases " + file, e);
        }
        if (out.isEmpty()) {
            throw new BadInputException(file, 0, "holds no self-check phrase (one a line)");
        }
        return new SelfCheckPhrases(out);
    }

    /** The phrase for one example: a seeded function of {@code key} (task id and sample). */
    public String pick(long seed, String key) {
        return phrases.get((int) Math.floorMod(Seeds.hash(seed, "phrase:" + key), (long) phrases.size()));
    }
}
