package dev.granular.judge;

import java.util.List;
import java.util.Map;

/**
 * What a judge needs to know about a task: its question, its gold answer, and its choices
 * when it is multiple choice.
 *
 * @param question the question text
 * @param answer   the gold answer: a choice label ("B"), a number ("42"), or text
 * @param choices  labelled choices in order (label → text), empty when not multiple choice
 */
public record Task(String question, String answer, List<Choice> choices) {
    /** One labelled choice, e.g. {@code A} → {@code "a rock"}. */
    public record Choice(String label, String text) {
    }

    public Task {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public boolean multipleChoice() {
        return !choices.isEmpty();
    }

    /** Choices given as a map label → text (insertion order kept). */
    public static List<Choice> choices(Map<String, String> m) {
        return m.entrySet().stream().map(e -> new Choice(e.getKey(), e.getValue())).toList();
    }
}
