package dev.granular.in2.internal;

import dev.granular.record.TrainingRecord;

/**
 * An example and, for a long one, its context with its exact ids, which
 * {@code export --format tokens} can reuse instead of tokenizing the context again.
 *
 * @param context the context, or null (short and general examples)
 * @param message the index of the message holding it
 * @param start   its UTF-16 offset in that message's content
 */
public record Generated(TrainingRecord record, Context context, int message, int start) {
}
