package dev.granular.tokenize;

import java.util.Set;

/**
 * Turns text into token ids, without special tokens (no BOS/EOS: templates add those).
 *
 * <p>Implementations are thread-safe: one instance is shared by all worker threads. Close it only
 * once those threads have stopped (a job opens its {@link dev.granular.concurrent.WorkerPool} inside
 * the tokenizer's try-with-resources); a Hugging Face tokenizer's {@link #close()} also waits for
 * the calls in flight and makes later calls throw {@link IllegalStateException}, never crash.
 *
 * <pre>{@code
 * Tokenizer t = Tokenizers.load("o200k_base");
 * int[] ids = t.encode("Hello world");   // [13225, 2375]
 * }</pre>
 */
public interface Tokenizer extends AutoCloseable {

    /** A short name for manifests and reports, e.g. {@code o200k_base} or the tokenizer directory's name. */
    String name();

    /** A fingerprint of the vocabulary and rules (e.g. sha256 of tokenizer.json), for manifests and cache keys. */
    String fingerprint();

    /** Token ids of {@code text}, no special tokens added. */
    int[] encode(String text);

    /**
     * Token ids of {@code text} with, for each token, where it starts in {@code text}.
     * See {@link Encoding#starts()}.
     */
    Encoding encodeWithOffsets(String text);

    /**
     * Token ids of {@code text} with the range of text each token covers (see {@link TokenSpans}).
     * The default derives the ranges from {@link #encodeWithOffsets}; tokenizers that know each
     * token's own span override it.
     */
    default TokenSpans encodeWithSpans(String text) {
        return TokenSpans.fromStarts(encodeWithOffsets(text), text.length());
    }

    /**
     * Texts that this tokenizer encodes as one control token wherever they appear, even inside
     * ordinary content (Hugging Face's special added tokens such as {@code <|im_end|>}); empty
     * when it encodes all text as text (the tiktoken encodings here).
     */
    default Set<String> specialTokens() {
        return Set.of();
    }

    /** The text of {@code ids} (special tokens rendered as their text). */
    String decode(int[] ids);

    /** Number of tokens in {@code text}; may be faster than {@code encode(text).length}. */
    default int count(String text) {
        return encode(text).length;
    }

    @Override
    default void close() {
    }
}
