package dev.granular.record;

/**
 * A run of a message's content that is trained on ({@code train = true}) or masked out.
 *
 * <p>Offsets are half-open and count Unicode code points, not Java {@code char}s: they are
 * Python string indices, which is how axolotl slices {@code content} when it reads
 * {@code train_detail}. Use {@link String#offsetByCodePoints} to turn them into Java indices.
 *
 * @param beginOffset first code point of the span, {@code >= 0}
 * @param endOffset   one past the last code point, {@code > beginOffset} (spans are never empty)
 * @param train       whether the model is trained on these tokens
 */
public record TrainSpan(int beginOffset, int endOffset, boolean train) {
    public TrainSpan {
        if (beginOffset < 0) {
            throw new IllegalArgumentException("begin_offset " + beginOffset + " must be >= 0");
        }
        if (endOffset <= beginOffset) {
            throw new IllegalArgumentException("end_offset " + endOffset + " must be > begin_offset "
                    + beginOffset + " (spans must not be empty)");
        }
    }

    /** Number of code points covered. */
    public int length() {
        return endOffset - beginOffset;
    }
}
