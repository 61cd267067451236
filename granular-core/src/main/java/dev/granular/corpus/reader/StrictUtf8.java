package dev.granular.corpus.reader;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes UTF-8 strictly (malformed or unmappable input is an error, never replaced) and
 * says at which byte the first bad sequence starts. One instance per thread.
 */
public final class StrictUtf8 {
    /** Raised for bytes that are not valid UTF-8; {@link #offset} is where the bad sequence starts. */
    public static final class InvalidUtf8Exception extends Exception {
        public final long offset;

        InvalidUtf8Exception(long offset) {
            super("invalid UTF-8 at byte offset " + offset, null, false, false);
            this.offset = offset;
        }
    }

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    /** Decodes {@code bytes[0, length)}. */
    public String decode(byte[] bytes, int length) throws InvalidUtf8Exception {
        return decode(ByteBuffer.wrap(bytes, 0, length));
    }

    /** Decodes the remaining bytes of {@code in}; offsets count from its position. */
    public String decode(ByteBuffer in) throws InvalidUtf8Exception {
        int start = in.position();
        CharBuffer out = CharBuffer.allocate(in.remaining());
        decoder.reset();
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new InvalidUtf8Exception(in.position() - start);
        }
        return out.flip().toString();
    }

    /** The 1-based line that byte {@code offset} of {@code bytes} lies on. */
    public static long lineOf(byte[] bytes, long offset) {
        long line = 1;
        for (int i = 0; i < offset && i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }
}
