package dev.granular.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.export.Labeler;
import dev.granular.export.TokenExport;
import dev.granular.export.TokenExportJob;
import dev.granular.export.job.TokenExportFiles;
import dev.granular.export.TokenFormat;
import dev.granular.export.TokenRow;
import dev.granular.export.Truncation;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;

/**
 * {@code granular spark export}: the token export ({@code export --format tokens|trl-tokens},
 * Parquet or JSONL, packed or not) as a Spark job. Each record is labelled by the same per-record
 * step as the single-machine export ({@link TokenExport#label}), on executors, with the tokenizer
 * and template files broadcast from the driver ({@link ShippedTokenizer}); the rows are then sorted
 * by where their record was in the input (file, line), so the rows, read in file-name order, are
 * the single-machine export's rows in the same order, whatever the partitioning. Packed, the driver
 * plans the rows from the lengths in input order with core's planner ({@link PackPlan}) and the
 * executors assemble them into the single-machine export's shards. The report and the card are
 * written by {@link TokenExportFiles#writeReportAndCard}, as the single-machine export's.
 *
 * <pre>{@code
 * try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
 *     SparkTokenExport.run(spark, SparkTokenExport.Spec.of(List.of(Path.of("out/in2")), Path.of("out/in2-tokens"),
 *             Path.of("models/qwen3")).withMaxLength(4096).withTruncation(Truncation.LEFT_CONTEXT));
 * }
 * }</pre>
 *
 * <p>{@link #tokens} does the same for a DataFrame of records ({@link RecordFrame}), giving the rows as a DataFrame
 * ({@link TokenFrame}), which it can write as this export's folder. Both share the labelling and the checks
 * ({@link LabelledRecords}).
 *
 * <p>The output directory is granular's ({@link OutputDirectory}: manifest last, rejected.jsonl
 * for the records left out, --overwrite rules), so {@code --out} must be a path the driver
 * writes to with java.nio (a local or shared file system), as the input paths are.
 */
