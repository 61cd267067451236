package dev.granular.corpus.reader;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.CorpusOptions;
import dev.granular.corpus.Document;
import dev.granular.corpus.reader.ByteLines;
import dev.granular.corpus.reader.StrictUtf8;
import dev.granular.corpus.reader.Texts;
import dev.granular.io.BadInputException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Streams the documents of a corpus: files and directories (searched recursively), read in a
 * fixed order (the paths as given; inside a directory, files sorted by relative path), one
 * document at a time, so memory does not grow with the corpus.
 *
 * <ul>
 *   <li>{@code .txt}, {@code .md}: one document per file; id = the path relative to the
 *       directory given (with {@code /}), or the file name for a file given directly.</li>
 *   <li>{@code .jsonl}, {@code .jsonl.gz}: one document per line, the text in the string field
 *       {@link CorpusOptions#textField()}; id = the row's {@code "id"} when it is a string or a
 *       number, else {@code relative/path:LINE}. Blank lines are ignored.</li>
 *   <li>{@code .parquet}: one document per row, the text in the string column
 *       {@link CorpusOptions#textField()}; id = the {@code "id"} column (string or integer) when
 *       present and not null, else {@code relative/path#ROW} (rows count from 0). Read without
 *       Hadoop; pages may be UNCOMPRESSED, SNAPPY, ZSTD or GZIP. One row group is held in memory
 *       at a time.</li>
 * </ul>
 *
 * <p>Other files inside a directory are skipped and counted; a file given directly with another
 * extension is an error. Text is decoded as strict UTF-8 and normalised minimally (a leading BOM
 * is stripped, {@code \r\n} and {@code \r} become {@code \n}). Problems are reported as
 * {@link BadInputException}s that name the file and, where there is one, the line. Bad rows
 * (invalid UTF-8, malformed JSON, a row that is not an object, a missing, null or non-string text,
 * an empty or blank document; for text files the whole file is the row) either fail or, with
 * {@link BadRowPolicy#SKIP}, are counted by reason in {@link #stats()}. Whole-file problems (a
 * missing or unreadable file, corrupt gzip or Parquet data, a Parquet file without the text
 * column) always fail, and so does a corpus with no documents at all.
 *
 * <p>Not thread-safe; a reader can be run again and yields the same documents.
 */
public final class CorpusReader {
    private static final Set<String> KNOWN = Set.of("txt", "md", "jsonl", "jsonl.gz", "parquet");
    private static final ObjectReader JSON = jsonReader();

    private static ObjectReader jsonReader() {
        ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.getFactory().setStreamReadConstraints(JsonlInput.LIMITS);
        return mapper.reader();
    }

    private final List<Path> paths;
    private final CorpusOptions options;
    private CorpusStats stats;

    /** A reader of {@code paths} (files or directories) with {@code options}. */
    public CorpusReader(List<Path> paths, CorpusOptions options) {
        this.paths = List.copyOf(paths);
        this.options = Objects.requireNonNull(options, "options");
        if (this.paths.isEmpty()) {
            throw new BadInputException("empty corpus: no corpus paths given");
        }
    }

    /** A reader of {@code paths} with {@link CorpusOptions#defaults()}. */
    public CorpusReader(List<Path> paths) {
        this(paths, CorpusOptions.defaults());
    }

    public List<Path> paths() {
        return paths;
    }

    public CorpusOptions options() {
        return options;
    }

    /**
     * Reads the corpus and hands each document to {@code consumer}, in order. Exceptions from
     * the consumer propagate unchanged.
     *
     * @throws BadInputException for bad input (see the class comment), including a corpus that
     *                           yields no documents ("empty corpus: ...")
     */
    public void forEach(Consumer<? super Document> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        Listing listing = list(paths);
        Pass pass = new Pass(options, consumer);
        for (Source source : listing.sources()) {
            pass.read(source);
        }
        CorpusStats result = new CorpusStats(pass.documents, pass.skipped, pass.filesRead,
                listing.skippedFiles(), pass.bytes);
        stats = result;
        if (result.documents() == 0) {
            throw new BadInputException("empty corpus: no documents in " + paths + " ("
                    + result.filesRead() + " files read, " + result.filesSkipped()
                    + " files of unknown type skipped, " + result.skippedRowsTotal() + " bad rows skipped)");
        }
    }

    /**
     * What the last complete {@link #forEach} pass read.
     *
     * @throws IllegalStateException before a pass has completed
     */
    public CorpusStats stats() {
        if (stats == null) {
            throw new IllegalStateException("the corpus has not been read yet");
        }
        return stats;
    }

    /**
     * A SHA-256 fingerprint of the corpus, for manifests: over each file the reader would read,
     * in reading order, its relative path (UTF-8, as in the ids), a NUL byte, its size (8 bytes,
     * big-endian) and its content (streamed). It changes when a file is added, removed, renamed
     * or edited, and not when the corpus directory moves. Files of unknown type are left out.
     *
     * @return 64 lower-case hex digits
     * @throws BadInputException for a missing or unreadable path
     */
    public static String fingerprint(List<Path> paths) {
        Fingerprint fp = new Fingerprint();
        for (Source source : list(List.copyOf(paths)).sources()) {
            try (InputStream in = Files.newInputStream(source.file())) {
                fp.add(source.relative(), Files.size(source.file()), in);
            } catch (IOException e) {
                throw cannotRead(source.file(), e);
            }
        }
        return fp.hex();
    }

    /** A file to read and the name it goes by in ids. */
    record Source(Path file, String relative) {
        String extension() {
            return Texts.extension(file.getFileName().toString());
        }
    }

    /** The files to read, in order, and how many of unknown type were skipped. */
    record Listing(List<Source> sources, long skippedFiles) {
    }

    static Listing list(List<Path> paths) {
        List<Source> sources = new ArrayList<>();
        long skipped = 0;
        for (Path path : paths) {
            if (!Files.exists(path)) {
                throw new BadInputException(path, 0, "no such file or directory");
            }
            if (!Files.isDirectory(path)) {
                String name = path.getFileName().toString();
                if (!KNOWN.contains(Texts.extension(name))) {
                    throw new BadInputException(path, 0,
                            "unknown file type (expected .txt, .md, .jsonl, .jsonl.gz or .parquet)");
                }
                sources.add(new Source(path, name));
                continue;
            }
            List<Source> inDir;
            try (Stream<Path> walk = Files.walk(path)) {
                inDir = walk.filter(Files::isRegularFile)
                        .map(f -> new Source(f, relative(path, f)))
                        .sorted(Comparator.comparing(Source::relative))
                        .toList();
            } catch (IOException | UncheckedIOException e) {
                throw new BadInputException(path, 0, "cannot list directory: " + e.getMessage());
            }
            for (Source source : inDir) {
                if (KNOWN.contains(source.extension())) {
                    sources.add(source);
                } else {
                    skipped++;
                }
            }
        }
        return new Listing(sources, skipped);
    }

    private static String relative(Path dir, Path file) {
        List<String> parts = new ArrayList<>();
        for (Path part : dir.relativize(file)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }

    public static BadInputException cannotRead(Path file, IOException e) {
        return new BadInputException(file, 0, "cannot read: " + describe(e));
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    /** One pass over the corpus: the consumer, the counters and the per-pass decoders. */
    static final class Pass {
        private final CorpusOptions options;
        private final Consumer<? super Document> consumer;
        private final StrictUtf8 utf8 = new StrictUtf8();
        private final Map<String, Long> skipped = new HashMap<>();
        private long documents;
        private long filesRead;
        private long bytes;

        Pass(CorpusOptions options, Consumer<? super Document> consumer) {
            this.options = options;
            this.consumer = consumer;
        }

        void read(Source source) {
            Path file = source.file();
            try {
                bytes += Files.size(file);
            } catch (IOException e) {
                throw cannotRead(file, e);
            }
            filesRead++;
            switch (source.extension()) {
                case "txt", "md" -> readText(source);
                case "parquet" -> ParquetRows.read(source, options.textField(), this);
                default -> readJsonl(source);
            }
        }

        private void readText(Source source) {
            Path file = source.file();
            byte[] data;
            try {
                if (Files.size(file) > Integer.MAX_VALUE - 16) {
                    throw new BadInputException(file, 0, "too large for one document (over 2 GiB)");
                }
                data = Files.readAllBytes(file);
            } catch (IOException e) {
                throw cannotRead(file, e);
            }
            String text;
            try {
                text = utf8.decode(data, data.length);
            } catch (StrictUtf8.InvalidUtf8Exception e) {
                bad(CorpusStats.INVALID_UTF8, file.toString(), StrictUtf8.lineOf(data, e.offset),
                        "invalid UTF-8 at byte offset " + e.offset);
                return;
            }
            emit(source.relative(), text, file.toString(), file.toString(), 0, "");
        }

        private void readJsonl(Source source) {
            Path file = source.file();
            boolean gz = source.extension().equals("jsonl.gz");
            long line = 0;
            try (InputStream raw = Files.newInputStream(file)) {
                InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
                ByteLines lines = new ByteLines(in);
                while (lines.next()) {
                    line++;
                    readJsonLine(source, line, lines.bytes(), lines.length());
                }
            } catch (IOException e) {
                if (gz) {
                    throw new BadInputException(file, line + 1, "corrupt gzip data: " + describe(e));
                }
                throw cannotRead(file, e);
            }
        }

        private void readJsonLine(Source source, long line, byte[] data, int length) {
            String file = source.file().toString();
            boolean bom = line == 1 && length >= 3
                    && data[0] == (byte) 0xEF && data[1] == (byte) 0xBB && data[2] == (byte) 0xBF;
            int start = bom ? 3 : 0;
            String json;
            try {
                json = utf8.decode(ByteBuffer.wrap(data, start, length - start));
            } catch (StrictUtf8.InvalidUtf8Exception e) {
                bad(CorpusStats.INVALID_UTF8, file, line,
                        "invalid UTF-8 at byte " + (start + e.offset + 1) + " of the line");
                return;
            }
            if (json.isBlank()) {
                return;
            }
            JsonNode row;
            try {
                row = JSON.readTree(json);
            } catch (JacksonException e) {
                bad(CorpusStats.MALFORMED_JSON, file, line, JsonlInput.describe(e));
                return;
            }
            if (!row.isObject()) {
                bad(CorpusStats.NOT_AN_OBJECT, file, line,
                        "row is a JSON " + kind(row) + ", not an object");
                return;
            }
            String field = options.textField();
            JsonNode text = row.get(field);
            if (text == null || text.isNull()) {
                List<String> names = new ArrayList<>();
                row.fieldNames().forEachRemaining(names::add);
                bad(CorpusStats.MISSING_FIELD, file, line, "missing text field \"" + field + "\""
                        + (text == null ? "" : " (it is null)") + "; the row has fields " + names);
                return;
            }
            if (!text.isTextual()) {
                bad(CorpusStats.NOT_A_STRING, file, line,
                        "text field \"" + field + "\" is a " + kind(text) + ", not a string");
                return;
            }
            try {
                Message.requireWellFormed("text field \"" + field + "\"", text.textValue());
            } catch (IllegalArgumentException e) {
                // an escaped lone surrogate ("\ud800") has no UTF-8 form: as bad as invalid bytes
                bad(CorpusStats.INVALID_UTF8, file, line, e.getMessage());
                return;
            }
            JsonNode id = row.get("id");
            String docId = id != null && (id.isTextual() || id.isNumber()) && !id.asText().isEmpty()
                    ? id.asText() : source.relative() + ":" + line;
            emit(docId, text.textValue(), file + ":" + line, file, line, "");
        }

        /** Normalises and hands over one document, or reports it empty. */
        void emit(String id, String rawText, String origin, String file, long line, String where) {
            String text = Texts.normalize(rawText);
            if (text.isBlank()) {
                bad(CorpusStats.EMPTY_DOCUMENT, file, line, where + (text.isEmpty()
                        ? "empty document" : "empty document (whitespace only)"));
                return;
            }
            documents++;
            consumer.accept(new Document(id, text, origin));
        }

        /** Fails on a bad row, or counts it under {@link BadRowPolicy#SKIP}. */
        void bad(String reason, String file, long line, String message) {
            if (options.onBadRow() == BadRowPolicy.FAIL) {
                throw new BadInputException(file, line, message);
            }
            skipped.merge(reason, 1L, Long::sum);
        }

        StrictUtf8 utf8() {
            return utf8;
        }

        private static String kind(JsonNode node) {
            return switch (node.getNodeType()) {
                case ARRAY -> "array";
                case BOOLEAN -> "boolean";
                case NUMBER -> "number";
                case OBJECT -> "object";
                case STRING -> "string";
                case NULL -> "null";
                default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            };
        }
    }

    /** Streams a SHA-256 over (relative path, size, content) entries. */
    public static final class Fingerprint {
        private final MessageDigest sha;
        private final byte[] buffer = new byte[1 << 16];

        public Fingerprint() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
        }

        public void add(String relative, long size, InputStream content) throws IOException {
            sha.update(relative.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(size).array());
            int n;
            while ((n = content.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
            }
        }

        public String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
