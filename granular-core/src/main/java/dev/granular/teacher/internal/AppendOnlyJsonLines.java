package dev.granular.teacher.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.io.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * The read-back of an append-only JSON-lines file (paid replies, batches): every complete line
 * is handed on in order; a crash mid-write can only leave an unterminated last line, which is
 * not handed on and lies past the returned end (the caller truncates it). A complete line that
 * is not an entry is outside damage: it is refused naming file:line, because truncating there
 * would silently delete every entry after it.
 */
public final class AppendOnlyJsonLines {
    /** Receives one entry and the byte offset where its line starts. */
    interface Sink {
        void accept(JsonNode entry, long lineStart);
    }

    private AppendOnlyJsonLines() {
    }

    /** Reads {@code ch} from the start; returns the end of its last complete line. */
    static long scan(FileChannel ch, Path file, Predicate<JsonNode> isEntry, String refusal, Sink sink) throws IOException {
        long pos = 0;
        long end = 0;
        long lineNumber = 0;
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            chunk.clear();
            int read = ch.read(chunk, pos);
            if (read <= 0) {
                return end;
            }
            for (int k = 0; k < read; k++) {
                byte b = chunk.get(k);
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                lineNumber++;
                JsonNode n;
                try {
                    n = OpenAiWire.JSON.readTree(line.toByteArray());
                } catch (IOException e) {
                    n = null;
                }
                if (n == null || !n.isObject() || !isEntry.test(n)) {
                    throw new BadInputException(file, lineNumber, refusal);
                }
                sink.accept(n, end);
                end = pos + k + 1;
                line.reset();
            }
            pos += read;
        }
    }
}
