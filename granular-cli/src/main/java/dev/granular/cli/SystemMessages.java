package dev.granular.cli;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --system-message TEXT|@FILE}: text given inline or read from a file. */
final class SystemMessages {
    private SystemMessages() {
    }

    static String resolve(String value, String fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.startsWith("@")) {
            Path p = Path.of(value.substring(1));
            try {
                return Files.readString(p).strip();
            } catch (IOException e) {
                throw new BadInputException(p.toString(), 0, "cannot read the system message: " + e.getMessage());
            }
        }
        return value;
    }
}
