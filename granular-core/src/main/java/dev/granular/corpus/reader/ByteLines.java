package dev.granular.corpus.reader;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines on {@code \n} without decoding them, so that each line can be
 * decoded (and rejected) on its own. A trailing {@code \r} is dropped; a final line without a
 * newline is returned, an empty final piece after the last newline is not.
 */
final class ByteLines {
    private final InputStream in;
    private final byte[] chunk = new byte[1 << 16];
    private int chunkPos;
    private int chunkLen;
    private byte[] line = new byte[1 << 12];
    private int lineLen;
    private boolean eof;

    ByteLines(InputStream in) {
        this.in = in;
    }

    /** Reads the next line into {@link #bytes()}/{@link #length()}; false at the end of the stream. */
    boolean next() throws IOException {
        lineLen = 0;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkLen) {
                if (eof || (chunkLen = in.read(chunk)) < 0) {
                    eof = true;
                    chunkLen = chunkPos = 0;
                    return any;
                }
                chunkPos = 0;
            }
            any = true;
            int start = chunkPos;
            while (chunkPos < chunkLen && chunk[chunkPos] != '\n') {
                chunkPos++;
            }
            append(start, chunkPos - start);
            if (chunkPos < chunkLen) {
                chunkPos++;
                if (lineLen > 0 && line[lineLen - 1] == '\r') {
                    lineLen--;
                }
                return true;
            }
        }
    }

    /** The current line's bytes; valid up to {@link #length()} until the next call to {@link #next()}. */
    byte[] bytes() {
        return line;
    }

    int length() {
        return lineLen;
    }

    private void append(int from, int count) {
        if (lineLen + count > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLen + count));
        }
        System.arraycopy(chunk, from, line, lineLen, count);
        lineLen += count;
    }
}
