package dev.granular.spark;

import dev.granular.corpus.Corpus;
import dev.granular.corpus.CorpusOptions;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.Document;
import dev.granular.in2.In2;
import dev.granular.in2.internal.In2Assembly;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Design;
import dev.granular.in2.internal.In2Draw;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Engines;
import dev.granular.in2.internal.In2General;
import dev.granular.in2.In2Job;
import dev.granular.in2.internal.In2Segments;
import dev.granular.io.BadInputException;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.apache.spark.Partition;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.rdd.PartitionCoalescer;
import org.apache.spark.rdd.PartitionGroup;
import org.apache.spark.rdd.RDD;
import org.apache.spark.storage.StorageLevel;
import scala.Option;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * {@code granular spark in2}: the IN2 run ({@link In2Job}) with its two CPU-heavy stages on Spark, through
 * {@link In2Engine}, so that everything else (output directory, resume, report, dataset card, manifest)
 * is the single-machine command's own code and the data files are byte for byte those of
 * {@code granular in2} with the same inputs and seed, whatever the partitioning.
 *
 * <ol>
 *   <li>Segmentation: the driver reads the corpus (as {@code granular in2} reads it: document ids, bad rows)
 *   in waves of about {@link Spec#waveChars()} characters; each wave goes to the executors as a broadcast, and
 *   tasks of about equal characters split, segment and tokenize its documents ({@link In2Segments.Preparer}, which
 *   drops those the broadcast {@link Decontaminator} of {@code --exclude} finds contaminated);
 *   the driver collects them in corpus order and appends them to the
 *   segment store on the driver, while the driver reads the next wave.</li>
 *   <li>Assembly: the store's files are shipped to the executors ({@code SparkContext.addFile}) with the
 *   tokenizer's files and the design's {@code --general} rows (broadcast); the indices are cut into ranges, each task builds the design over its
 *   executor's copy of the store ({@link In2Engines#openDesign}, once per executor) and draws its range
 *   ({@link In2Engines#draw}). In waves of whole shards, the executors keep their draws (persisted) and
 *   send the driver only their keys, in index order; the driver draws an example again when its question
 *   repeats an earlier one (rare, {@link In2Assembly#decide}); one task per shard writes the shard, the
 *   redrawn examples in place, into the output's work folder, and the driver moves the shards into
 *   {@code data/} in order ({@link In2Assembly}). The executors write into {@code out}: on a cluster it
 *   must be on a file system they share with the driver.</li>
 * </ol>
 *
 * <p>With a DataFrame corpus ({@link CorpusFrame}, {@link Spec#of(CorpusFrame, In2Config, Path)}) the driver reads no
 * document: the executors check, fingerprint and sort the rows by their order column, and prepare them in waves of
 * sorted partitions, which the driver appends to the store in order ({@code FrameSegments}); the rest is as above.</p>
 *
 * <p>{@link #examples} gives the examples as a DataFrame.</p>
 *
 * <pre>{@code
 * try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
 *     In2Job.Result r = SparkIn2.run(spark, SparkIn2.Spec.of(List.of(Path.of("corpus/")), In2Config.DEFAULT.withExamples(5_000),
 *             Path.of("out/in2")).withTokenizer("models/qwen3", "tokenizer"));
 * }
 * }</pre>
 */
public final class SparkIn2 {
    /** Characters of corpus text per segmentation wave (about 128 MB of Java strings). */
    static final long WAVE_CHARS = 64L << 20;
    /** Examples per assembly task: an IN2 example is a few milliseconds to some tens of them. */
    static final int EXAMPLES_PER_TASK = 32;
    /**
     * Assembly tasks per core in a wave (rounded up to whole shards): the draws a wave keeps on the executors, and
     * how often the driver publishes shards.
     */
    static final int TASKS_PER_WAVE = 16;

    /**
     * What to run: {@link In2Job.Spec}'s fields that apply on Spark (programmatic questions).
     *
     * @param corpus       corpus files or folders; empty for the bundled sample corpus (or with {@code frame})
     * @param corpusOptions how to read the corpus: the text field of files, and what a bad row does (files or frame)
     * @param exclude      {@code in2 --exclude}: evaluation files, read by the driver; documents sharing a word 10-gram
     *                     with them are dropped (on the executors, by the broadcast {@link Decontaminator})
     * @param general      {@code in2 --general}: general instruction rows for the general share, read by the driver and
     *                     shipped with the job; empty: the general share is spread over the other kinds
     * @param tokenizer    a built-in tokenizer name or a Hugging Face tokenizer directory or tokenizer.json
     * @param chatTemplate {@code in2 --chat-template}: a file, {@link In2Job#TOKENIZER_TEMPLATE}, or null
     * @param partitions   tasks per wave (segmentation and assembly); 0 for twice Spark's default parallelism.
     *                     Changes speed only, never the output
     * @param waveChars    corpus characters per segmentation wave
     * @param commandLine  the command line, for the manifest
     * @param frame        the corpus as a DataFrame, read and prepared on the executors, in place of files ({@code corpus}
     *                     then empty); null for files
     */
    public record Spec(List<Path> corpus, CorpusOptions corpusOptions, List<Path> exclude, List<Path> general, String tokenizer,
                       String chatTemplate, In2Config config, Path out, int shardSize, boolean overwrite, int partitions,
                       long waveChars, List<String> commandLine, CorpusFrame frame) {
        public Spec {
            corpus = List.copyOf(corpus);
            exclude = List.copyOf(exclude);
            general = List.copyOf(general);
            commandLine = List.copyOf(commandLine);
            if (shardSize < 1 || partitions < 0 || waveChars < 1) {
                throw new IllegalArgumentException("shardSize and waveChars must be >= 1, partitions >= 0");
            }
            if (frame != null) {
                if (!corpus.isEmpty()) {
                    throw new IllegalArgumentException("a corpus of files or a DataFrame, not both");
                }
                frame.check();
            }
        }

        /** Corpus files (the form before DataFrame corpora). */
        public Spec(List<Path> corpus, CorpusOptions corpusOptions, List<Path> exclude, List<Path> general, String tokenizer,
                    String chatTemplate, In2Config config, Path out, int shardSize, boolean overwrite, int partitions,
                    long waveChars, List<String> commandLine) {
            this(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine, null);
        }

        /** Without exclude or general files (the form of the first releases). */
        public Spec(List<Path> corpus, CorpusOptions corpusOptions, String tokenizer, String chatTemplate, In2Config config,
                    Path out, int shardSize, boolean overwrite, int partitions, long waveChars, List<String> commandLine) {
            this(corpus, corpusOptions, List.of(), List.of(), tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine);
        }

        /** {@code corpus} (empty: the bundled one) with the defaults of {@code granular in2}: o200k_base, no chat template. */
        public static Spec of(List<Path> corpus, In2Config config, Path out) {
            return new Spec(corpus, CorpusOptions.defaults(), "o200k_base", null, config, out, 10_000, false, 0, WAVE_CHARS,
                    List.of("spark", "in2"));
        }

        /**
         * A DataFrame corpus ({@link CorpusFrame}) with the defaults of {@code granular in2}: o200k_base, no chat template,
         * bad rows failing (see {@link #withCorpusOptions} to skip them).
         */
        public static Spec of(CorpusFrame corpus, In2Config config, Path out) {
            return new Spec(List.of(), CorpusOptions.defaults(), List.of(), List.of(), "o200k_base", null, config, out, 10_000, false, 0,
                    WAVE_CHARS, List.of("spark", "in2"), java.util.Objects.requireNonNull(corpus, "corpus"));
        }

        /** How to read the corpus: {@code --text-field} (files only) and {@code --on-bad-row} (files and frames). */
        public Spec withCorpusOptions(CorpusOptions options) {
            return new Spec(corpus, options, exclude, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine, frame);
        }

        public Spec withTokenizer(String tokenizer, String chatTemplate) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine, frame);
        }

        /** Decontaminated against these evaluation files, as {@code in2 --exclude} (empty: none). */
        public Spec withExclude(List<Path> files) {
            return new Spec(corpus, corpusOptions, files, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine, frame);
        }

        /** With general instruction rows for the general share, as {@code in2 --general} (empty: none). */
        public Spec withGeneral(List<Path> files) {
            return new Spec(corpus, corpusOptions, exclude, files, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    waveChars, commandLine, frame);
        }

        public Spec withPartitions(int n) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, n,
                    waveChars, commandLine, frame);
        }

        public Spec withWaveChars(long n) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, shardSize, overwrite, partitions,
                    n, commandLine, frame);
        }

        /** Records per shard ({@code --shard-size}). */
        public Spec withShardSize(int n) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, n, overwrite, partitions,
                    waveChars, commandLine, frame);
        }

        public Spec withOverwrite(boolean o) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, chatTemplate, config, out, shardSize, o, partitions,
                    waveChars, commandLine, frame);
        }

        In2Job.Spec jobSpec() {
            // A frame's text column stands where the files' text field does in the run's identity.
            CorpusOptions options = frame == null ? corpusOptions : corpusOptions.withTextField(frame.text());
            return new In2Job.Spec(corpus, options, exclude, general, tokenizer, config, out, shardSize, overwrite, 1,
                    commandLine, null, chatTemplate);
        }
    }

    private SparkIn2() {
    }

    /**
     * Runs IN2 into {@code spec.out()} (the output folder of {@code granular in2}; the shards are written by the
     * executors with java.nio into its work folder, the rest by the driver).
     *
     * @throws BadInputException for a bad corpus row, configuration or tokenizer, as {@code granular in2} reports it
     */
    public static In2Job.Result run(SparkSession spark, Spec spec) {
        return run(spark, spec, In2Job.Listener.NONE);
    }

    /** As {@link #run(SparkSession, Spec)}, with progress reported to {@code listener}. */
    public static In2Job.Result run(SparkSession spark, Spec spec, In2Job.Listener listener) {
        Engine engine = new Engine(JavaSparkContext.fromSparkContext(spark.sparkContext()), Shipment.of(spec.tokenizer(), spec.chatTemplate()),
                spec.partitions(), spec.waveChars());
        try {
            if (spec.frame() != null) {
                engine.corpus(spec.frame(), spec.corpusOptions().onBadRow());
            }
            return In2Engines.run(spec.jobSpec(), listener, engine);
        } catch (RuntimeException e) {
            // A bad input met in a task reaches the driver wrapped in a SparkException: report it as itself.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BadInputException bad) {
                    throw bad;
                }
            }
            throw e;
        } finally {
            engine.close();
        }
    }

    /**
     * The examples of {@code spec} as a DataFrame, for pipelines of your own: runs (or resumes, or finds finished)
     * {@code spec} as {@link #run(SparkSession, Spec)} does, then reads its data files. One row per example:
     * {@code index} (long: the example's index, its line in the data files counted from 0), {@code id}, and
     * {@code record} (the JSON line exactly as in {@code data/}). In no set order: sort by {@code index} for the
     * files' order.
     */
    public static Dataset<Row> examples(SparkSession spark, Spec spec) {
        run(spark, spec);
        return examples(spark, spec.out());
    }

    /**
     * The examples of the finished IN2 run in {@code out} ({@code granular in2} or {@code spark in2}) as a DataFrame:
     * as {@link #examples(SparkSession, Spec)}.
     *
     * @throws BadInputException when {@code out} holds no finished run
     */
    public static Dataset<Row> examples(SparkSession spark, Path out) {
        if (!Files.isRegularFile(out.resolve("manifest.json"))) {
            throw new BadInputException(out.toString(), 0, "holds no finished IN2 run (no manifest.json)");
        }
        Column id = functions.get_json_object(functions.col("value"), "$.id");
        // The data files by name, not a "part-*.jsonl" glob: Hadoop would read glob characters in the folder's own
        // path ({, [, ?) as a pattern too, and its glob listing logged a FileNotFoundException warning.
        String[] files;
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            files = s.filter(p -> p.getFileName().toString().matches("part-\\d+\\.jsonl")).sorted()
                    .map(p -> p.toAbsolutePath().toUri().toString()).toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.length == 0) {
            throw new BadInputException(out.resolve("data").toString(), 0, "holds no data files (part-NNNNN.jsonl)");
        }
        return spark.read().text(files)
                .select(functions.substring_index(id, "-", -1).cast("long").as("index"), id.as("id"),
                        functions.col("value").as("record"));
    }

    /**
     * The tokenizer as the executors load it: a built-in name, or the bytes of the files granular reads from a
     * Hugging Face tokenizer folder (and the {@code --chat-template} file), written once per executor to a local folder.
     *
     * @param builtin      a built-in tokenizer name, or null
     * @param files        relative path to content ({@link ShippedTokenizer#read}'s files)
     * @param tokenizerPath the tokenizer's path relative to that folder ("" for the folder itself)
     * @param chatTemplate null, {@link In2Job#TOKENIZER_TEMPLATE}, or the template file's relative path
     */
    record Shipment(String builtin, Map<String, byte[]> files, String tokenizerPath, String chatTemplate) implements Serializable {
        private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();

        static Shipment of(String tokenizer, String chatTemplate) {
            boolean own = In2Job.TOKENIZER_TEMPLATE.equals(chatTemplate);
            Path templateFile = chatTemplate == null || own ? null : Path.of(chatTemplate);
            if (Tokenizers.builtinNames().contains(tokenizer)) {
                if (templateFile == null) {
                    return new Shipment(tokenizer, Map.of(), null, chatTemplate);
                }
                String template = "given-chat-template/" + templateFile.getFileName();
                try {
                    return new Shipment(tokenizer, Map.of(template, Files.readAllBytes(templateFile)), null, template);
                } catch (IOException e) {
                    throw new BadInputException(templateFile.toString(), 0, "--chat-template file cannot be read: " + e.getMessage());
                }
            }
            Path path = Path.of(tokenizer);
            if (!Files.exists(path)) {
                Tokenizers.load(tokenizer); // the error granular in2 gives
            }
            boolean dir = Files.isDirectory(path);
            Path folder = dir ? path : path.toAbsolutePath().getParent();
            String rel = dir ? "" : path.getFileName().toString();
            if (!dir && !rel.equals("tokenizer.json")) {
                // A tokenizer file of another name travels alone (with the template file, if any).
                Map<String, byte[]> files = new TreeMap<>();
                String template = own ? chatTemplate : null;
                try {
                    files.put(rel, Files.readAllBytes(path));
                    if (templateFile != null) {
                        template = "given-chat-template/" + templateFile.getFileName();
                        files.put(template, Files.readAllBytes(templateFile));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + path, e);
                }
                return new Shipment(null, files, rel, template);
            }
            ShippedTokenizer t = ShippedTokenizer.read(folder, templateFile, false);
            return new Shipment(null, t.files(), rel, own ? chatTemplate : t.templateFile());
        }

        /** The tokenizer spec and chat template spec on this machine: [tokenizer, template or null]. */
        String[] local() {
            if (files.isEmpty()) {
                return new String[]{builtin, chatTemplate};
            }
            Path dir = LOCAL.computeIfAbsent(digest(), d -> {
                try {
                    Path tmp = Files.createTempDirectory("granular-in2-tokenizer-" + d.substring(0, 12) + "-");
                    for (Map.Entry<String, byte[]> e : files.entrySet()) {
                        Path p = tmp.resolve(e.getKey());
                        Files.createDirectories(p.getParent());
                        Files.write(p, e.getValue());
                    }
                    return tmp;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the shipped tokenizer to a local folder", e);
                }
            });
            String template = chatTemplate == null || chatTemplate.equals(In2Job.TOKENIZER_TEMPLATE) ? chatTemplate
                    : dir.resolve(chatTemplate).toString();
            return new String[]{builtin != null ? builtin : dir.resolve(tokenizerPath).toString(), template};
        }

        String digest() {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
                    md.update((e.getKey() + "\0" + e.getValue().length + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    md.update(e.getValue());
                }
                md.update(String.valueOf(builtin).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * What a task needs besides its indices: shipped once per run as a broadcast. {@code config} and {@code general}
     * are the driver's design's, so the executors' designs are the one {@link In2Job} built.
     */
    record Job(String runId, Shipment shipment, In2Config config, In2General general) implements Serializable {
    }

    /** Per executor JVM: open tokenizers by shipment, and the design of the current run. */
    static final class Executor {
        private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
        private static final Map<String, In2Design> DESIGNS = new ConcurrentHashMap<>();

        static Tokenizer tokenizer(Shipment s) {
            // Open for the life of the executor: later tasks and stages reuse it (a tokenizer is thread-safe).
            return TOKENIZERS.computeIfAbsent(s.digest(), d -> Tokenizers.load(s.local()[0]));
        }

        static In2Design design(Job job) {
            return DESIGNS.computeIfAbsent(job.runId(), id -> {
                String[] local = job.shipment().local();
                In2 in2 = In2.of(job.config());
                if (local[1] != null) {
                    in2 = in2.withChatTemplate(In2Job.loadChatTemplate(local[0], local[1]));
                }
                return In2Engines.openDesign(in2, localStore(id), tokenizer(job.shipment()), job.general());
            });
        }

        /** The shipped store files under their own names in a local folder (links to SparkFiles' copies). */
        private static Path localStore(String runId) {
            try {
                Path dir = Files.createTempDirectory("granular-in2-store-");
                for (String name : STORE_FILES) {
                    Files.createSymbolicLink(dir.resolve(name), Path.of(SparkFiles.get(runId + "-" + name)).toAbsolutePath());
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot link the shipped segment store", e);
            }
        }

        static void forget(String runId) {
            DESIGNS.remove(runId);
        }
    }

    /** The files of a segment store ({@code SegmentStoreBuilder}). */
    static final List<String> STORE_FILES = List.of("text.bin", "ids.bin", "segments.idx", "docs.idx", "parents.bin", "parents.idx");

    /** {@link In2Engine} on Spark. */
    static final class Engine implements In2Engine, AutoCloseable {
        private final JavaSparkContext jsc;
        private final Shipment shipment;
        private final int partitions;
        private final long waveChars;
        private final String runId = UUID.randomUUID().toString();
        private Broadcast<Shipment> shipped;
        private Broadcast<Decontaminator> exclude;
        private Broadcast<Job> job;
        private Path store;

        Engine(JavaSparkContext jsc, Shipment shipment, int partitions, long waveChars) {
            this.jsc = jsc;
            this.shipment = shipment;
            this.partitions = partitions;
            this.waveChars = waveChars;
        }

        /** Examples per assembly wave (rounded up to whole shards); 0 for {@link #TASKS_PER_WAVE} tasks per core. */
        private long examplesPerWave;
        /** A DataFrame corpus, or null for the files {@link #segment} is given. */
        private CorpusFrame frame;
        private dev.granular.corpus.BadRowPolicy onBadRow;
        /** The frame checked and sorted on the executors ({@link #ownCorpus()}), until {@link #close()}. */
        private FrameSegments frameSegments;

        /** Reads the corpus from {@code frame} on the executors, in place of files. */
        Engine corpus(CorpusFrame frame, dev.granular.corpus.BadRowPolicy onBadRow) {
            this.frame = frame;
            this.onBadRow = onBadRow;
            return this;
        }

        /** The frame's identity, after checking and sorting its rows on the executors (nothing written yet). */
        @Override
        public In2Engine.OwnCorpus ownCorpus() {
            if (frame == null) {
                return null;
            }
            if (frameSegments == null) {
                frameSegments = FrameSegments.check(jsc, frame, onBadRow, tasks(), waveChars);
            }
            return frameSegments.ownCorpus();
        }

        /** With waves of {@code n} examples (rounded up to whole shards): for tests of several waves on little data. */
        Engine examplesPerWave(long n) {
            this.examplesPerWave = n;
            return this;
        }

        @Override
        public String name() {
            return "spark";
        }

        private int tasks() {
            return partitions > 0 ? partitions : 2 * jsc.defaultParallelism();
        }

        @Override
        public In2Engine.Segmented segment(Corpus corpus, In2Config config, Decontaminator decontaminator, In2Segments.Writer writer) {
            store = writer.dir();
            shipped = jsc.broadcast(shipment);
            Broadcast<Shipment> s = shipped;
            // The evaluation n-grams (8 to 16 bytes each), fetched once per executor; empty without --exclude.
            exclude = jsc.broadcast(decontaminator);
            Broadcast<Decontaminator> x = exclude;
            if (frameSegments != null) {
                return frameSegments.segment(s, config, x, writer);
            }
            // At most one wave in flight: the driver reads the next while the executors prepare this one.
            ArrayDeque<Wave> inFlight = new ArrayDeque<>();
            List<String[]> wave = new ArrayList<>();
            long[] chars = {0};
            long[] documents = {0};
            Runnable flush = () -> {
                if (wave.isEmpty()) {
                    return;
                }
                // The documents travel as a broadcast (in blocks, fetched once per executor), not inside the tasks,
                // which would each carry megabytes; a task gets a range of the wave, cut by characters.
                String[][] docs = wave.toArray(new String[0][]);
                Broadcast<String[][]> texts = jsc.broadcast(docs);
                List<int[]> ranges = ranges(docs, chars[0], tasks());
                wave.clear();
                chars[0] = 0;
                JavaFutureAction<List<In2Segments.Prepared>> f = jsc.parallelize(ranges, ranges.size())
                        .flatMap(prepareTask(s, config, x, texts))
                        .collectAsync();
                while (!inFlight.isEmpty()) {
                    appendAll(inFlight.removeFirst(), writer);
                }
                inFlight.add(new Wave(f, texts));
            };
            Map<String, Long> skipped = corpus.forEach(d -> {
                documents[0]++;
                wave.add(new String[]{d.id(), d.text()});
                chars[0] += d.text().length();
                if (chars[0] >= waveChars) {
                    flush.run();
                }
            });
            flush.run();
            while (!inFlight.isEmpty()) {
                appendAll(inFlight.removeFirst(), writer);
            }
            return new In2Engine.Segmented(documents[0], skipped);
        }

        /** A wave of documents being prepared, and the broadcast that carries them. */
        private record Wave(JavaFutureAction<List<In2Segments.Prepared>> prepared, Broadcast<String[][]> texts) {
        }

        /** {@code [from, to)} ranges of {@code docs}, in order, of about {@code chars / tasks} characters each. */
        static List<int[]> ranges(String[][] docs, long chars, int tasks) {
            List<int[]> out = new ArrayList<>();
            long share = Math.max(1, (chars + tasks - 1) / tasks);
            int from = 0;
            long acc = 0;
            for (int i = 0; i < docs.length; i++) {
                acc += docs[i][1].length();
                // The last range takes the rest: never more ranges than tasks.
                if ((acc >= share && out.size() < tasks - 1) || i == docs.length - 1) {
                    out.add(new int[]{from, i + 1});
                    from = i + 1;
                    acc = 0;
                }
            }
            return out;
        }

        /**
         * A task of the segmentation: the documents (id, text) {@code [r[0], r[1])} of the wave, prepared in their order
         * (a contaminated one as an excluded, empty one, which the driver's writer counts). Static: captures only its
         * arguments.
         */
        private static FlatMapFunction<int[], In2Segments.Prepared> prepareTask(Broadcast<Shipment> s, In2Config config,
                                                                              Broadcast<Decontaminator> exclude,
                                                                              Broadcast<String[][]> texts) {
            return r -> {
                In2Segments.Preparer preparer = In2Segments.preparer(Executor.tokenizer(s.value()), config, exclude.value());
                String[][] docs = texts.value();
                List<In2Segments.Prepared> out = new ArrayList<>(r[1] - r[0]);
                for (int i = r[0]; i < r[1]; i++) {
                    out.add(preparer.prepare(new Document(docs[i][0], docs[i][1], docs[i][0])));
                }
                return out.iterator();
            };
        }

        /** A task of the assembly: the first draws of the indices {@code [r[0], r[1])}. */
        private static FlatMapFunction<long[], In2Draw> drawTask(Broadcast<Job> j) {
            return r -> {
                In2Design d = Executor.design(j.value());
                List<In2Draw> out = new ArrayList<>((int) (r[1] - r[0]));
                for (long i = r[0]; i < r[1]; i++) {
                    out.add(In2Engines.draw(d, i));
                }
                return out.iterator();
            };
        }

        private static void appendAll(Wave wave, In2Segments.Writer writer) {
            // collect() keeps the partitions' order, and the wave was cut into ranges in order: corpus order.
            List<In2Segments.Prepared> prepared = await(wave.prepared());
            wave.texts().destroy();
            for (In2Segments.Prepared p : prepared) {
                writer.append(p);
            }
        }

        @Override
        public Iterator<In2Draw> draws(In2Design design, long from) {
            shipStore();
            job = jsc.broadcast(new Job(runId, shipment, design.config(), In2Engines.general(design)));
            Broadcast<Job> j = job;
            long size = design.size();
            int perWave = tasks();
            return new Iterator<>() {
                private final ArrayDeque<JavaFutureAction<List<In2Draw>>> inFlight = new ArrayDeque<>();
                private Iterator<In2Draw> current = Collections.emptyIterator();
                private long next = from;

                @Override
                public boolean hasNext() {
                    while (!current.hasNext()) {
                        // Two waves of tasks in flight: the executors draw the next while the driver writes this one.
                        while (next < size && inFlight.size() < 2) {
                            List<long[]> ranges = new ArrayList<>();
                            for (int t = 0; t < perWave && next < size; t++) {
                                long hi = Math.min(size, next + EXAMPLES_PER_TASK);
                                ranges.add(new long[]{next, hi});
                                next = hi;
                            }
                            inFlight.add(jsc.parallelize(ranges, ranges.size()).flatMap(drawTask(j)).collectAsync());
                        }
                        if (inFlight.isEmpty()) {
                            return false;
                        }
                        current = await(inFlight.removeFirst()).iterator();
                    }
                    return true;
                }

                @Override
                public In2Draw next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return current.next();
                }
            };
        }

        /**
         * The assembly on the executors: in waves of whole shards, the executors draw and keep (persisted) the
         * first draws; only their keys (index, normalised question) come here, in index order, to decide the
         * rare redraws ({@link In2Assembly#decide}); then one task per shard writes its rows, with the redrawn
         * examples in place, into the staging folder, and the driver moves the shards into place in order.
         */
        @Override
        public void assemble(In2Design design, In2Assembly assembly) {
            shipStore();
            job = jsc.broadcast(new Job(runId, shipment, design.config(), In2Engines.general(design)));
            List<long[]> pieces = assembly.pieces();
            long perWave = examplesPerWave > 0 ? examplesPerWave : (long) tasks() * EXAMPLES_PER_TASK * TASKS_PER_WAVE;
            List<List<long[]>> waves = new ArrayList<>();
            for (int p = 0; p < pieces.size(); ) {
                // Whole pieces (shards) per wave, at least one: what the executors keep at a time, and how often the driver publishes.
                int q = p;
                long n = 0;
                do {
                    n += pieces.get(q)[1] - pieces.get(q)[0];
                    q++;
                } while (q < pieces.size() && n + pieces.get(q)[1] - pieces.get(q)[0] <= perWave);
                waves.add(pieces.subList(p, q));
                p = q;
            }
            DrawWave current = waves.isEmpty() ? null : draw(waves.getFirst());
            DrawWave next = null;
            try {
                for (int w = 0; w < waves.size(); w++) {
                    // collect() keeps the partitions' order, which is index order.
                    Map<Long, In2Draw> again = new HashMap<>();
                    for (In2Draw.Key k : await(current.keys())) {
                        In2Draw d = assembly.decide(k);
                        if (d != null) {
                            again.put(k.index(), d);
                        }
                    }
                    Broadcast<Map<Long, In2Draw>> redrawn = jsc.broadcast(again);
                    try {
                        RDD<In2Draw> byPiece = current.draws().rdd().coalesce(current.pieces().size(), false,
                                Option.apply(new Consecutive(current.firstRange())), null);
                        JavaFutureAction<List<In2Assembly.Piece>> writing = byPiece.toJavaRDD()
                                .mapPartitionsWithIndex(writeTask(current.pieces().toArray(new long[0][]),
                                        assembly.staging().toAbsolutePath().toString(), design.config(), redrawn, assembly.keepsIds()), false)
                                .collectAsync();
                        // Submitted after the writing, so that the shard tasks go first: the next wave draws while this one writes.
                        next = w + 1 < waves.size() ? draw(waves.get(w + 1)) : null;
                        for (In2Assembly.Piece piece : await(writing)) {
                            assembly.publish(piece);
                        }
                    } finally {
                        redrawn.destroy();
                    }
                    current.draws().unpersist(false);
                    current = next;
                    next = null;
                }
            } finally {
                for (DrawWave d : new DrawWave[]{current, next}) {
                    if (d != null) {
                        d.keys().cancel(true);
                        d.draws().unpersist(false);
                    }
                }
            }
        }

        /**
         * A wave's first draws, kept on the executors, and their keys on their way to the driver.
         *
         * @param firstRange the first partition of each piece, and then the number of partitions
         */
        private record DrawWave(List<long[]> pieces, int[] firstRange, JavaRDD<In2Draw> draws,
                                JavaFutureAction<List<In2Draw.Key>> keys) {
        }

        private DrawWave draw(List<long[]> pieces) {
            // Tasks of EXAMPLES_PER_TASK examples, none across a piece: each piece is a run of whole partitions.
            List<long[]> ranges = new ArrayList<>();
            int[] firstRange = new int[pieces.size() + 1];
            for (int k = 0; k < pieces.size(); k++) {
                firstRange[k] = ranges.size();
                for (long lo = pieces.get(k)[0]; lo < pieces.get(k)[1]; lo += EXAMPLES_PER_TASK) {
                    ranges.add(new long[]{lo, Math.min(pieces.get(k)[1], lo + EXAMPLES_PER_TASK)});
                }
            }
            firstRange[pieces.size()] = ranges.size();
            JavaRDD<In2Draw> draws = jsc.parallelize(ranges, ranges.size()).flatMap(drawTask(job))
                    .persist(StorageLevel.MEMORY_AND_DISK_SER());
            return new DrawWave(pieces, firstRange, draws, draws.map(In2Draw::key).collectAsync());
        }

        /** A task of the writing: piece {@code k}'s draws, with the redrawn ones in place, into the staging folder. */
        private static Function2<Integer, Iterator<In2Draw>, Iterator<In2Assembly.Piece>> writeTask(
                long[][] pieces, String staging, In2Config config, Broadcast<Map<Long, In2Draw>> redrawn, boolean ids) {
            return (k, draws) -> List.of(In2Assembly.write(Path.of(staging), config, pieces[k][0], pieces[k][1], draws, redrawn.value(), ids))
                    .iterator();
        }

        /**
         * Groups runs of consecutive partitions, in order, into one each: group {@code k} is partitions
         * {@code [first[k], first[k + 1])}, so a task reads a whole piece in index order (Spark's own coalescing
         * groups by location, in no set order).
         */
        static final class Consecutive implements PartitionCoalescer, Serializable {
            private final int[] first;

            Consecutive(int[] first) {
                this.first = first.clone();
            }

            @Override
            public PartitionGroup[] coalesce(int maxPartitions, RDD<?> parent) {
                Partition[] parts = parent.partitions();
                PartitionGroup[] groups = new PartitionGroup[first.length - 1];
                for (int k = 0; k < groups.length; k++) {
                    groups[k] = new PartitionGroup(Option.empty());
                    for (int i = first[k]; i < first[k + 1]; i++) {
                        groups[k].partitions().addOne(parts[i]);
                    }
                }
                return groups;
            }
        }

        /**
         * Adds the store's files to the job under names of this run ({@code SparkContext.addFile} takes files,
         * not folders, on a cluster, and a name once per application): links in the store's folder, which the
         * output directory's clean-up deletes.
         */
        private void shipStore() {
            try {
                Path staged = store.resolveSibling("spark-" + runId);
                Files.createDirectories(staged);
                for (String name : STORE_FILES) {
                    Path link = staged.resolve(runId + "-" + name);
                    try {
                        Files.createLink(link, store.resolve(name));
                    } catch (UnsupportedOperationException | IOException e) {
                        Files.copy(store.resolve(name), link);
                    }
                    jsc.sc().addFile(link.toAbsolutePath().toUri().toString());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stage the segment store for the executors", e);
            }
        }

        @Override
        public void close() {
            Executor.forget(runId); // the driver's JVM is an executor in local mode
            if (frameSegments != null) {
                frameSegments.close();
            }
            if (shipped != null) {
                shipped.destroy();
            }
            if (exclude != null) {
                exclude.destroy();
            }
            if (job != null) {
                job.destroy();
            }
        }
    }

    static <T> T await(JavaFutureAction<T> f) {
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
}
