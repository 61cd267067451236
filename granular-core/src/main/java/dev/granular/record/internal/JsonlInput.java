package dev.granular.record.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.granular.io.BadInputException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The one reader of JSONL inputs: every command that reads rows or records goes through it, so
 * all accept the same inputs and report problems the same way.
 *
 * <p>Inputs: any number of paths, each a {@code .jsonl} or {@code .jsonl.gz} file, a granular
 * output directory (its {@code data/} shards; manifest, README and report are not rows) or any
 * other directory (every {@code .jsonl}/{@code .jsonl.gz} file below it, sorted by path). Rows
 * are read in that order, file after file; {@code ordinal} counts rows across all inputs.
 *
 * <p>Every problem is a {@link BadInputException} naming {@code file:line}: invalid UTF-8, a byte
 * order mark, malformed JSON, a JSON string over {@link #MAX_STRING_CHARS} characters, a row the
 * parser refuses (including {@link IllegalArgumentException}s such as an unpaired surrogate in a
 * message) and an id seen before, which names both lines. A truncated gzip stream stops the read
 * at the line it broke in.
 *
 * <pre>{@code
 * List<Task> tasks = JsonlInput.readAll(List.of(Path.of("a.jsonl"), Path.of("out/prev")),
 *         JsonlInput.Format.of(TaskParser::parse, Task::id), 0);
 * }</pre>
 */
public final class JsonlInput {
    /**
     * The longest JSON string value accepted, in characters (UTF-16 units). Jackson's own default,
     * set here explicitly so that it is a documented limit of granular rather than of a library
     * version; a longer value is refused with this number in the message.
     */
    public static final int MAX_STRING_CHARS = 20_000_000;

    /** Reading limits shared by every JSON reader of inputs. */
    public static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxStringLength(MAX_STRING_CHARS)
            .build();

    private static final JsonMapper LENIENT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        LENIENT.getFactory().setStreamReadConstraints(LIMITS);
    }

    private JsonlInput() {
    }

    /** Where a row is. */
    public record Line(String file, long number) {
        /** A bad-input error at this line. */
        public BadInputException error(String message) {
            return new BadInputException(file, number, message);
        }

        /** {@code file:number}. */
        @Override
        public String toString() {
            return file + ":" + number;
        }
    }

    /** Turns the text of one line into a row. */
    @FunctionalInterface
    public interface RowParser<T> {
        /**
         * @param text    the line, without its newline, never blank
         * @param at      where it is, for error messages
         * @param ordinal its position among the rows of all inputs, from 0
         * @throws BadInputException        for a bad row
         * @throws IllegalArgumentException for a bad row; reported at {@code at}
         */
        T parse(String text, Line at, long ordinal);
    }

    /** What to do with a blank line. */
    public enum Blanks {
        /** An error: granular's own record files never have one. */
        REFUSE,
        /** Skipped: user files (prompts, tasks) often end with one. */
        SKIP
    }

    /**
     * How to read a kind of row.
     *
     * @param parser the row parser
     * @param id     a row's id, which must be unique across all inputs; null when the row has none
     * @param blanks what a blank line is
     */
    public record Format<T>(RowParser<T> parser, Function<? super T, String> id, Blanks blanks) {
        public Format {
            Objects.requireNonNull(parser, "parser");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(blanks, "blanks");
        }

        /** User rows: blank lines skipped. */
        public static <T> Format<T> of(RowParser<T> parser, Function<? super T, String> id) {
            return new Format<>(parser, id, Blanks.SKIP);
        }
    }

    /**
     * The files {@code inputs} stand for, in reading order (see the class comment).
     *
     * @throws BadInputException when a path does not exist, cannot be read, is neither a record
     *                           file nor a directory holding some, or names a file another input
     *                           already names
     */
    public static List<Path> files(List<Path> inputs) {
        if (inputs.isEmpty()) {
            throw new BadInputException("no input given");
        }
        List<Path> out = new ArrayList<>();
        Map<Path, Path> seen = new HashMap<>();
        for (Path input : inputs) {
            for (Path file : DataFiles.list(input)) {
                Path key = real(file);
                Path first = seen.putIfAbsent(key, input);
                if (first != null) {
                    throw new BadInputException(file, 0, "given twice (also part of the input " + first
                            + "); each file may be read once");
                }
                out.add(file);
            }
        }
        return out;
    }

    /**
     * The rows of {@code inputs}, read lazily, at most {@code limit} of them (0: all). The stream
     * throws at the first bad row and must be closed.
     */
    public static <T> Stream<T> stream(List<Path> inputs, Format<T> format, long limit) {
        Rows<T> rows = new Rows<>(files(inputs), format, limit);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(rows::close);
    }

    /** All rows of {@code inputs} (at most {@code limit}; 0: all), read and checked whole. */
    public static <T> List<T> readAll(List<Path> inputs, Format<T> format, long limit) {
        try (Stream<T> rows = stream(inputs, format, limit)) {
            return rows.toList();
        }
    }

    /**
     * Reads and checks every row (at most {@code limit}; 0: all) without keeping them, so that a
     * bad row or a repeated id stops a command before it sends any request.
     *
     * @return the number of rows
     */
    public static <T> long check(List<Path> inputs, Format<T> format, long limit) {
        try (Stream<T> rows = stream(inputs, format, limit)) {
            return rows.count();
        }
    }

    /**
     * The inputs as a manifest value: the absolute path of a single input (as manifests always
     * had it), else the list of them.
     */
    public static Object manifestValue(List<Path> inputs) {
        List<String> paths = inputs.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList();
        return paths.size() == 1 ? paths.getFirst() : paths;
    }

    /** The inputs as given, for dataset cards and messages: {@code a.jsonl}, {@code a.jsonl, out/prev}. */
    public static String names(List<Path> inputs) {
        return String.join(", ", inputs.stream().map(Path::toString).toList());
    }

    /**
     * Parses one line as JSON (duplicate keys allowed, as user data has them), with the errors
     * every reader reports.
     */
    public static JsonNode tree(String text, Line at) {
        try {
            return LENIENT.readTree(text);
        } catch (JacksonException e) {
            throw at.error(describe(e));
        }
    }

    /**
     * A one-line message for a JSON parse failure: the size limit by name, else Jackson's message
     * without its source excerpt, with the column.
     */
    public static String describe(JacksonException e) {
        if (e instanceof StreamConstraintsException) {
            return "a JSON value is over granular's limit of " + String.format(java.util.Locale.ROOT, "%,d", MAX_STRING_CHARS)
                    + " characters per string (" + firstLine(e) + "); see docs/format.md";
        }
        String message = firstLine(e);
        for (String noise : List.of(" (start marker at", " (bound as")) {
            int cut = message.indexOf(noise);
            if (cut >= 0) {
                message = message.substring(0, cut);
            }
        }
        JsonLocation where = e.getLocation();
        return "invalid JSON: " + (where != null && where.getColumnNr() > 0 ? message + " (column " + where.getColumnNr() + ")" : message);
    }

    private static String firstLine(JacksonException e) {
        String message = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }

    private static Path real(Path file) {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            return file.toAbsolutePath().normalize();
        }
    }

    /** The iterator behind {@link #stream}: file after file, line after line. */
    private static final class Rows<T> implements Iterator<T>, AutoCloseable {
        private final Iterator<Path> files;
        private final Format<T> format;
        private final long limit;
        private final IdRegistry ids = new IdRegistry();
        private JsonlLines current;
        private T next;
        private long ordinal;

        Rows(List<Path> files, Format<T> format, long limit) {
            this.files = files.iterator();
            this.format = format;
            this.limit = limit;
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                if (limit > 0 && ordinal >= limit) {
                    return false;
                }
                String text = nextLine();
                if (text == null) {
                    return false;
                }
                if (text.isBlank()) {
                    continue;
                }
                Line at = new Line(current.file(), current.lineNo());
                T row;
                try {
                    row = format.parser().parse(text, at, ordinal);
                } catch (IllegalArgumentException e) {
                    throw at.error(e.getMessage());
                }
                String id = format.id().apply(row);
                if (id != null) {
                    String duplicate = ids.add(id, at.file(), at.number());
                    if (duplicate != null) {
                        throw at.error(duplicate);
                    }
                }
                ordinal++;
                next = row;
            }
            return true;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            T row = next;
            next = null;
            return row;
        }

        /** The next line of the current or a following file (blank when skippable), or null when all are read. */
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
                        throw unreadable(file.toString(), 1, e);
                    }
                }
                String line;
                try {
                    line = current.next(format.blanks() == Blanks.SKIP);
                } catch (IOException e) {
                    throw unreadable(current.file(), current.lineNo() + 1, e);
                }
                if (line != null) {
                    return line;
                }
                closeCurrent();
            }
        }

        /**
         * A file that cannot be read from {@code line} on: for a gzip file, corrupt or truncated data
         * (the line it broke in); otherwise the whole file (a missing permission, an I/O error).
         */
        private static BadInputException unreadable(String file, long line, IOException e) {
            String why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            return file.endsWith(".gz") && !(e instanceof java.nio.file.FileSystemException)
                    ? new BadInputException(file, line, "corrupt gzip data: " + why)
                    : new BadInputException(file, 0, "cannot read: " + why);
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
}
