package dev.granular.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

import java.math.BigDecimal;
import java.util.Base64;
import java.util.Map;

/**
 * A record held in struct columns, as JSON text for {@link dev.granular.record.RecordJson#parse}, which then checks it
 * as it checks a line of a file. How Spark's types map:
 * <ul>
 *   <li>struct → object, array → array, map → object (keys as text), string, boolean and numbers as themselves
 *   (decimals exactly), binary → base64 text, dates and timestamps → their text;</li>
 *   <li>a null struct field is an absent field (Spark's JSON reader gives every record every field any record has, so
 *   {@code tools}, {@code train_detail} or a {@code meta} key some records lack are null in the others), except a
 *   message's {@code content}, which is kept as null (the format's null content of a tool-calling turn);</li>
 *   <li>null inside an array stays null.</li>
 * </ul>
 */
final class RowJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RowJson() {
    }

    /** The record of the columns {@code from..} of {@code row} (id, messages, tools, meta: whichever the frame has). */
    static String record(Row row, StructType schema, int from) {
        ObjectNode out = NODES.objectNode();
        StructField[] fields = schema.fields();
        for (int i = from; i < fields.length; i++) {
            if (!row.isNullAt(i)) {
                out.set(fields[i].name(), fields[i].name().equals("messages")
                        ? messages(row.get(i), fields[i].dataType()) : value(row.get(i), fields[i].dataType()));
            }
        }
        return out.toString();
    }

    /** The messages: as {@link #value}, keeping a null {@code content} of a message. */
    private static JsonNode messages(Object v, DataType type) {
        if (!(type instanceof ArrayType a) || !(a.elementType() instanceof StructType s)) {
            return value(v, type);
        }
        ArrayNode out = NODES.arrayNode();
        for (Object m : CollectionConverters.asJava((scala.collection.Iterable<?>) v)) {
            out.add(m == null ? NODES.nullNode() : object((Row) m, s, "content"));
        }
        return out;
    }

    private static ObjectNode object(Row row, StructType type, String keepNull) {
        ObjectNode out = NODES.objectNode();
        StructField[] fields = type.fields();
        for (int i = 0; i < fields.length; i++) {
            if (!row.isNullAt(i)) {
                out.set(fields[i].name(), value(row.get(i), fields[i].dataType()));
            } else if (fields[i].name().equals(keepNull)) {
                out.putNull(fields[i].name());
            }
        }
        return out;
    }

    static JsonNode value(Object v, DataType type) {
        if (v == null) {
            return NODES.nullNode();
        }
        return switch (type) {
            case StructType s -> object((Row) v, s, null);
            case ArrayType a -> {
                ArrayNode out = NODES.arrayNode();
                for (Object e : CollectionConverters.asJava((scala.collection.Iterable<?>) v)) {
                    out.add(value(e, a.elementType()));
                }
                yield out;
            }
            case MapType m -> {
                ObjectNode out = NODES.objectNode();
                for (Map.Entry<?, ?> e : CollectionConverters.asJava((scala.collection.Map<?, ?>) v).entrySet()) {
                    out.set(String.valueOf(e.getKey()), value(e.getValue(), m.valueType()));
                }
                yield out;
            }
            case BooleanType b -> NODES.booleanNode((Boolean) v);
            case BinaryType b -> NODES.textNode(Base64.getEncoder().encodeToString((byte[]) v));
            default -> switch (v) {
                case String s -> NODES.textNode(s);
                case Long l -> NODES.numberNode(l);
                case Integer n -> NODES.numberNode(n);
                case Short n -> NODES.numberNode(n);
                case Byte n -> NODES.numberNode(n);
                case Double d -> NODES.numberNode(d);
                case Float f -> NODES.numberNode(f);
                case BigDecimal d -> NODES.numberNode(d);
                default -> NODES.textNode(v.toString());
            };
        };
    }
}
