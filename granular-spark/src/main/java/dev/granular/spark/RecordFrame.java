package dev.granular.spark;

import dev.granular.io.BadInputException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

/**
 * Canonical records (docs/format.md) in a DataFrame, and the order that stands in for the input order of the file
 * commands: it decides which record of a content is first for dedup, which examples share a packed row, and which
 * bad record is reported. Two shapes are read:
 * <ul>
 *   <li>a {@code messages} column (as {@code spark.read().json(dir)} gives): each record is made from the columns
 *   {@code id}, {@code messages}, {@code tools} and {@code meta} ({@link RowJson} has the type mapping; other columns
 *   are not part of the record);</li>
 *   <li>else a string {@code value} column (as {@code spark.read().text(files)} gives): one JSON record per value.</li>
 * </ul>
 *
 * <pre>{@code
 * RecordFrame records = RecordFrame.of(spark.read().json("out/demo/data")).withOrder("n");
 * }</pre>
 *
 * @param frame the records
 * @param order an integral column (int or long) holding each record's place, unique and never null; null for the
 *              frame's own order ({@code monotonically_increasing_id()}: partition, then row within it, which depends
 *              on how Spark split the input)
 */
public record RecordFrame(Dataset<Row> frame, String order) {
    /** The order column's name in the results when none is given. */
    public static final String DEFAULT_ORDER = "order";
    static final String CORRUPT = "_corrupt_record";
    private static final List<String> RECORD_COLUMNS = List.of("id", "messages", "tools", "meta");

    public RecordFrame {
        Objects.requireNonNull(frame, "frame");
        List<String> columns = Arrays.asList(frame.columns());
        if (order != null) {
            checkOrder(frame, order);
        } else if (columns.contains(DEFAULT_ORDER)) {
            throw new BadInputException("the DataFrame has a column '" + DEFAULT_ORDER + "': name it as the order with withOrder(\""
                    + DEFAULT_ORDER + "\"), or rename it");
        }
        shape(frame.schema());
    }

    /** An order column is in {@code frame} and integral (also {@link CorpusFrame}'s rule). */
    static void checkOrder(Dataset<Row> frame, String order) {
        List<String> columns = Arrays.asList(frame.columns());
        if (!columns.contains(order)) {
            throw new BadInputException("order column '" + order + "' is not in the DataFrame (columns " + columns + ")");
        }
        DataType t = frame.schema().apply(order).dataType();
        if (!List.of(DataTypes.LongType, DataTypes.IntegerType, DataTypes.ShortType, DataTypes.ByteType).contains(t)) {
            throw new BadInputException("order column '" + order + "' is " + t.simpleString()
                    + ", expected int or long (number the rows, e.g. with row_number() over a window, or zipWithIndex)");
        }
    }

    /** The records of {@code frame} in its own order (see {@link #order}). */
    public static RecordFrame of(Dataset<Row> frame) {
        return new RecordFrame(frame, null);
    }

    /** The records in the order of {@code column}'s values (int or long, unique, never null). */
    public RecordFrame withOrder(String column) {
        return new RecordFrame(frame, Objects.requireNonNull(column, "column"));
    }

    /** The order column's name in results: {@link #order}, else {@link #DEFAULT_ORDER}. */
    public String orderColumn() {
        return order == null ? DEFAULT_ORDER : order;
    }

    /** The frame with its order column (added as {@link #DEFAULT_ORDER} when none is given). */
    Dataset<Row> ordered() {
        return order == null ? frame.withColumn(DEFAULT_ORDER, monotonically_increasing_id()) : frame;
    }

    /** Whether the records are struct columns ({@code messages}), else JSON text in {@code value}. */
    private static boolean shape(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (names.contains("messages")) {
            return true;
        }
        if (names.contains("value") && schema.apply("value").dataType().equals(DataTypes.StringType)) {
            return false;
        }
        throw new BadInputException("a DataFrame of records needs a 'messages' column (as spark.read().json(dir) gives) or a string"
                + " 'value' column of JSON records (as spark.read().text(files) gives); it has " + names);
    }

    /**
     * As {@link SparkTokenExport#lines}: rows {@code (file int = 0, line long = the order value, text string, where
     * string)}, text one record's JSON, where what an error message names ("row n=17 (id "r3")"). Made on the executors.
     * A record with a null order value has text null and the whole error message in where.
     */
    JavaRDD<Row> lines(Dataset<Row> ordered) {
        String orderName = orderColumn();
        Places places = Places.frame(this);
        List<Column> select = new ArrayList<>(List.of(col(orderName)));
        List<String> names = Arrays.asList(ordered.columns());
        boolean corrupt = names.contains(CORRUPT);
        if (corrupt) {
            select.add(col(CORRUPT));
        }
        boolean structs = shape(ordered.schema());
        List<String> fields = structs ? RECORD_COLUMNS.stream().filter(names::contains).toList() : List.of("value");
        fields.forEach(f -> select.add(col(f)));
        Dataset<Row> picked = ordered.select(select.toArray(Column[]::new));
        StructType schema = picked.schema();
        int first = corrupt ? 2 : 1;
        return picked.javaRDD().map(r -> {
            String idHint = structs && names.contains("id") && schema.apply("id").dataType().equals(DataTypes.StringType)
                    && !r.isNullAt(first + fields.indexOf("id")) ? " (id \"" + r.getString(first + fields.indexOf("id")) + "\")" : "";
            // A record without a place is reported as data too (text null, where the message), placed first: an
            // exception thrown here would reach the driver as Spark's "task failed" text, not as the error it is.
            if (r.isNullAt(0) && corrupt && !r.isNullAt(1)) {
                // Spark's JSON reader could not read the line, order column included: all there is to name is its text.
                String line = r.getString(1);
                return RowFactory.create(0, Long.MIN_VALUE, null, "a record Spark's JSON reader could not read (" + CORRUPT + "): "
                        + (line.length() > 200 ? line.substring(0, 200) + "..." : line));
            }
            if (r.isNullAt(0)) {
                return RowFactory.create(0, Long.MIN_VALUE, null, "a record" + idHint + " has no place in the order: its '" + orderName
                        + "' is null");
            }
            long at = ((Number) r.get(0)).longValue();
            String where = places.at(0, at) + idHint;
            String text;
            if (corrupt && !r.isNullAt(1)) {
                // Spark's JSON reader could not read this line: parse it again to say what is wrong with it.
                text = r.getString(1);
            } else if (!structs) {
                text = r.isNullAt(first) ? "" : r.getString(first);
            } else {
                text = RowJson.record(r, schema, first);
            }
            return RowFactory.create(0, at, text, where);
        });
    }
}
