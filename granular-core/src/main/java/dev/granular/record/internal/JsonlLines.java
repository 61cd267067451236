package dev.granular.record.internal;

import dev.granular.io.BadInputException;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * The lines of one {@code .jsonl} or {@code .jsonl.gz} file, split on {@code \n} at the byte
 * level and decoded as strict UTF-8.
 *
 * <p>Splitting before decoding means a line with invalid bytes is reported and skipped while
 * the following lines still read normally, which lets the validator carry on. A bad line
 * throws {@link BadInputException} from {@link #next()}; the next call continues after it.
 * Read failures of the file itself (a truncated gzip stream) are {@link IOException}s: the rest
 * of that file cannot be trusted.
 */
public final class JsonlLines implements Closeable {
    private final String file;
    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[65536];
    private int pos;
    private int limit;
    private byte[] buf = new byte[8192];
    private long lineNo;
    private boolean eof;

    private JsonlLines(String file, InputStream in) {
        this.file = file;
        this.in = in;
    }

    /** Opens {@code path}, gunzipping when its name ends in {@code .gz}. */
    public static JsonlLines open(Path path) throws IOException {
        InputStream raw = Files.newInputStream(path);
        try {
            InputStream in = path.getFileName().toString().endsWith(".gz")
                    ? new GZIPInputStream(raw, 65536)
                    : raw;
            return new JsonlLines(path.toString(), in);
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    /** The file name used in error messages. */
    public String file() {
        return file;
    }

    /** The number of the line last returned (or rejected), counting from 1. */
    public long lineNo() {
        return lineNo;
    }

    /**
     * The next line's text without its newline, or null at the end of the file.
     *
     * @throws BadInputException for a blank line or invalid UTF-8 (the line is consumed)
     * @throws IOException       when the file cannot be read further
     */
    public String next() throws IOException {
        return next(false);
    }

    /**
     * As {@link #next()}, returning a blank line instead of refusing it when {@code blankAllowed}
     * (user files often end with an empty line).
     */
    public String next(boolean blankAllowed) throws IOException {
        if (eof) {
            return null;
        }
        int len = 0;
        while (true) {
            if (pos == limit && !fill()) {
                eof = true;
                if (len == 0) {
                    return null; // nothing after the final newline (or an empty file)
                }
                break;
            }
            int newline = indexOfNewline();
            int end = newline < 0 ? limit : newline;
            int n = end - pos;
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
            System.arraycopy(chunk, pos, buf, len, n);
            len += n;
            pos = newline < 0 ? limit : newline + 1;
            if (newline >= 0) {
                break;
            }
        }
        lineNo++;
        String text = decode(len);
        if (text.isBlank()) {
            if (blankAllowed) {
                return text;
            }
            throw new BadInputException(file, lineNo, "blank line (only a single newline may end the file)");
        }
        if (lineNo == 1 && text.charAt(0) == '\uFEFF') {
            throw new BadInputException(file, lineNo, "file starts with a byte order mark (write UTF-8 without BOM)");
        }
        return text;
    }

    private boolean fill() throws IOException {
        int n = in.read(chunk);
        pos = 0;
        limit = Math.max(n, 0);
        return n > 0 || (n == 0 && fill());
    }

    private int indexOfNewline() {
        for (int i = pos; i < limit; i++) {
            if (chunk[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private String decode(int len) {
        ByteBuffer bytes = ByteBuffer.wrap(buf, 0, len);
        CharBuffer chars = CharBuffer.allocate(len);
        utf8.reset();
        CoderResult result = utf8.decode(bytes, chars, true);
        if (!result.isError()) {
            result = utf8.flush(chars);
        }
        if (result.isError()) {
            int at = bytes.position();
            throw new BadInputException(file, lineNo, "invalid UTF-8 at byte " + (at + 1) + " of the line (0x"
                    + String.format("%02X", buf[at] & 0xFF) + ")");
        }
        return chars.flip().toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
