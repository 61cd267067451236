package dev.granular.spark;

import dev.granular.io.BadInputException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A corpus for {@link SparkIn2} in a DataFrame (Parquet, a table, JSON in S3 or HDFS): one document per row, read and
 * prepared on the executors from the frame's partitions, never collected on the driver. The order stands in for the
 * order of the corpus files of {@code granular in2}: the same rows in the same order give the same data files, whatever
 * the frame's partitioning.
 *
 * <pre>{@code
 * CorpusFrame corpus = CorpusFrame.of(spark.read().parquet("s3a://bucket/docs")).withText("body").withId("doc_id").withOrder("n");
 * In2Job.Result r = SparkIn2.run(spark, SparkIn2.Spec.of(corpus, In2Config.DEFAULT.withExamples(5_000), Path.of("out/in2")));
 * }</pre>
 *
 * <p>Rows are read as the corpus reader reads a JSONL or Parquet row: the text is normalised as in files (a leading BOM
 * dropped, {@code \r\n} and {@code \r} to {@code \n}); a null text, an empty or blank document, or a lone surrogate is a
 * bad row, which fails the run naming the row ({@code row n=35 (id "r3"): empty document}) or, with
 * {@code CorpusOptions.withOnBadRow(SKIP)}, is skipped and counted by reason as in {@code granular in2}. A null or
 * repeated order value always fails. All rows are checked before anything is written.
 *
 * @param frame the documents
 * @param text  the text column (string)
 * @param id    the id column (string or integral) or null: a row whose id is null or empty, or every row without an id
 *              column, is named after its place: {@code ORDER=VALUE} ({@code n=35}) with an order column,
 *              {@code row=POSITION} (from 0) in the frame's own order
 * @param order an integral column (int or long) holding each row's place, unique and never null, as for
 *              {@link RecordFrame}; null for the frame's own order (partition, then row within it: how Spark split the
 *              input decides it, so give an order unless the frame is one file read in order)
 */
public record CorpusFrame(Dataset<Row> frame, String text, String id, String order) {
    /** The text column when none is given, as {@code --text-field}'s default. */
    public static final String DEFAULT_TEXT = "text";
    private static final List<DataType> ID_TYPES = List.of(DataTypes.StringType, DataTypes.LongType, DataTypes.IntegerType,
            DataTypes.ShortType, DataTypes.ByteType);

    public CorpusFrame {
        Objects.requireNonNull(frame, "frame");
        Objects.requireNonNull(text, "text");
    }

    /**
     * The documents of {@code frame}: text in {@code text}, ids from an {@code id} column when it has one (as the
     * corpus reader takes a row's {@code id}), in the frame's own order.
     */
    public static CorpusFrame of(Dataset<Row> frame) {
        return new CorpusFrame(frame, DEFAULT_TEXT, Arrays.asList(frame.columns()).contains("id") ? "id" : null, null);
    }

    /** With the text in {@code column} (a string column). */
    public CorpusFrame withText(String column) {
        return new CorpusFrame(frame, column, id, order);
    }

    /** With ids from {@code column} (string or integral); null for none (ids from the order). */
    public CorpusFrame withId(String column) {
        return new CorpusFrame(frame, text, column, order);
    }

    /** In the order of {@code column}'s values (int or long, unique, never null). */
    public CorpusFrame withOrder(String column) {
        return new CorpusFrame(frame, text, id, Objects.requireNonNull(column, "column"));
    }

    /**
     * Checks the columns (names and types), before any row is read.
     *
     * @throws BadInputException naming the column
     */
    void check() {
        List<String> columns = Arrays.asList(frame.columns());
        if (!columns.contains(text)) {
            throw new BadInputException("text column '" + text + "' is not in the DataFrame (columns " + columns
                    + "): name it with withText(column)");
        }
        DataType t = frame.schema().apply(text).dataType();
        if (!t.equals(DataTypes.StringType)) {
            throw new BadInputException("text column '" + text + "' is " + t.simpleString() + ", expected string");
        }
        if (id != null) {
            if (!columns.contains(id)) {
                throw new BadInputException("id column '" + id + "' is not in the DataFrame (columns " + columns + ")");
            }
            DataType i = frame.schema().apply(id).dataType();
            if (!ID_TYPES.contains(i)) {
                throw new BadInputException("id column '" + id + "' is " + i.simpleString()
                        + ", expected string or an integer (withId(null): ids from the order)");
            }
        }
        if (order != null) {
            RecordFrame.checkOrder(frame, order);
        }
    }

    /** How errors name a row: {@code row n=35}, or {@code row 35 (the frame's own order, from 0)}. */
    Places places() {
        return order == null ? new Places(null, "row ", " (the frame's own order, from 0)") : new Places(null, "row " + order + "=", "");
    }

    /** The id of a row without one of its own (see {@link #id}). */
    static String defaultId(String order, long at) {
        return (order == null ? "row" : order) + "=" + at;
    }

    /** How the dataset card names the corpus. */
    String label(long rows) {
        return "a Spark DataFrame of " + rows + " rows (text column '" + text + "', "
                + (id == null ? "no id column" : "id column '" + id + "'") + ", "
                + (order == null ? "the frame's own order" : "order column '" + order + "'") + ")";
    }
}
