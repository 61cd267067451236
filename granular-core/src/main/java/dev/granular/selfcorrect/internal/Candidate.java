package dev.granular.selfcorrect.internal;

import java.util.Objects;

/**
 * One judged student answer that may become an example.
 *
 * @param index   the answer's row in the student journal ({@code task ordinal × samples + sample})
 * @param taskId  the task's id
 * @param sample  which of the task's samples (0-based)
 * @param correct whether the judge found it correct (unparseable counts as wrong)
 * @param text    the answer, stripped
 */
public record Candidate(long index, String taskId, int sample, boolean correct, String text) {
    public Candidate {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(text, "text");
    }

    /** The key its seeded draws use: stable across runs and independent of thread timing. */
    String key() {
        return taskId + "#" + sample;
    }
}