public final class SparkTokenExport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Leads the {@code error} of a record refused by the configuration (the message is then an {@link InvalidConfigException} template). */
    static final String CONFIG_ERROR = "config: ";
    /** Columns of the labelled rows before the format's own: where the record was and what became of it. */
    static final List<String> KEY = List.of("file", "line", "id", "skip_reason", "dropped", "truncated", "trained", "error");

    /**
     * What to export: {@link TokenExportJob.Spec}'s fields that apply (all but threads). Build it with
     * {@link #of(List, Path, Path)} and the withers; the canonical constructor stays for old callers.
     *
     * <pre>{@code
     * SparkTokenExport.Spec.of(List.of(Path.of("out/demo")), Path.of("out/demo-packed"), Path.of("models/qwen3"))
     *         .withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT).withPack(8192)
     * }</pre>
     *
     * @param in         record files or folders ({@code --in}); empty for a spec of {@link SparkTokenExport#tokens} (DataFrames)
     * @param out        the output folder ({@code --out}); null for a spec of {@link SparkTokenExport#tokens} until written
     * @param pack       row capacity in tokens for packing, 0 for one example per row (as {@code export --pack})
     * @param fileFormat Parquet or JSONL rows ({@code --tokens-format})
     * @param partitions how many partitions to label the records in; 0 for Spark's split of the input files
     */
    public record Spec(List<Path> in, TokenFormat format, Path out, Path tokenizer, Path chatTemplate, int maxLength,
                       Truncation truncation, int pack, TokenExportJob.FileFormat fileFormat, int shardSize, int partitions,
                       boolean allowSpecialText, boolean overwrite, List<String> commandLine) {
        /** Rows per data file by default, as {@code --shard-size}. */
        public static final int SHARD_SIZE = 10_000;

        public Spec {
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
            java.util.Objects.requireNonNull(format, "format");
            java.util.Objects.requireNonNull(tokenizer, "tokenizer");
            java.util.Objects.requireNonNull(truncation, "truncation");
            java.util.Objects.requireNonNull(fileFormat, "fileFormat");
            if (maxLength < 0 || pack < 0 || shardSize < 1 || partitions < 0) {
                throw new IllegalArgumentException("maxLength, pack and partitions must be >= 0 and shardSize >= 1");
            }
            if (pack > 0 && maxLength > pack) {
                throw new IllegalArgumentException("maxLength " + maxLength + " > pack " + pack + ": an example longer than a packed row fits nowhere");
            }
        }

        /** Unpacked Parquet rows. */
        public Spec(List<Path> in, TokenFormat format, Path out, Path tokenizer, Path chatTemplate, int maxLength,
                    Truncation truncation, int shardSize, int partitions, boolean allowSpecialText, boolean overwrite,
                    List<String> commandLine) {
            this(in, format, out, tokenizer, chatTemplate, maxLength, truncation, 0, TokenExportJob.FileFormat.PARQUET, shardSize,
                    partitions, allowSpecialText, overwrite, commandLine);
        }

        /**
         * The defaults of {@code granular spark export --in IN --out OUT --tokenizer TOKENIZER}: {@code tokens}, the
         * tokenizer's chat template, no length limit ({@link Truncation#ERROR} when one is set), unpacked Parquet,
         * {@link #SHARD_SIZE} rows a file, Spark's split of the input, command line {@code spark export}.
         */
        public static Spec of(List<Path> in, Path out, Path tokenizer) {
            return new Spec(in, TokenFormat.TOKENS, out, tokenizer, null, 0, Truncation.ERROR, 0, TokenExportJob.FileFormat.PARQUET,
                    SHARD_SIZE, 0, false, false, List.of("spark", "export"));
        }

        /** For {@link SparkTokenExport#tokens}: no input files (the records are a DataFrame) and no folder yet. */
        public static Spec of(Path tokenizer) {
            return of(List.of(), null, tokenizer);
        }

        public Spec withIn(List<Path> v) {
            return new Spec(v, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withFormat(TokenFormat v) {
            return new Spec(in, v, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withOut(Path v) {
            return new Spec(in, format, v, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withTokenizer(Path v) {
            return new Spec(in, format, out, v, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        /** {@code --chat-template}: render with this file instead of the tokenizer's template (null: the tokenizer's). */
        public Spec withChatTemplate(Path v) {
            return new Spec(in, format, out, tokenizer, v, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withMaxLength(int v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, v, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withTruncation(Truncation v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, v, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withPack(int v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, v, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withFileFormat(TokenExportJob.FileFormat v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, v, shardSize, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withShardSize(int v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, v, partitions,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withPartitions(int v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, v,
                    allowSpecialText, overwrite, commandLine);
        }

        public Spec withAllowSpecialText(boolean v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    v, overwrite, commandLine);
        }

        public Spec withOverwrite(boolean v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, v, commandLine);
        }

        /** The command line the card and the manifest quote (without the leading {@code granular}). */
        public Spec withCommandLine(List<String> v) {
            return new Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize, partitions,
                    allowSpecialText, overwrite, v);
        }

        /** The single-machine export of the same rows (for its report and card). */
        TokenExportJob.Spec singleMachine() {
            return new TokenExportJob.Spec(in, format, out, tokenizer, chatTemplate, maxLength, truncation, pack, fileFormat, shardSize,
                    0, allowSpecialText, overwrite, commandLine);
        }
    }

    /** What an export did; the same counts as {@link TokenExportJob.Result}. */
    public record Result(long records, long examples, long rows, long tokens, long trainedTokens, long truncated, long dropped,
                         long rejected) {
    }

    private SparkTokenExport() {
    }

    /** The Parquet columns of {@code format} (unpacked): nullable lists of nullable int32, as the single-machine writer's. */
    public static StructType schema(TokenFormat format) {
        return schema(format, false);
    }

    /** As {@link #schema(TokenFormat)}, with {@code position_ids} when {@code packed}. */
    public static StructType schema(TokenFormat format, boolean packed) {
        List<StructField> fields = new ArrayList<>();
        for (String c : format.columns(packed)) {
            fields.add(DataTypes.createStructField(c, DataTypes.createArrayType(DataTypes.IntegerType, true), true));
        }
        return DataTypes.createStructType(fields);
    }

    /**
     * The per-record columns ({@link #KEY}), the example's length in tokens, and a hash of the record's place and
     * outcome (its token ids, or why it was left out), for a DataFrame's fingerprint.
     */
    static StructType metaSchema() {
        List<StructField> fields = new ArrayList<>(List.of(labelledSchema(TokenFormat.TOKENS).fields()).subList(0, KEY.size()));
        fields.add(DataTypes.createStructField("tokens", DataTypes.IntegerType, false));
        fields.add(DataTypes.createStructField("hash", DataTypes.LongType, false));
        return DataTypes.createStructType(fields);
    }

    /** Packed rows: {@code row} (its index in the export's order), {@code ids} (its examples'), the format's packed columns. */
    static StructType packedSchema(TokenFormat format) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("row", DataTypes.LongType, false),
                DataTypes.createStructField("ids", DataTypes.createArrayType(DataTypes.StringType, false), false)));
        fields.addAll(List.of(schema(format, true).fields()));
        return DataTypes.createStructType(fields);
    }

    static StructType labelledSchema(TokenFormat format) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("file", DataTypes.IntegerType, false),
                DataTypes.createStructField("line", DataTypes.LongType, false),
                DataTypes.createStructField("id", DataTypes.StringType, false),
                DataTypes.createStructField("skip_reason", DataTypes.StringType, true),
                DataTypes.createStructField("dropped", DataTypes.BooleanType, false),
                DataTypes.createStructField("truncated", DataTypes.BooleanType, false),
                DataTypes.createStructField("trained", DataTypes.IntegerType, false),
                DataTypes.createStructField("error", DataTypes.StringType, true)));
        fields.addAll(List.of(schema(format).fields()));
        return DataTypes.createStructType(fields);
    }

    /**
     * The lines of the record files, as rows {@code (file int, line long, text string)}: file is the
     * index in {@code files}, line counts from 1. Read with Hadoop's text input, so {@code .jsonl.gz} works.
     */
    public static JavaRDD<Row> lines(JavaSparkContext jsc, List<Path> files) {
        JavaRDD<Row> all = null;
        // About three splits per core over all files: records vary in length (an IN2 record is a whole context), and
        // with one split per core the slowest decides; splits keep the order, unlike a repartition.
        int perFile = Math.max(1, (3 * jsc.defaultParallelism() + files.size() - 1) / Math.max(1, files.size()));
        for (int i = 0; i < files.size(); i++) {
            int file = i;
            JavaRDD<Row> rows = jsc.textFile(files.get(i).toAbsolutePath().toUri().toString(), perFile)
                    .zipWithIndex()
                    .map(t -> RowFactory.create(file, t._2() + 1, t._1()));
            all = all == null ? rows : all.union(rows);
        }
        if (all == null) {
            throw new BadInputException("no input given");
        }
        return all;
    }

    /**
     * Labels the lines of {@link #lines} (one canonical record each) on the executors: rows of
     * {@code file, line, id, skip_reason, dropped, truncated, trained, error} and the format's columns
     * (null when the record was skipped). {@code error} is the message of a bad line, or {@link #CONFIG_ERROR} and
     * the template of a record over the limit with {@code Truncation.ERROR} (then {@code id} is empty).
     *
     * @param fileNames the files' names for error messages, by index
     */
    public static Dataset<Row> label(SparkSession spark, JavaRDD<Row> lines, List<String> fileNames, Broadcast<ShippedTokenizer> shipped,
                                     TokenFormat format, int limit, Truncation truncation) {
        return spark.createDataFrame(labelRows(lines, fileNames, shipped, format, limit, truncation, 0), labelledSchema(format));
    }

    /**
     * As {@link #label}, as an RDD of rows whose list columns hold {@code int[]}; with {@code pack > 0} (the
     * limit is then {@code maxLength}, else {@code pack}) the list columns are the ids and labels, to be packed.
     */
    static JavaRDD<Row> labelRows(JavaRDD<Row> lines, List<String> fileNames, Broadcast<ShippedTokenizer> shipped,
                                  TokenFormat format, int maxLength, Truncation truncation, int pack) {
        List<String> names = List.copyOf(fileNames);
        JavaRDD<Row> labelled = lines.mapPartitions((Iterator<Row> it) -> {
            // As TokenExportJob.Spec.export: the limit is --max-length, else --pack.
            TokenExport export = TokenExport.of(shipped.value().labeler()).withMaxLength(maxLength).withTruncation(truncation)
                    .withPack(pack);
            return new Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Row next() {
                    Row in = it.next();
                    int file = in.getInt(0);
                    long line = in.getLong(1);
                    String text = in.getString(2);
                    Object[] values = new Object[KEY.size() + (pack > 0 ? 2 : format.columns(false).size())];
                    values[0] = file;
                    values[1] = line;
                    values[4] = false;
                    values[5] = false;
                    values[6] = 0;
                    TrainingRecord r;
                    TokenExport.Outcome outcome;
                    try {
                        // A record of a DataFrame names its row (RecordFrame.lines), a line of a file its file and line.
                        String where = in.size() > 3 ? in.getString(3) : null;
                        if (text == null) {
                            throw new BadInputException(where);
                        }
                        if (text.isBlank()) {
                            throw where != null ? new BadInputException(where, 0, "blank record (expected a JSON object)")
                                    : new BadInputException(names.get(file), line, "blank line (canonical record files have none)");
                        }
                        r = where != null ? RecordJson.parse(text, where, 0) : RecordJson.parse(text, names.get(file), line);
                        outcome = export.label(r);
                    } catch (BadInputException e) {
                        // Kept as data, not thrown: the driver reports the first bad line in input order, as the
                        // single-machine export does, whichever task meets one first.
                        values[2] = "";
                        // A record over the limit with Truncation.ERROR keeps its template, so that the driver throws it
                        // again as an InvalidConfigException and the CLI names the flags (--max-length), as granular export.
                        values[7] = e instanceof InvalidConfigException ice ? CONFIG_ERROR + ice.message(f -> "${" + f + "}")
                                : e.getMessage();
                        return RowFactory.create(values);
                    }
                    values[2] = r.id();
                    switch (outcome) {
                        case TokenExport.Example e -> {
                            values[5] = e.truncated();
                            values[6] = e.trained();
                            // To be packed: the ids and labels, all a packed row is made of (a third less to keep than three columns).
                            int[][] row = pack > 0 ? new int[][]{e.ids(), e.labels()} : e.row().columns(format);
                            System.arraycopy(row, 0, values, KEY.size(), row.length);
                        }
                        case TokenExport.Skipped s -> {
                            values[3] = s.reason();
                            values[4] = s.dropped();
                        }
                    }
                    return RowFactory.create(values);
                }
            };
        });
        return labelled;
    }

    public static Result run(SparkSession spark, Spec spec) {
        try {
            return doRun(spark, spec);
        } catch (RuntimeException e) {
            throw reported(e);
        }
    }

    /** A bad line found on an executor reaches the driver wrapped in a SparkException: report it as itself. */
    static RuntimeException reported(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException bad) {
                return bad;
            }
        }
        return e;
    }

    /**
     * Labels the records of a DataFrame ({@link RecordFrame}: struct columns or JSON text, and the order that stands
     * for the input order) as {@link #run} labels the lines of files: the same per-record step, the same checks (the
     * bad record and the repeated id reported are the first in the order, named by row), the same counts, and packed
     * with {@code spec.pack()} the same rows as the file export of the records in that order. Eager: the records are
     * labelled (once, cached) and checked before it returns; {@link TokenFrame#close} frees the cache.
     *
     * <pre>{@code
     * try (TokenFrame tokens = SparkTokenExport.tokens(spark, RecordFrame.of(spark.read().json("out/demo/data")).withOrder("n"),
     *         SparkTokenExport.Spec.of(Path.of("models/qwen3")).withMaxLength(8192).withTruncation(Truncation.LEFT_CONTEXT))) {
     *     tokens.rows().show();                          // n, id, input_ids, attention_mask, labels
     *     tokens.write(Path.of("out/demo-tokens"));      // data/, README.md, report/, rejected.jsonl, manifest.json
     * }
     * }</pre>
     *
     * @param spec the labelling options ({@code in} is not read; file format, shard size and overwrite are
     *             {@link TokenFrame#write}'s)
     * @throws BadInputException the first bad record or repeated id or order value in the order, naming its row
     */
    public static TokenFrame tokens(SparkSession spark, RecordFrame records, Spec spec) {
        try {
            return TokenFrame.label(spark, records, spec);
        } catch (RuntimeException e) {
            throw reported(e);
        }
    }

    private static Result doRun(SparkSession spark, Spec spec) {
        Instant started = Instant.now();
        List<Path> files = RecordReader.dataFiles(spec.in());
        ShippedTokenizer shipped = ShippedTokenizer.read(spec.tokenizer(), spec.chatTemplate(), spec.allowSpecialText());
        // The driver loads the same files for the manifest's identity, the report and the card (and to fail early on a bad template).
        ChatTemplate template = ChatTemplate.load(spec.tokenizer(), spec.chatTemplate());
        try (Tokenizer tokenizer = Tokenizers.load(spec.tokenizer().toString())) {
            Labeler driverLabeler = new Labeler(template, tokenizer, spec.allowSpecialText());
            Map<String, Object> identity = identity(spec, driverLabeler, JsonlInput.manifestValue(spec.in()), "input_sha256",
                    dev.granular.corpus.reader.CorpusReader.fingerprint(files));
            OutputDirectory dir = open(spec, spec.out(), identity);
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Broadcast<ShippedTokenizer> broadcast = jsc.broadcast(shipped);
            LabelledRecords labelled = null;
            try {
                JavaRDD<Row> lines = lines(jsc, files);
                boolean inOrder = spec.partitions() == 0;
                if (!inOrder) {
                    lines = lines.repartition(spec.partitions());
                }
                labelled = LabelledRecords.of(spark, lines, Places.files(files.stream().map(Path::toString).toList()), broadcast, spec);
                return write(spark, labelled, inOrder, spec, dir, driverLabeler, identity, started);
            } catch (RuntimeException | Error e) {
                throw abandon(dir, e);
            } finally {
                if (labelled != null) {
                    labelled.close();
                }
                broadcast.destroy();
            }
        }
    }

    /**
     * The manifest's identity of an export: the options, the input as {@code input}, and its fingerprint under
     * {@code digestKey}. The keys keep their order, and with it the fingerprint of the file export's folders.
     */
    static Map<String, Object> identity(Spec spec, Labeler labeler, Object input, String digestKey, Object digest) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("format", spec.format().wireName());
        identity.put("input", input);
        identity.put(digestKey, digest);
        identity.put("tokenizer", labeler.tokenizer().name());
        identity.put("tokenizer_fingerprint", labeler.tokenizer().fingerprint());
        identity.put("chat_template_fingerprint", labeler.template().fingerprint());
        identity.put("allow_special_text", spec.allowSpecialText());
        identity.put("max_length", spec.maxLength());
        identity.put("truncation", spec.truncation().wireName());
        identity.put("pack", spec.pack());
        identity.put("file_format", spec.fileFormat().wireName());
        identity.put("engine", "spark");
        return identity;
    }

    /** Opens {@code out} as granular's output folder for {@code spec}'s export (no input may hold it) and empties its data. */
    static OutputDirectory open(Spec spec, Path out, Map<String, Object> identity) {
        List<Path> inputs = new ArrayList<>(spec.in());
        inputs.add(spec.tokenizer());
        if (spec.chatTemplate() != null) {
            inputs.add(spec.chatTemplate());
        }
        OutputDirectory dir = OutputDirectory.open(out, "export", identity, spec.shardSize(), spec.overwrite(), inputs);
        dir.clearData();
        return dir;
    }

    /** A failed write leaves nothing half-written; the folder is released with the reported cause. Rethrows errors. */
    static RuntimeException abandon(OutputDirectory dir, Throwable e) {
        try {
            dir.clearData();
        } catch (RuntimeException cleanup) {
            e.addSuppressed(cleanup);
        }
        dir.abandon(unwrap(e));
        if (e instanceof Error err) {
            throw err;
        }
        return (RuntimeException) e;
    }

    /**
     * Writes labelled records into {@code dir} as the single-machine export writes them: the rows in order (sorted
     * back by (file, line) unless {@code inOrder}), rejected.jsonl, the report, the card, the manifest last.
     */
    static Result write(SparkSession spark, LabelledRecords labelled, boolean inOrder, Spec spec, OutputDirectory dir,
                        Labeler driverLabeler, Map<String, Object> identity, Instant started) {
        try {
            Path staging = dir.workDir().resolve("spark-rows");
            OutputDirectory.deleteTree(staging);
            Result result = labelled.result();
            if (result.examples() > 0) { // else no data file at all, as the single-machine export (Spark would write an empty one)
                boolean packed = spec.pack() > 0;
                Column[] columns = spec.format().columns(packed).stream().map(c -> col(c)).toArray(Column[]::new);
                Dataset<Row> rows = packed ? labelled.packed(spark) : labelled.examples(spark);
                // Unshuffled, the partitions are the input files' splits in order (textFile, union, mapPartitions and
                // filter keep it), and the writer names its files by partition: the rows are already in input order.
                // After a repartition they are sorted back by (file, line). Packed rows come one shard a partition, in order.
                if (!packed && !inOrder) {
                    rows = rows.orderBy("file", "line");
                }
                writeRows(rows.select(columns), spec, staging);
                publish(staging, dir, spec.fileFormat());
            }
            if (!labelled.skipped().isEmpty()) {
                StringBuilder sb = new StringBuilder();
                for (Row s : labelled.skipped()) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("id", s.getString(2));
                    line.put("reason", s.getString(3));
                    sb.append(JSON.writeValueAsString(line)).append('\n');
                }
                AtomicFiles.write(dir.dir().resolve("rejected.jsonl"), sb.toString());
            }
            // The report and the card are the single-machine export's own (TokenExportJob writes them with the same call).
            Map<String, Object> summary = TokenExportFiles.writeReportAndCard(spec.singleMachine(), driverLabeler, dir,
                    new TokenExportJob.Result(result.records(), result.examples(), result.rows(), result.tokens(),
                            result.trainedTokens(), result.truncated(), result.dropped(), result.rejected(), labelled.rejectedByReason()),
                    labelled.lengths(), Map.of());
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("tool", "granular");
            manifest.put("command", "spark export");
            manifest.put("command_line", spec.commandLine());
            manifest.putAll(identity);
            manifest.put("chat_template", driverLabeler.template().source());
            manifest.put("spark_master", spark.sparkContext().master());
            manifest.put("fingerprint", dir.fingerprint());
            manifest.put("counts", summary);
            manifest.put("started", started.toString());
            manifest.put("ended", Instant.now().toString());
            dir.finish(manifest);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.dir(), e);
        }
    }

    /**
     * The packed rows, in order: every example goes to its place in the plan (one shuffle of the token ids),
     * partitioned so that partition {@code i} holds exactly the rows of the single-machine export's shard
     * {@code i} ({@code shardSize} rows each, the last fewer), sorted by place; each partition then joins its
     * runs of examples of one row. Rows of {@link #packedSchema}: the row's index, its examples' ids, the format's
     * packed columns (int[] values).
     */
    static JavaRDD<Row> packRows(JavaRDD<Row> labelled, Broadcast<PackPlan> plan, Broadcast<ShippedTokenizer> shipped, Spec spec) {
        int keys = KEY.size();
        long rows = plan.value().rows();
        int shards = Math.toIntExact((rows + spec.shardSize() - 1) / spec.shardSize());
        TokenFormat format = spec.format();
        int pack = spec.pack();
        JavaPairRDD<Long, Tuple2<String, int[][]>> placed = labelled.filter(r -> r.isNullAt(3)).mapToPair(r -> new Tuple2<>(
                plan.value().place(r.getInt(0), r.getLong(1)),
                new Tuple2<>(r.getString(2), new int[][]{(int[]) r.get(keys), (int[]) r.get(keys + 1)})));
        return placed.repartitionAndSortWithinPartitions(new ShardPartitioner(shards, spec.shardSize()))
                .mapPartitions(it -> new PackedRows(it, TokenExport.of(shipped.value().labeler()).withPack(pack), format));
    }

    /** Partition {@code i}: the rows {@code [i * shardSize, (i + 1) * shardSize)}, by the row of a {@link PackPlan} place. */
    static final class ShardPartitioner extends Partitioner {
        private final int shards;
        private final int shardSize;

        ShardPartitioner(int shards, int shardSize) {
            this.shards = shards;
            this.shardSize = shardSize;
        }

        @Override
        public int numPartitions() {
            return shards;
        }

        @Override
        public int getPartition(Object key) {
            return Math.toIntExact(PackPlan.row((Long) key) / shardSize);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShardPartitioner p && p.shards == shards && p.shardSize == shardSize;
        }

        @Override
        public int hashCode() {
            return 31 * shards + shardSize;
        }
    }

    /**
     * Joins sorted (place, {ids, labels}) pairs into packed rows. A row's examples come in the order the
     * planner put them in (longest first, ties in input order); {@link TokenExport#pack} run on just them puts
     * them all in one row in that same order (each fits, as they fitted together), so the row's token ids,
     * labels and position ids are made by the single-machine export's own code.
     */
    private static final class PackedRows implements Iterator<Row> {
        private final Iterator<Tuple2<Long, Tuple2<String, int[][]>>> in;
        private final TokenExport export;
        private final TokenFormat format;
        private Tuple2<Long, Tuple2<String, int[][]>> next;

        PackedRows(Iterator<Tuple2<Long, Tuple2<String, int[][]>>> in, TokenExport export, TokenFormat format) {
            this.in = in;
            this.export = export;
            this.format = format;
            this.next = in.hasNext() ? in.next() : null;
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Row next() {
            if (next == null) {
                throw new java.util.NoSuchElementException();
            }
            long row = PackPlan.row(next._1());
            List<TokenExport.Example> bin = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            while (next != null && PackPlan.row(next._1()) == row) {
                if ((int) (long) next._1() != bin.size()) {
                    throw new IllegalStateException("row " + row + ": example " + bin.size() + " missing");
                }
                ids.add(next._2()._1());
                bin.add(new TokenExport.Example("", next._2()._2()[0], next._2()._2()[1], 0, false));
                next = in.hasNext() ? in.next() : null;
            }
            List<TokenRow> packed = export.pack(bin);
            if (packed.size() != 1) {
                throw new IllegalStateException("row " + row + ": its " + bin.size() + " examples do not fit one row");
            }
            int[][] columns = packed.getFirst().columns(format);
            Object[] values = new Object[2 + columns.length];
            values[0] = row;
            values[1] = ids.toArray(String[]::new);
            System.arraycopy(columns, 0, values, 2, columns.length);
            return RowFactory.create(values);
        }
    }

    /**
     * Writes {@code rows} (the format's columns, in order) into {@code staging} as Parquet, or as the lines of
     * {@code --tokens-format jsonl} ({@link TokenExportJob#jsonLine}), at most {@code shardSize} rows a file.
     */
    static void writeRows(Dataset<Row> rows, Spec spec, Path staging) {
        String to = staging.toAbsolutePath().toUri().toString();
        if (spec.fileFormat() == TokenExportJob.FileFormat.JSONL) {
            List<String> columns = List.of(rows.columns());
            JavaRDD<String> text = rows.javaRDD().map(r -> {
                int[][] values = new int[columns.size()][];
                for (int i = 0; i < values.length; i++) {
                    values[i] = ints(r.getList(i));
                }
                return TokenExportFiles.jsonLine(columns, values);
            });
            rows.sparkSession().createDataset(text.rdd(), Encoders.STRING()).write()
                    .option("maxRecordsPerFile", spec.shardSize())
                    .text(to);
            return;
        }
        rows.write()
                .option("compression", "zstd")
                // as the single-machine writer: a dictionary of token ids costs a hash per value for little gain after ZSTD
                .option("parquet.enable.dictionary", "false")
                .option("maxRecordsPerFile", spec.shardSize())
                .parquet(to);
    }

    private static int[] ints(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = l.get(k);
        }
        return a;
    }

    static Throwable unwrap(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException) {
                return t;
            }
        }
        return e;
    }

    /** Moves Spark's part files, in name (= row) order, to data/part-NNNNN.parquet (or .jsonl). */
    static void publish(Path staging, OutputDirectory dir, TokenExportJob.FileFormat fileFormat) throws IOException {
        String from = fileFormat == TokenExportJob.FileFormat.PARQUET ? ".parquet" : ".txt";
        List<Path> parts;
        try (Stream<Path> s = Files.list(staging)) {
            parts = s.filter(p -> p.getFileName().toString().startsWith("part-") && p.getFileName().toString().endsWith(from))
                    .sorted().toList();
        }
        int shard = 0;
        for (Path p : parts) {
            Path target = dir.dataDir().resolve(String.format(Locale.ROOT, "part-%05d.%s", shard++, fileFormat.wireName()));
            OutputDirectory.claim(target);
            AtomicFiles.move(p, target);
        }
        OutputDirectory.deleteTree(staging);
    }
}
