package dev.granular.selfcorrect.internal;

import dev.granular.judge.AutoJudge;
import dev.granular.judge.NumberJudge;
import dev.granular.judge.Task;

/**
 * How a task's final answer line looks. The student is asked for it, and the teacher's
 * correction must end with it, so that the initial answer and the corrected one are judged by
 * the same rule and the trained model learns one answer format.
 */
public enum AnswerStyle {
    /** Multiple choice: {@code Answer: B}. */
    CHOICE("Answer: X", "where X is the letter of the option you pick"),
    /** A number (GSM8K): {@code #### 42}. */
    NUMBER("#### N", "where N is the final number alone"),
    /** Anything else: {@code Answer: text}. */
    TEXT("Answer: ...", "with your final answer as short as it can be");

    private final String line;
    private final String gloss;

    AnswerStyle(String line, String gloss) {
        this.line = line;
        this.gloss = gloss;
    }

    /** The style of a task: choice when it has choices, number when its gold answer is a number, else text. */
    public static AnswerStyle of(Task task) {
        if (task.multipleChoice()) {
            return CHOICE;
        }
        return new AutoJudge().pick(task) instanceof NumberJudge ? NUMBER : TEXT;
    }

    /** The last line's template, e.g. {@code #### N}. */
    public String line() {
        return line;
    }

    /** What the placeholder in {@link #line()} stands for. */
    public String gloss() {
        return gloss;
    }
}
