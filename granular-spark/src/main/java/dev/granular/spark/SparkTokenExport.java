package dev.granular.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.export.TokenExport;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.export.Truncation;
import dev.granular.files.AtomicFiles;
import dev.granular.io.BadInputException;
import dev.granular.files.OutputDirectory;
import dev.granular.record.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

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
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * {@code granular spark export}: the token export ({@code export --format tokens|trl-tokens},
 * Parquet, unpacked) as a Spark job. Each record is labelled by the same per-record step as the
 * single-machine export ({@link TokenExport#label}), on executors, with the tokenizer and
 * template files broadcast from the driver ({@link ShippedTokenizer}); the rows are then sorted
 * by where their record was in the input (file, line), so the Parquet rows, read in file-name
 * order, are the single-machine export's rows in the same order, whatever the partitioning.
 *
 * <pre>{@code
 * try (SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate()) {
 *     SparkTokenExport.run(spark, new SparkTokenExport.Spec(List.of(Path.of("out/in2")), TokenFormat.TOKENS,
 *             Path.of("out/in2-tokens"), Path.of("models/qwen3"), null, 4096, Truncation.LEFT_CONTEXT, 10_000, 0,
 *             false, false, List.of("spark", "export")));
 * }
 * }</pre>
 *
 * <p>The output directory is granular's ({@link OutputDirectory}: manifest last, rejected.jsonl
 * for the records left out, --overwrite rules), so {@code --out} must be a path the driver
 * writes to with java.nio (a local or shared file system), as the input paths are.
 */
public final class SparkTokenExport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Columns of the labelled rows before the format's own: where the record was and what became of it. */
    private static final List<String> KEY = List.of("file", "line", "id", "skip_reason", "dropped", "truncated", "trained", "error");

    /**
     * What to export: {@link TokenExportJob.Spec}'s fields that apply (no packing, Parquet only).
     *
     * @param partitions how many partitions to label the records in; 0 for Spark's split of the input files
     */
    public record Spec(List<Path> in, TokenFormat format, Path out, Path tokenizer, Path chatTemplate, int maxLength,
                       Truncation truncation, int shardSize, int partitions, boolean allowSpecialText, boolean overwrite,
                       List<String> commandLine) {
        public Spec {
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
            if (maxLength < 0 || shardSize < 1 || partitions < 0) {
                throw new IllegalArgumentException("maxLength and partitions must be >= 0 and shardSize >= 1");
            }
        }
    }

    /** What an export did; the same counts as {@link TokenExportJob.Result} without packing. */
    public record Result(long records, long examples, long rows, long tokens, long trainedTokens, long truncated, long dropped,
                         long rejected) {
    }

    private SparkTokenExport() {
    }

    /** The Parquet columns of {@code format} (unpacked): nullable lists of nullable int32, as the single-machine writer's. */
    public static StructType schema(TokenFormat format) {
        List<StructField> fields = new ArrayList<>();
        for (String c : format.columns(false)) {
            fields.add(DataTypes.createStructField(c, DataTypes.createArrayType(DataTypes.IntegerType, true), true));
        }
        return DataTypes.createStructType(fields);
    }

    /** The per-record columns ({@link #KEY}) and the example's length in tokens. */
    private static StructType metaSchema() {
        List<StructField> fields = new ArrayList<>(List.of(labelledSchema(TokenFormat.TOKENS).fields()).subList(0, KEY.size()));
        fields.add(DataTypes.createStructField("tokens", DataTypes.IntegerType, false));
        return DataTypes.createStructType(fields);
    }

    private static StructType labelledSchema(TokenFormat format) {
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
     * (null when the record was skipped). {@code error} is the message of a bad line (then {@code id} is empty).
     *
     * @param fileNames the files' names for error messages, by index
     */
    public static Dataset<Row> label(SparkSession spark, JavaRDD<Row> lines, List<String> fileNames, Broadcast<ShippedTokenizer> shipped,
                                     TokenFormat format, int limit, Truncation truncation) {
        return spark.createDataFrame(labelRows(lines, fileNames, shipped, format, limit, truncation), labelledSchema(format));
    }

    /** As {@link #label}, as an RDD of rows whose list columns hold {@code int[]}. */
    static JavaRDD<Row> labelRows(JavaRDD<Row> lines, List<String> fileNames, Broadcast<ShippedTokenizer> shipped,
                                  TokenFormat format, int limit, Truncation truncation) {
        List<String> names = List.copyOf(fileNames);
        JavaRDD<Row> labelled = lines.mapPartitions((Iterator<Row> it) -> {
            TokenExport export = TokenExport.of(shipped.value().labeler()).withMaxLength(limit).withTruncation(truncation);
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
                    Object[] values = new Object[KEY.size() + format.columns(false).size()];
                    values[0] = file;
                    values[1] = line;
                    values[4] = false;
                    values[5] = false;
                    values[6] = 0;
                    TrainingRecord r;
                    TokenExport.Outcome outcome;
                    try {
                        if (text.isBlank()) {
                            throw new BadInputException(names.get(file), line, "blank line (canonical record files have none)");
                        }
                        r = RecordJson.parse(text, names.get(file), line);
                        outcome = export.label(r);
                    } catch (BadInputException e) {
                        // Kept as data, not thrown: the driver reports the first bad line in input order, as the
                        // single-machine export does, whichever task meets one first.
                        values[2] = "";
                        values[7] = e.getMessage();
                        return RowFactory.create(values);
                    }
                    values[2] = r.id();
                    switch (outcome) {
                        case TokenExport.Example e -> {
                            values[5] = e.truncated();
                            values[6] = e.trained();
                            int[][] row = e.row().columns(format);
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
            // A bad line found on an executor reaches the driver wrapped in a SparkException: report it as itself.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BadInputException bad) {
                    throw bad;
                }
            }
            throw e;
        }
    }

    private static Result doRun(SparkSession spark, Spec spec) {
        Instant started = Instant.now();
        List<Path> files = RecordReader.dataFiles(spec.in());
        ShippedTokenizer shipped = ShippedTokenizer.read(spec.tokenizer(), spec.chatTemplate(), spec.allowSpecialText());
        // The driver loads the same files for the manifest's identity (and to fail early on a bad template).
        ChatTemplate template = ChatTemplate.load(spec.tokenizer(), spec.chatTemplate());
        Map<String, Object> identity = new LinkedHashMap<>();
        try (Tokenizer tokenizer = Tokenizers.load(spec.tokenizer().toString())) {
            identity.put("format", spec.format().wireName());
            identity.put("input", JsonlInput.manifestValue(spec.in()));
            identity.put("input_sha256", dev.granular.corpus.CorpusReader.fingerprint(files));
            identity.put("tokenizer", tokenizer.name());
            identity.put("tokenizer_fingerprint", tokenizer.fingerprint());
            identity.put("chat_template_fingerprint", template.fingerprint());
            identity.put("allow_special_text", spec.allowSpecialText());
            identity.put("max_length", spec.maxLength());
            identity.put("truncation", spec.truncation().wireName());
            identity.put("pack", 0);
            identity.put("file_format", "parquet");
            identity.put("engine", "spark");
        }
        List<Path> inputs = new ArrayList<>(spec.in());
        inputs.add(spec.tokenizer());
        if (spec.chatTemplate() != null) {
            inputs.add(spec.chatTemplate());
        }
        OutputDirectory dir = OutputDirectory.open(spec.out(), "export", identity, spec.shardSize(), spec.overwrite(), inputs);
        dir.clearData();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ShippedTokenizer> broadcast = jsc.broadcast(shipped);
        JavaRDD<Row> labelled = null;
        Dataset<Row> meta = null;
        try {
            JavaRDD<Row> lines = lines(jsc, files);
            boolean inOrder = spec.partitions() == 0;
            if (!inOrder) {
                lines = lines.repartition(spec.partitions());
            }
            // Kept as deserialized rows (spilled to disk when memory runs short): labelling, the costly step, runs once;
            // the checks and counts below read only the small per-record columns.
            labelled = labelRows(lines, files.stream().map(Path::toString).toList(), broadcast, spec.format(), spec.maxLength(),
                    spec.truncation()).persist(StorageLevel.MEMORY_AND_DISK());
            int keys = KEY.size();
            meta = spark.createDataFrame(labelled.map(r -> {
                Object[] v = new Object[keys + 1];
                for (int i = 0; i < keys; i++) {
                    v[i] = r.get(i);
                }
                v[keys] = r.isNullAt(keys) ? 0 : ((int[]) r.get(keys)).length;
                return RowFactory.create(v);
            }), metaSchema()).persist(StorageLevel.MEMORY_AND_DISK());
            List<Row> bad = meta.filter(col("error").isNotNull()).orderBy("file", "line").select("error").limit(1).collectAsList();
            if (!bad.isEmpty()) {
                throw new BadInputException(bad.getFirst().getString(0));
            }
            refuseDuplicateIds(meta, files);
            Row totals = meta.agg(
                    count(lit(1)),
                    sum(when(col("skip_reason").isNull(), 1).otherwise(0)),
                    sum(col("tokens")),
                    sum(col("trained")),
                    sum(when(col("truncated"), 1).otherwise(0)),
                    sum(when(col("dropped"), 1).otherwise(0))).first();
            long records = totals.getLong(0);
            long examples = records == 0 ? 0 : totals.getLong(1);
            long tokens = records == 0 ? 0 : totals.getLong(2);
            long trained = records == 0 ? 0 : totals.getLong(3);
            long truncated = records == 0 ? 0 : totals.getLong(4);
            long dropped = records == 0 ? 0 : totals.getLong(5);
            List<Row> skipped = meta.filter(col("skip_reason").isNotNull()).select("file", "line", "id", "skip_reason")
                    .orderBy("file", "line").collectAsList();
            Path staging = dir.workDir().resolve("spark-rows");
            OutputDirectory.deleteTree(staging);
            if (examples > 0) { // else no data file at all, as the single-machine export (Spark would write an empty one)
                int width = spec.format().columns(false).size();
                JavaRDD<Row> exampleRows = labelled.filter(r -> r.isNullAt(3)).map(r -> {
                    Object[] v = new Object[2 + width];
                    v[0] = r.get(0);
                    v[1] = r.get(1);
                    for (int i = 0; i < width; i++) {
                        v[2 + i] = r.get(keys + i);
                    }
                    return RowFactory.create(v);
                });
                List<StructField> fields = new ArrayList<>(List.of(
                        DataTypes.createStructField("file", DataTypes.IntegerType, false),
                        DataTypes.createStructField("line", DataTypes.LongType, false)));
                fields.addAll(List.of(schema(spec.format()).fields()));
                Dataset<Row> rowsDf = spark.createDataFrame(exampleRows, DataTypes.createStructType(fields));
                // Unshuffled, the partitions are the input files' splits in order (textFile, union, mapPartitions and
                // filter keep it), and the writer names its files by partition: the rows are already in input order.
                // After a repartition they are sorted back by (file, line).
                if (!inOrder) {
                    rowsDf = rowsDf.orderBy("file", "line");
                }
                Column[] columns = spec.format().columns(false).stream().map(c -> col(c)).toArray(Column[]::new);
                rowsDf.select(columns)
                        .write()
                        .option("compression", "zstd")
                        // as the single-machine writer: a dictionary of token ids costs a hash per value for little gain after ZSTD
                        .option("parquet.enable.dictionary", "false")
                        .option("maxRecordsPerFile", spec.shardSize())
                        .parquet(staging.toAbsolutePath().toUri().toString());
                publish(staging, dir);
            }
            long rows = examples;
            if (!skipped.isEmpty()) {
                StringBuilder sb = new StringBuilder();
                for (Row s : skipped) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("id", s.getString(2));
                    line.put("reason", s.getString(3));
                    sb.append(JSON.writeValueAsString(line)).append('\n');
                }
                AtomicFiles.write(dir.dir().resolve("rejected.jsonl"), sb.toString());
            }
            Result result = new Result(records, examples, rows, tokens, trained, truncated, dropped, records - examples - dropped);
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("records", result.records());
            counts.put("examples", result.examples());
            counts.put("rows", result.rows());
            counts.put("tokens", result.tokens());
            counts.put("trained_tokens", result.trainedTokens());
            counts.put("truncated", result.truncated());
            counts.put("dropped", result.dropped());
            counts.put("rejected", result.rejected());
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("tool", "granular");
            manifest.put("command", "spark export");
            manifest.put("command_line", spec.commandLine());
            manifest.putAll(identity);
            manifest.put("chat_template", template.source());
            manifest.put("spark_master", spark.sparkContext().master());
            manifest.put("fingerprint", dir.fingerprint());
            manifest.put("counts", counts);
            manifest.put("started", started.toString());
            manifest.put("ended", Instant.now().toString());
            dir.finish(manifest);
            return result;
        } catch (IOException e) {
            UncheckedIOException u = new UncheckedIOException("cannot write " + spec.out(), e);
            dir.abandon(u);
            throw u;
        } catch (RuntimeException | Error e) {
            try {
                dir.clearData();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            dir.abandon(unwrap(e));
            throw e;
        } finally {
            if (meta != null) {
                meta.unpersist();
            }
            if (labelled != null) {
                labelled.unpersist();
            }
            broadcast.destroy();
        }
    }

    private static Throwable unwrap(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException) {
                return t;
            }
        }
        return e;
    }

    /** Ids are unique across all inputs, as the single-machine reader requires: the second occurrence is the error. */
    private static void refuseDuplicateIds(Dataset<Row> meta, List<Path> files) {
        List<Row> dups = meta.groupBy("id")
                .agg(count(lit(1)).as("n"), min(struct(col("file"), col("line"))).as("first"))
                .filter(col("n").gt(1))
                .orderBy(col("first.file"), col("first.line"))
                .limit(1)
                .collectAsList();
        if (!dups.isEmpty()) {
            String id = dups.getFirst().getString(0);
            Row first = dups.getFirst().getStruct(2);
            Row second = meta.filter(col("id").equalTo(id))
                    .orderBy("file", "line").select("file", "line").limit(2).collectAsList().get(1);
            throw new BadInputException(files.get(second.getInt(0)).toString(), second.getLong(1), "duplicate id '" + id
                    + "' (first at " + files.get(first.getInt(0)) + ":" + first.getLong(1) + ")");
        }
    }

    /** Moves Spark's part files, in name (= row) order, to data/part-NNNNN.parquet. */
    private static void publish(Path staging, OutputDirectory dir) throws IOException {
        List<Path> parts;
        try (Stream<Path> s = Files.list(staging)) {
            parts = s.filter(p -> p.getFileName().toString().startsWith("part-") && p.getFileName().toString().endsWith(".parquet"))
                    .sorted().toList();
        }
        int shard = 0;
        for (Path p : parts) {
            Path target = dir.dataDir().resolve(String.format(Locale.ROOT, "part-%05d.parquet", shard++));
            OutputDirectory.claim(target);
            AtomicFiles.move(p, target);
        }
        OutputDirectory.deleteTree(staging);
    }
}
