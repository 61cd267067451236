package dev.granular.export;

import java.util.List;

/**
 * A record's conversation rendered by its chat template and labelled token by token: what the
 * {@code tokens} export writes and what {@code granular inspect} shows.
 *
 * <p>{@code labels[i]} is {@code ids[i]} for a trained token and {@link #IGNORE} (-100) otherwise
 * (not shifted: trainers shift by one themselves). Token {@code i} covers {@code
 * text[charStarts[i], charEnds[i])} in <b>code points</b> (Python string indices). Byte-level pieces
 * of one character share that character's span, so several tokens may report the same span.
 *
 * @param text       the rendering, as transformers' {@code apply_chat_template(..., tokenize=False)} gives it
 * @param ids        token ids of {@code text}, no special tokens added (the template writes BOS)
 * @param labels     per token: the id when trained, -100 otherwise
 * @param charStarts per token: first code point of {@code text} it covers
 * @param charEnds   per token: one past the last code point it covers
 * @param trained    the trained character spans, in order, each with the message it came from
 */
public record LossMask(String text, int[] ids, int[] labels, int[] charStarts, int[] charEnds, List<Span> trained)
        implements Labeler.Result {

    /** The label of a token that does not contribute to the loss (PyTorch's ignore_index). */
    public static final int IGNORE = -100;

    public LossMask {
        if (ids.length != labels.length || ids.length != charStarts.length || ids.length != charEnds.length) {
            throw new IllegalArgumentException("ids, labels, charStarts and charEnds differ in length");
        }
        trained = List.copyOf(trained);
    }

    /**
     * A trained run of the rendering.
     *
     * @param message    index of the record's message it belongs to
     * @param begin      first code point in {@link LossMask#text()}
     * @param end        one past the last code point
     * @param terminator whether this is the end-of-turn token closing a trained assistant message
     */
    public record Span(int message, int begin, int end, boolean terminator) {
    }

    /** Number of tokens. */
    public int size() {
        return ids.length;
    }

    /** Number of tokens whose label is not -100. */
    public int trainedTokens() {
        int n = 0;
        for (int l : labels) {
            if (l != IGNORE) {
                n++;
            }
        }
        return n;
    }

    /** Whether token {@code i} is trained. */
    public boolean isTrained(int i) {
        return labels[i] != IGNORE;
    }
}
