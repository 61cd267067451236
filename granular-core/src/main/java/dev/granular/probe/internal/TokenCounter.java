package dev.granular.probe.internal;

import dev.granular.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * Exact token counts of items joined by a paragraph break, as they read inside a prompt
 * (after the template's own paragraph break), without tokenizing a whole context for every
 * item added. A paragraph break before non-space text is a hard boundary for the tokenizers
 * granular supports (the IN2 property test proves it), so a context's count is the sum of
 * its items' counts; {@link ProbeBuilder} still checks every finished context against a full
 * tokenization and refuses a tokenizer for which the sum is wrong.
 */
public final class TokenCounter {
    /** What joins items in a context. */
    public static final String SEP = "\n\n";

    private final Tokenizer tokenizer;
    private final int anchor;

    public TokenCounter(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.anchor = tokenizer.encode(SEP).length;
    }

    /** Tokens of {@code text + SEP}: an item followed by another. */
    public int unit(String text) {
        return midText(text + SEP);
    }

    /** Tokens of {@code text} when it follows a paragraph break (the last item, or a whole context). */
    public int midText(String text) {
        int[] all = tokenizer.encode(SEP + text);
        int[] sep = tokenizer.encode(SEP);
        if (all.length < anchor || !Arrays.equals(all, 0, anchor, sep, 0, anchor)) {
            throw new IllegalStateException("tokenizer " + tokenizer.name()
                    + " merges a paragraph break with the text after it; contexts cannot be counted item by item");
        }
        return all.length - anchor;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
