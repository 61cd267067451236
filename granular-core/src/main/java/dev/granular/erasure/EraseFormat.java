package dev.granular.erasure;

/** The row shapes {@link EraseJob} reads ({@code granular erase --input-format}). */
public enum EraseFormat {
    /** Decided per row by its fields. */
    AUTO,
    /** {@code {"id", "system_prompt", "question", "response"}}. */
    OPENORCA,
    /** {@code {"conversations": [{"from", "value", "weight"?}]}}. */
    SHAREGPT,
    /** {@code {"messages": [{"role", "content"}]}}. */
    MESSAGES
}
