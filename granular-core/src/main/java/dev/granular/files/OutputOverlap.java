package dev.granular.files;

import dev.granular.io.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;

/**
 * Refuses an output that is, contains or lies inside one of the run's inputs.
 *
 * <p>Paths are compared as real paths (symbolic links resolved, {@code ..} applied by the file
 * system), so {@code --out D} with {@code --in D/data/part-00000.jsonl}, or {@code --out link}
 * where {@code link} points at the input, is caught whatever the spelling. Checked before the
 * output is touched: replacing an output ({@code --overwrite}) must never delete its own input.
 */
public final class OutputOverlap {
    private OutputOverlap() {
    }

    /**
     * @throws BadInputException naming {@code out} and the input it overlaps
     */
    public static void check(Path out, Collection<Path> inputs) {
        check("--out", out, inputs);
    }

    /** As {@link #check(Path, Collection)}, for an output given by {@code option} (e.g. {@code --html}). */
    public static void check(String option, Path out, Collection<Path> inputs) {
        Path o = real(out);
        for (Path in : inputs) {
            if (!Files.exists(in)) {
                continue; // nothing there to destroy; the run reports the missing input itself
            }
            Path i = real(in);
            String why;
            if (o.equals(i)) {
                why = "is the input " + in;
            } else if (i.startsWith(o)) {
                why = "contains the input " + in;
            } else if (o.startsWith(i)) {
                why = "is inside the input " + in;
            } else {
                continue;
            }
            throw new BadInputException(out.toString(), 0, option + " " + why
                    + "; granular never writes into (or replaces) its inputs, with or without --overwrite: choose another " + option);
        }
    }

    /** The real path of {@code p}; when it does not exist yet, that of its nearest existing ancestor plus the rest. */
    static Path real(Path p) {
        Path existing = p.toAbsolutePath();
        Deque<Path> rest = new ArrayDeque<>();
        while (existing.getParent() != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            rest.push(existing.getFileName());
            existing = existing.getParent();
        }
        try {
            Path r = existing.toRealPath();
            while (!rest.isEmpty()) {
                r = r.resolve(rest.pop());
            }
            return r.normalize();
        } catch (IOException e) {
            // A dangling link, say: compare what can be compared.
            return p.toAbsolutePath().normalize();
        }
    }
}
