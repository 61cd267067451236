package dev.granular.erasure;

/**
 * Prompt Erasure's one constant: the generic system message that replaces every strategy instruction in the student's
 * data, so that the student must learn from the task alone which way of answering fits ({@link DistillJob},
 * {@link EraseJob}; both take another with {@code withSystemMessage}).
 */
public final class Erasure {
    /**
     * The default generic system message, in our own words: a careful assistant that decides
     * how to approach a task before answering.
     */
    public static final String DEFAULT_SYSTEM_MESSAGE = "You are a careful, thoughtful assistant. Before you reply, "
            + "consider what kind of task you have been given and how it is best approached: some need worked reasoning, "
            + "some need recalled facts, some need only a brief answer. Then answer accurately and helpfully.";

    private Erasure() {
    }
}
