package dev.granular.tokenize;

import dev.granular.tiktoken.TiktokenEncoding;

import java.nio.charset.StandardCharsets;

/**
 * An OpenAI tiktoken encoding ({@code o200k_base}, {@code cl100k_base}) run by jtokkit, in pure
 * Java, through granular-tiktoken's {@link TiktokenEncoding} (which keeps jtokkit, a jar without a
 * module name, off granular.core's {@code requires}). Special-token text such as {@code <|endoftext|>}
 * is encoded as ordinary text.
 *
 * <p>jtokkit reports no offsets, so {@link #encodeWithOffsets} computes them: the tokens' bytes
 * concatenate to the text's UTF-8 bytes, so each token starts at the running sum of the byte
 * lengths of the tokens before it; that byte offset maps to a UTF-16 index when it falls on the
 * first byte of a character and to -1 when it falls on a continuation byte.
 *
 * <p>Thread-safe: jtokkit encodings are, and the byte-length cache tolerates races (see
 * {@link #byteLength}).
 */
final class TiktokenTokenizer implements Tokenizer {

    /** Cached byte lengths cover ids below this (o200k_base has about 200k ids); others are computed each time. */
    private static final int CACHE_SIZE = 1 << 18;

    private final TiktokenEncoding encoding;
    /** Byte length of each token id's bytes, or 0 while not yet looked up (every token has at least one byte). */
    private final int[] byteLengths = new int[CACHE_SIZE];

    TiktokenTokenizer(TiktokenEncoding encoding) {
        this.encoding = encoding;
    }

    @Override
    public String name() {
        return encoding.name();
    }

    /** The encoding's name: the vocabulary and rules of a tiktoken encoding are fixed by it. */
    @Override
    public String fingerprint() {
        return encoding.name();
    }

    @Override
    public int[] encode(String text) {
        return encoding.encodeOrdinary(Utf16.replaceLoneSurrogates(text));
    }

    @Override
    public Encoding encodeWithOffsets(String text) {
        String s = Utf16.replaceLoneSurrogates(text);
        int[] ids = encoding.encodeOrdinary(s);
        int[] starts = new int[ids.length];
        int ch = 0;        // UTF-16 index of the character that holds byte `pos`
        long chByte = 0;   // UTF-8 offset where that character starts
        long pos = 0;      // UTF-8 offset where token i starts
        for (int i = 0; i < ids.length; i++) {
            while (true) {
                if (ch >= s.length()) {
                    throw new IllegalStateException(name() + ": token bytes run past the end of the text");
                }
                int cp = s.codePointAt(ch);
                int len = Utf16.utf8Length(cp);
                if (chByte + len > pos) {
                    break;
                }
                chByte += len;
                ch += Character.charCount(cp);
            }
            starts[i] = chByte == pos ? ch : -1;
            pos += byteLength(ids[i]);
        }
        return new Encoding(ids, starts);
    }

    @Override
    public String decode(int[] ids) {
        return new String(encoding.decodeBytes(ids), StandardCharsets.UTF_8);
    }

    @Override
    public int count(String text) {
        return encoding.countOrdinary(Utf16.replaceLoneSurrogates(text));
    }

    /**
     * Number of bytes of token {@code id}, looked up once per id. Threads race benignly on the
     * cache: an int write is atomic, and a thread that does not yet see another's write computes
     * and stores the same value again.
     */
    private int byteLength(int id) {
        int len = id >= 0 && id < CACHE_SIZE ? byteLengths[id] : 0;
        if (len == 0) {
            len = encoding.decodeBytes(new int[] {id}).length;
            if (id >= 0 && id < CACHE_SIZE) {
                byteLengths[id] = len;
            }
        }
        return len;
    }
}
