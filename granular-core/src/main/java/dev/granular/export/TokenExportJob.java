package dev.granular.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.concurrent.WorkerPool;
import dev.granular.export.job.TokenExportFiles;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.parquet.IntListParquetWriter;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * {@code granular export --format tokens|trl-tokens}: canonical records rendered with a model's
 * chat template, tokenized with its tokenizer and labelled by {@link Labeler}, written as
 * pre-tokenized rows (Parquet by default, or JSONL), optionally packed.
 *
 * <pre>{@code
 * TokenExportJob.Result r = TokenExportJob.run(TokenExportJob.Spec.of(Path.of("out/in2"), Path.of("out/in2-tokens"), Path.of("models/qwen3"))
 *         .withMaxLength(4096)
 *         .withTruncation(Truncation.LEFT_CONTEXT));
 * }</pre>
 *
 * <p>Records are labelled on a pool of threads, in batches, and written in input order, so the
 * output does not depend on the thread count. Packing ({@code pack > 0}) is best-fit decreasing
 * over windows of {@link #PACK_WINDOW} examples.
 *
 * <p>An export is all or nothing: when it stops on an error (a record over {@code --max-length}
 * with {@code --truncation error}, a bad input line), the workers are stopped and joined first,
 * then every row file it wrote is removed (the output directory too when the export created it),
 * and only then is the error thrown, so the caller closes the tokenizer after the last worker
 * has returned and a rerun, with the same or another configuration, starts clean.
 */
public final class TokenExportJob {
    /** Examples packed together at most; bounds memory for large exports. */
    public static final int PACK_WINDOW = TokenExport.PACK_WINDOW;
    private static final int BATCH = 256;
    private static final int IN_FLIGHT = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the rows go. */
    public enum FileFormat {
        PARQUET, JSONL;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What to export.
     *
     * @param tokenizer    a Hugging Face tokenizer directory; its chat template renders unless {@code chatTemplate} is given
     * @param chatTemplate a template file that replaces the directory's ({@code --chat-template}: .jinja text, or
     *                     .json with a {@code chat_template} entry), or null; see {@link ChatTemplate#load(Path, Path)}
     * @param maxLength  longest example in tokens, 0 for no limit ({@code pack} when packing and 0)
     * @param pack       row capacity in tokens for packing, 0 for one example per row
     * @param shardSize  rows per data file
     * @param threads    labelling threads, 0 for the available processors
     * @param allowSpecialText label records whose content spells a special token of the tokenizer
     *                   (e.g. {@code <|im_end|>}) as the tokenizer encodes them, instead of refusing them
     *                   ({@code --allow-special-text}; see {@link Labeler#Labeler(ChatTemplate, Tokenizer, boolean)})
     */
    public record Spec(List<Path> in, TokenFormat format, Path out, Path tokenizer, Path chatTemplate, int maxLength, Truncation truncation, int pack,
                       FileFormat fileFormat, int shardSize, int threads, boolean allowSpecialText, boolean overwrite,
                       List<String> commandLine) {
        public Spec {
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
            if (maxLength < 0 || pack < 0 || shardSize < 1 || threads < 0) {
                throw new IllegalArgumentException("maxLength, pack and threads must be >= 0 and shardSize >= 1");
            }
            if (pack > 0 && maxLength > pack) {
                throw new dev.granular.io.InvalidConfigException("${maxLength} " + maxLength + " > ${pack} " + pack
                        + ": an example longer than a packed row fits nowhere");
            }
        }

        /** One input. */
        public Spec(Path in, TokenFormat format, Path out, Path tokenizer, Path chatTemplate, int maxLength, Truncation truncation,
                    int pack, FileFormat fileFormat, int shardSize, int threads, boolean allowSpecialText, boolean overwrite,
                    List<String> commandLine) {
            this(List.of(in), format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /**
         * {@code in} to {@code out}, tokenized with the Hugging Face tokenizer directory {@code tokenizer} and its own chat
         * template, with the defaults of {@code granular export --format tokens}: no length limit ({@link Truncation#ERROR}
         * if one is set), no packing, Parquet files of 10,000 rows, a thread per core, special text refused, no overwrite.
         * The command line the manifest records is {@code ["export"]}; the CLI gives its own ({@link #withCommandLine}).
         */
        public static Spec of(List<Path> in, Path out, Path tokenizer) {
            return new Spec(in, TokenFormat.TOKENS, out, tokenizer, null, 0, Truncation.ERROR, 0, FileFormat.PARQUET, 10_000, 0,
                    false, false, List.of("export"));
        }

        /** One input. */
        public static Spec of(Path in, Path out, Path tokenizer) {
            return of(List.of(in), out, tokenizer);
        }

        /** The row columns ({@code --format tokens|trl-tokens}). */
        public Spec withFormat(TokenFormat f) {
            return new Spec(in, f, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** A template file that replaces the tokenizer directory's ({@code --chat-template}); null for the directory's own. */
        public Spec withChatTemplate(Path template) {
            return new Spec(in, format, out, tokenizer, template, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Longest example in tokens, 0 for no limit ({@code --max-length}). */
        public Spec withMaxLength(int n) {
            return new Spec(in, format, out, tokenizer, chatTemplate, n, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** What to do with an example over the limit ({@code --truncation}). */
        public Spec withTruncation(Truncation t) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, t, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Row capacity in tokens for packing, 0 for one example per row ({@code --pack}); at least the max length. */
        public Spec withPack(int n) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, n, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Parquet or JSONL rows ({@code --tokens-format}). */
        public Spec withFileFormat(FileFormat f) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, f, shardSize, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Rows per data file ({@code --shard-size}). */
        public Spec withShardSize(int n) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, n, threads,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Labelling threads, 0 for the available processors ({@code --threads}); never changes the rows. */
        public Spec withThreads(int n) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, n,
                    allowSpecialText, overwrite, commandLine);
        }

        /** Label records whose text spells a special token instead of refusing them ({@code --allow-special-text}). */
        public Spec withAllowSpecialText(boolean allow) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allow, overwrite, commandLine);
        }

        /** Replace a different export in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean o) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, o, commandLine);
        }

        /** The command line the manifest records. */
        public Spec withCommandLine(List<String> line) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, threads,
                    allowSpecialText, overwrite, line);
        }

        int limit() {
            return maxLength > 0 ? maxLength : pack;
        }

        /** The library export this spec runs with {@code labeler}. */
        public TokenExport export(Labeler labeler) {
            return TokenExport.of(labeler).withMaxLength(maxLength).withTruncation(truncation).withPack(pack);
        }
    }

    /** What an export did. */
    public record Result(long records, long examples, long rows, long tokens, long trainedTokens, long truncated, long dropped,
                         long rejected, Map<String, Long> rejectedByReason) {
        /** Trained tokens over all tokens written. */
        public double trainedFraction() {
            return tokens == 0 ? 0 : (double) trainedTokens / tokens;
        }
    }

    private TokenExportJob() {
    }

    /**
     * A record's outcome ({@link TokenExport#label}, or the row assembled from kept ids).
     *
     * @param fromIds assembled from the ids an IN2 run kept ({@link StoredIdsRow})
     */
    private record Labelled(TokenExport.Outcome outcome, boolean fromIds) {
    }

    public static Result run(Spec spec) {
        return run(spec, n -> { });
    }

    /** As {@link #run(Spec)}, telling {@code progress} how many more records were read, as they are. */
    public static Result run(Spec spec, LongConsumer progress) {
        return run(spec, progress, true);
    }

    /** As {@link #run(Spec, LongConsumer)}; {@code contextIds}: see {@link #run(Spec, Labeler, LongConsumer, boolean)}. */
    public static Result run(Spec spec, LongConsumer progress, boolean contextIds) {
        ChatTemplate template = ChatTemplate.load(spec.tokenizer(), spec.chatTemplate());
        try (Tokenizer tokenizer = Tokenizers.load(spec.tokenizer().toString())) {
            return run(spec, new Labeler(template, tokenizer, spec.allowSpecialText()), progress, contextIds);
        }
    }

    /**
     * Runs with a labeler already built (its tokenizer stays open); its template renders and its
     * special-text rule applies, whatever {@code spec.tokenizer()}, {@code spec.chatTemplate()} and
     * {@code spec.allowSpecialText()} say.
     */
    public static Result run(Spec spec, Labeler labeler) {
        return run(spec, labeler, n -> { });
    }

    /** As {@link #run(Spec, Labeler)}, telling {@code progress} how many more records were read. */
    public static Result run(Spec spec, Labeler labeler, LongConsumer progress) {
        return run(spec, labeler, progress, true);
    }

    /**
     * As {@link #run(Spec, Labeler, LongConsumer)}; {@code contextIds} false ignores the context ids
     * an IN2 run kept in the input's {@code tokens/} ({@code --no-context-ids}), so that every row is
     * rendered and tokenized whole. The rows are the same either way.
     */
    public static Result run(Spec spec, Labeler labeler, LongConsumer progress, boolean contextIds) {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.in());
        Map<String, Object> identity = ExportJob.identity(spec.format().wireName(), spec.in());
        identity.put("tokenizer", labeler.tokenizer().name());
        identity.put("tokenizer_fingerprint", labeler.tokenizer().fingerprint());
        // The template's text (and special tokens), not its path: another template into the same --out is
        // another export, refused without --overwrite; the same template moved to chat_template.jinja is not.
        identity.put("chat_template_fingerprint", labeler.template().fingerprint());
        identity.put("allow_special_text", labeler.allowsSpecialText());
        identity.put("max_length", spec.maxLength());
        identity.put("truncation", spec.truncation().wireName());
        identity.put("pack", spec.pack());
        identity.put("file_format", spec.fileFormat().wireName());
        List<Path> inputs = new ArrayList<>(spec.in());
        inputs.add(spec.tokenizer());
        if (spec.chatTemplate() != null) {
            inputs.add(spec.chatTemplate());
        }
        OutputDirectory dir = OutputDirectory.open(spec.out(), "export", identity, spec.shardSize(), spec.overwrite(), inputs);
        dir.clearData();
        Stats st = new Stats();
        StringBuilder ignoredWhy = new StringBuilder();
        ContextIds ids = contextIds ? ContextIds.open(spec.in(), labeler.tokenizer().fingerprint(), labeler.template().fingerprint(),
                (String) identity.get("input_sha256"), ignoredWhy) : null;
        st.contextIds = ids != null ? "used" : ignoredWhy.isEmpty() ? null : "ignored: " + ignoredWhy;
        StringBuilder rejected = new StringBuilder();
        try (ContextIds closing = ids) {
            writeRows(spec, labeler, ids, dir, st, rejected, progress);
        } catch (RuntimeException | Error e) {
            // The workers are joined by now (writeRows closes its pool before it returns or throws).
            // An export rewrites its rows: a stopped one leaves none (a fresh folder goes entirely).
            try {
                dir.clearData();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup); // the error that stopped the export is the one to report
            }
            dir.abandon(e);
            throw e;
        }
        if (st.dropped + st.rejected > 0) {
            AtomicFiles.write(dir.dir().resolve("rejected.jsonl"), rejected.toString());
        }
        Result result = new Result(st.records, st.examples, st.rows, st.tokens, st.trained, st.truncated, st.dropped, st.rejected,
                st.byReason);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (st.contextIds != null) {
            // Only for an input with kept ids: other exports' summaries stay as they were.
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("sidecar", st.contextIds);
            c.put("rows_from_ids", st.fromIds);
            c.put("fallbacks", st.fallbacks);
            extra.put("context_ids", c);
        }
        Map<String, Object> summary = TokenExportFiles.writeReportAndCard(spec, labeler, dir, result, st.exampleLengths.toArray(), extra);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("tool", "granular");
        manifest.put("command", "export");
        manifest.put("command_line", spec.commandLine());
        manifest.putAll(identity);
        manifest.put("chat_template", labeler.template().source());
        manifest.put("fingerprint", dir.fingerprint());
        manifest.put("counts", summary);
        manifest.put("started", started.toString());
        manifest.put("ended", Instant.now().toString());
        dir.finish(manifest);
        return result;
    }

    /** Labels every record on a pool of workers and writes the rows in input order; the pool is joined before this returns or throws. */
    private static void writeRows(Spec spec, Labeler labeler, ContextIds contextIds, OutputDirectory dir, Stats st,
                                  StringBuilder rejected, LongConsumer progress) {
        long[] verify = contextIds == null ? new long[0] : contextIds.first(VERIFIED_ROWS);
        int threads = spec.threads() > 0 ? spec.threads() : Runtime.getRuntime().availableProcessors();
        List<String> columns = spec.format().columns(spec.pack() > 0);
        TokenExport export = spec.export(labeler);
        // Closed in reverse order: the pool first, so no worker still labels when the rows and the input close.
        try (Rows rows = spec.fileFormat() == FileFormat.PARQUET
                ? new ParquetRows(dir.dataDir(), spec.shardSize(), columns, labeler.tokenizer().name())
                : new JsonlRows(dir.rewriter(), columns);
             Stream<TrainingRecord> in = RecordReader.read(spec.in());
             WorkerPool pool = WorkerPool.platform(threads, "granular-export")) {
            List<TokenExport.Example> window = new ArrayList<>();
            // Batches in flight: the next batches are labelled while this thread reads records and writes rows.
            ArrayDeque<List<Future<Labelled>>> inFlight = new ArrayDeque<>();
            var it = in.iterator();
            long ordinal = 0;
            while (it.hasNext() || !inFlight.isEmpty()) {
                if (it.hasNext()) {
                    List<Future<Labelled>> futures = new ArrayList<>(BATCH);
                    while (it.hasNext() && futures.size() < BATCH) {
                        TrainingRecord r = it.next();
                        ContextIds.Entry entry = contextIds == null ? null : contextIds.get(ordinal);
                        boolean check = entry != null && Arrays.binarySearch(verify, ordinal) >= 0;
                        ordinal++;
                        futures.add(pool.submit(() -> entry == null ? new Labelled(export.label(r), false)
                                : fromIds(labeler, export, r, spec, entry, check)));
                    }
                    inFlight.addLast(futures);
                    if (inFlight.size() <= IN_FLIGHT && it.hasNext()) {
                        continue;
                    }
                }
                for (Future<Labelled> f : inFlight.removeFirst()) {
                    Labelled l = get(f);
                    TokenExport.Outcome o = l.outcome();
                    st.records++;
                    if (contextIds != null && contextIds.get(st.records - 1) != null && !l.fromIds()) {
                        st.fallbacks++; // made (or refused) by the full path
                    }
                    progress.accept(1);
                    switch (o) {
                        case TokenExport.Example e -> {
                            st.add(e);
                            if (l.fromIds()) {
                                st.fromIds++;
                            }
                            if (spec.pack() > 0) {
                                window.add(e);
                                if (window.size() >= PACK_WINDOW) {
                                    packAndWrite(window, export, spec, rows, st);
                                    window.clear();
                                }
                            } else {
                                rows.write(spec.format().row(e.ids(), e.labels(), null));
                                st.rows++;
                                st.rowLengths.add(e.ids().length);
                            }
                        }
                        case TokenExport.Skipped sk -> {
                            if (sk.dropped()) {
                                st.dropped++;
                            } else {
                                st.rejected++;
                            }
                            st.byReason.merge(sk.reason(), 1L, Long::sum);
                            Map<String, Object> line = new LinkedHashMap<>();
                            line.put("id", sk.id());
                            line.put("reason", sk.reason());
                            rejected.append(JSON.writeValueAsString(line)).append('\n');
                        }
                    }
                }
            }
            if (!window.isEmpty()) {
                packAndWrite(window, export, spec, rows, st);
            }
            rows.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + spec.out(), e);
        }
    }

    private static Labelled get(Future<Labelled> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Rows whose fast assembly is compared with the full path, in every export that uses kept ids. */
    private static final int VERIFIED_ROWS = 2;

    /**
     * The row from the kept ids when its seams hold and it fits the limit, else the full path's.
     * {@code check}: also make it the full way and stop the export if they differ.
     */
    private static Labelled fromIds(Labeler labeler, TokenExport export, TrainingRecord r, Spec spec, ContextIds.Entry entry,
                                    boolean check) {
        StoredIdsRow.Row row = StoredIdsRow.assemble(labeler, r, entry);
        int limit = spec.limit();
        if (row == null || (limit > 0 && row.ids().length > limit)) {
            return new Labelled(export.label(r), false);
        }
        if (check && (!(labeler.label(r) instanceof LossMask full) || !Arrays.equals(full.ids(), row.ids())
                || !Arrays.equals(full.labels(), row.labels()))) {
            throw new IllegalStateException("record " + r.id() + ": the row assembled from the token ids kept in "
                    + spec.in().get(0).resolve("tokens") + " differs from rendering and tokenizing it; export with "
                    + "--no-context-ids (and report this)");
        }
        return new Labelled(new TokenExport.Example(r.id(), row.ids(), row.labels(), row.trained(), false), true);
    }

    private static void packAndWrite(List<TokenExport.Example> window, TokenExport export, Spec spec, Rows rows, Stats st)
            throws IOException {
        for (TokenRow row : export.pack(window)) {
            rows.write(row.columns(spec.format()));
            st.rows++;
            st.rowLengths.add(row.length());
        }
    }

    private static final class Stats {
        long records;
        long examples;
        long rows;
        long tokens;
        long trained;
        long truncated;
        long dropped;
        long rejected;
        final Map<String, Long> byReason = new TreeMap<>();
        final IntList exampleLengths = new IntList();
        final IntList rowLengths = new IntList();
        /** "used", "ignored: why", or null when the input kept no ids. */
        String contextIds;
        long fromIds;
        long fallbacks;

        void add(TokenExport.Example e) {
            examples++;
            tokens += e.ids().length;
            trained += e.trained();
            if (e.truncated()) {
                truncated++;
            }
            exampleLengths.add(e.ids().length);
        }
    }

    private static final class IntList {
        private int[] a = new int[1024];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** A sink of rows split into shards; closed without {@link #finish()}, the shard being filled is left unsealed. */
    private interface Rows extends AutoCloseable {
        void write(int[][] row) throws IOException;

        /** Seals the last shard, after the last row. */
        void finish() throws IOException;

        @Override
        void close() throws IOException;
    }

    private static final class JsonlRows implements Rows {
        private final ShardWriter writer;
        private final List<String> columns;
        private final StringBuilder sb = new StringBuilder();

        JsonlRows(ShardWriter writer, List<String> columns) {
            this.writer = writer;
            this.columns = columns;
        }

        @Override
        public void write(int[][] row) {
            sb.setLength(0);
            TokenExportFiles.appendJsonLine(sb, columns, row);
            writer.write(sb.toString());
        }

        @Override
        public void finish() {
            writer.finish();
        }

        @Override
        public void close() {
            writer.close();
        }
    }

    /** data/part-NNNNN.parquet, each written as a hidden .partial file and renamed when complete. */
    private static final class ParquetRows implements Rows {
        private final Path dataDir;
        private final int shardSize;
        private final List<String> columns;
        private final Map<String, String> metadata;
        private IntListParquetWriter current;
        private Path partial;
        private int shard;
        private long inShard;

        ParquetRows(Path dataDir, int shardSize, List<String> columns, String tokenizer) {
            this.dataDir = dataDir;
            this.shardSize = shardSize;
            this.columns = columns;
            this.metadata = Map.of("granular.tokenizer", tokenizer);
        }

        @Override
        public void write(int[][] row) throws IOException {
            if (current == null) {
                partial = dataDir.resolve(String.format(Locale.ROOT, ".part-%05d.parquet.partial", shard));
                OutputDirectory.claim(partial);
                Files.deleteIfExists(partial);
                current = new IntListParquetWriter(partial, columns, metadata);
            }
            current.write(row);
            if (++inShard == shardSize) {
                finishShard();
            }
        }

        private void finishShard() throws IOException {
            current.close();
            AtomicFiles.move(partial, dataDir.resolve(String.format(Locale.ROOT, "part-%05d.parquet", shard)));
            current = null;
            shard++;
            inShard = 0;
        }

        @Override
        public void finish() throws IOException {
            if (current != null) {
                finishShard();
            }
        }

        /** After {@link #finish()}, nothing to do; else the unsealed shard is closed and removed. */
        @Override
        public void close() throws IOException {
            if (current != null) {
                current.close();
                current = null;
                Files.deleteIfExists(partial);
            }
        }
    }
}
