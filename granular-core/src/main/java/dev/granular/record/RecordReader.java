package dev.granular.record;

import dev.granular.io.BadInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads records strictly, file after file, failing with {@link BadInputException}
 * ({@code file:line: message}) at the first bad line. Use it where bad input must stop the
 * run (every command that consumes records); {@link RecordValidator} is the variant that
 * keeps going and lists every problem.
 *
 * <pre>{@code
 * try (Stream<TrainingRecord> records = RecordReader.read(Path.of("out/demo"))) {
 *     records.forEach(r -> ...);
 * }
 * }</pre>
 */
public final class RecordReader implements Iterator<TrainingRecord>, AutoCloseable {
    private final Iterator<Path> files;
    private final IdRegistry ids = new IdRegistry();
    private JsonlLines current;
    private TrainingRecord next;

    private RecordReader(List<Path> files) {
        this.files = files.iterator();
    }

    /**
     * A reader over {@code fileOrDir}; see {@link #dataFiles} for what a directory means.
     * Close it when done.
     *
     * @throws BadInputException when the path does not exist or holds no record files
     */
    public static RecordReader open(Path fileOrDir) {
        return new RecordReader(DataFiles.list(fileOrDir));
    }

    /**
     * The records of {@code fileOrDir}, read lazily. The stream throws BadInputException at the
     * first bad line and must be closed (try-with-resources) to release the open file.
     *
     * @throws BadInputException when the path does not exist or holds no record files
     */
    public static Stream<TrainingRecord> read(Path fileOrDir) {
        RecordReader reader = open(fileOrDir);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(reader,
                        Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(reader::close);
    }

    /** All records of {@code fileOrDir}, for small inputs and tests. */
    public static List<TrainingRecord> readAll(Path fileOrDir) {
        try (Stream<TrainingRecord> records = read(fileOrDir)) {
            return records.toList();
        }
    }

    /**
     * The record files {@code fileOrDir} stands for, in the order they are read: the file itself;
     * for a directory with a {@code data/} folder (what granular commands write), its
     * {@code data/*.jsonl} and {@code data/*.jsonl.gz}; for any other directory, every such file
     * below it. Sorted by path.
     *
     * @throws BadInputException when the path does not exist, cannot be read, is not a record
     *                           file, or is a directory holding none
     */
    public static List<Path> dataFiles(Path fileOrDir) {
        return DataFiles.list(fileOrDir);
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            String line = nextLine();
            if (line == null) {
                return false;
            }
            TrainingRecord record = RecordJson.parse(line, current.file(), current.lineNo());
            String duplicate = ids.add(record.id(), current.file(), current.lineNo());
            if (duplicate != null) {
                throw new BadInputException(current.file(), current.lineNo(), duplicate);
            }
            next = record;
        }
        return true;
    }

    @Override
    public TrainingRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        TrainingRecord record = next;
        next = null;
        return record;
    }

    /** The next line of the current or a following file, or null when all are read. */
    private String nextLine() {
        while (true) {
            if (current == null) {
                if (!files.hasNext()) {
                    return null;
                }
                Path file = files.next();
                try {
                    current = JsonlLines.open(file);
                } catch (IOException e) {
                    throw new BadInputException(file, 0, "cannot read: " + e);
                }
            }
            String line;
            try {
                line = current.next();
            } catch (IOException e) {
                throw new BadInputException(current.file(), current.lineNo() + 1, "cannot read: " + e);
            }
            if (line != null) {
                return line;
            }
            closeCurrent();
        }
    }

    private void closeCurrent() {
        try {
            current.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            current = null;
        }
    }

    /** Closes the open file, if any; reading stops. */
    @Override
    public void close() {
        if (current != null) {
            closeCurrent();
        }
        while (files.hasNext()) {
            files.next();
        }
    }
}
