package dev.granular.in2.internal;

import dev.granular.tokenize.Tokenizer;
import java.util.Arrays;

/**
 * Exact token ids of segments as they appear inside a context.
 *
 * <p>A context is {@code seg1 + SEP + seg2 + SEP + ... + segN} with {@link #SEP} a paragraph
 * break, and it is never re-tokenized: its ids are the concatenation of each segment's
 * "unit" ids, {@code ids(seg_i + SEP)} for all but the last and {@code ids(seg_N)} for the
 * last. That is exact when a paragraph break followed by a non-space character is a hard
 * boundary for the tokenizer, which holds for the byte-level BPE (tiktoken, Llama 3, Qwen)
 * and SentencePiece tokenizers we test; a property test per tokenizer proves it, and
 * {@link In2Generator} re-checks the first contexts of every run against a full
 * tokenization, so a tokenizer for which it fails stops the run instead of writing wrong
 * counts.
 *
 * <p>Units are tokenized after an anchor (the same paragraph break) whose ids are then
 * dropped: that gives the ids a segment has mid-text, which differ from those at the start
 * of a string for tokenizers that prepend a space marker to the first word (SentencePiece).
 */
public final class SegmentTokens {
    /** What joins segments in a context. */
    public static final String SEP = "\n\n";
    private static final String ANCHOR = SEP;

    private final Tokenizer tokenizer;
    private final int[] anchorIds;

    public SegmentTokens(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.anchorIds = tokenizer.encode(ANCHOR);
    }

    /** Ids of {@code segment + SEP}: a segment followed by another one in a context. */
    public int[] unitIds(String segment) {
        return midText(segment + SEP);
    }

    /** Ids of {@code segment} at the end of a context. */
    public int[] lastIds(String segment) {
        return midText(segment);
    }

    /** Ids of {@code text} when it follows a paragraph break. */
    public int[] midText(String text) {
        int[] all = tokenizer.encode(ANCHOR + text);
        if (all.length < anchorIds.length || !Arrays.equals(all, 0, anchorIds.length, anchorIds, 0, anchorIds.length)) {
            throw new IllegalStateException("tokenizer " + tokenizer.name()
                    + " merges a paragraph break with the text after it; granular cannot build contexts from token slices with it");
        }
        return Arrays.copyOfRange(all, anchorIds.length, all.length);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
