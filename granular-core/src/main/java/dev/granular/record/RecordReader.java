package dev.granular.record;

import dev.granular.record.internal.DataFiles;

import dev.granular.record.internal.JsonlInput;

import dev.granular.io.BadInputException;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads canonical records strictly (through {@code JsonlInput}), file after file, failing with
 * {@link BadInputException} ({@code file:line: message}) at the first bad line. Use it where bad input must stop the
 * run (every command that consumes records); {@link RecordValidator} is the variant that
 * keeps going and lists every problem.
 *
 * <pre>{@code
 * try (Stream<TrainingRecord> records = RecordReader.read(List.of(Path.of("out/demo"), Path.of("more.jsonl")))) {
 *     records.forEach(r -> ...);
 * }
 * }</pre>
 */
public final class RecordReader {
    /** Canonical records: strict, no blank lines, ids unique across all inputs. */
    private static final JsonlInput.Format<TrainingRecord> FORMAT = new JsonlInput.Format<>(
            (text, at, ordinal) -> RecordJson.parse(text, at.file(), at.number()), TrainingRecord::id, JsonlInput.Blanks.REFUSE);

    private RecordReader() {
    }

    /**
     * The records of {@code fileOrDir}, read lazily. The stream throws BadInputException at the
     * first bad line and must be closed (try-with-resources) to release the open file.
     *
     * @throws BadInputException when the path does not exist or holds no record files
     */
    public static Stream<TrainingRecord> read(Path fileOrDir) {
        return read(List.of(fileOrDir));
    }

    /** The records of several inputs, in order, ids unique across all of them; see {@code JsonlInput}. */
    public static Stream<TrainingRecord> read(List<Path> inputs) {
        return JsonlInput.stream(inputs, FORMAT, 0);
    }

    /** All records of {@code fileOrDir}, for small inputs and tests. */
    public static List<TrainingRecord> readAll(Path fileOrDir) {
        return JsonlInput.readAll(List.of(fileOrDir), FORMAT, 0);
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

    /** The record files of several inputs, in reading order; see {@code JsonlInput.files}. */
    public static List<Path> dataFiles(List<Path> inputs) {
        return JsonlInput.files(inputs);
    }
}
