package dev.granular.parquet;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferAllocator;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.crypto.FileDecryptionProperties;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetMetricsCallback;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Reads one text column (and the {@code id} column when there is a usable one) of a Parquet file,
 * without Hadoop: a {@link LocalInputFile}, a {@link PlainParquetConfiguration} and the Hadoop-free
 * {@link ParquetCodecs} (see {@link #OPTIONS}); rows are assembled with parquet's example
 * {@link Group} API. Nothing of parquet appears in its signature: granular-core's corpus reader calls
 * it, and granular-core as a named module cannot read the parquet jars (see this module's pom).
 */
public final class ParquetTextFile {
    private static final String ID = "id";

    /** One row of the file, in file order. */
    @FunctionalInterface
    public interface RowVisitor {
        /**
         * @param row  0-based row number in the file
         * @param text the text column's bytes (UTF-8 as written, not checked), or null when the value is null
         * @param id   the {@code id} column as a string, or null when there is no usable column or the value is null
         */
        void row(long row, ByteBuffer text, String id);
    }

    /**
     * {@code ParquetReadOptions}' own constructor. Its builder cannot be used: the builder's
     * constructor always makes parquet's Hadoop {@code CodecFactory}, a class that cannot even be
     * loaded without Hadoop, before {@code withCodecFactory} could replace it. So the options are
     * made directly, with the builder's defaults and {@link ParquetCodecs}; the constructor is
     * package-private, hence the reflection (fine: parquet sits on the class path, in the unnamed
     * module, which opens all its packages). Tied to parquet-hadoop 1.18; the Parquet tests fail
     * loudly if it changes.
     */
    private static final Constructor<ParquetReadOptions> OPTIONS;

    static {
        try {
            OPTIONS = ParquetReadOptions.class.getDeclaredConstructor(
                    boolean.class, boolean.class, boolean.class, boolean.class, boolean.class,
                    boolean.class, boolean.class, boolean.class, boolean.class,
                    FilterCompat.Filter.class, ParquetMetadataConverter.MetadataFilter.class,
                    CompressionCodecFactory.class, ByteBufferAllocator.class, int.class, Map.class,
                    FileDecryptionProperties.class, ParquetMetricsCallback.class, ParquetConfiguration.class);
            OPTIONS.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ParquetTextFile() {
    }

    /**
     * Calls {@code rows} for every row of {@code file}, reading only column {@code field} and, when it is
     * a top-level, non-repeated string or integer column other than {@code field}, column {@code id}.
     * A file that is not Parquet, is damaged, or whose {@code field} is missing or not a string column
     * throws {@link BadParquetFileException}; exceptions thrown by {@code rows} pass through unchanged.
     */
    public static void read(Path file, String field, RowVisitor rows) throws IOException {
        ParquetReadOptions options = readOptions();
        ParquetFileReader reader;
        try {
            reader = new ParquetFileReader(new LocalInputFile(file), options);
        } catch (IOException | RuntimeException e) {
            throw corrupt("not a readable Parquet file", e);
        }
        try (reader) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            PrimitiveType text = textColumn(schema, field);
            PrimitiveType id = idColumn(schema, field);
            List<Type> columns = new ArrayList<>(List.of(text));
            if (id != null) {
                columns.add(id);
            }
            MessageType projection = new MessageType(schema.getName(), columns);
            reader.setRequestedSchema(projection);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection, schema);
            long row = 0;
            for (PageReadStore group = next(reader, row); group != null; group = next(reader, row)) {
                RecordReader<Group> records = io.getRecordReader(group, new GroupRecordConverter(projection));
                for (long i = 0, n = group.getRowCount(); i < n; i++, row++) {
                    Group record;
                    try {
                        record = records.read();
                    } catch (RuntimeException e) {
                        throw corrupt("cannot read row " + row, e);
                    }
                    ByteBuffer value = record.getFieldRepetitionCount(field) == 0
                            ? null : record.getBinary(field, 0).toByteBuffer();
                    String docId = id == null || record.getFieldRepetitionCount(ID) == 0 ? null : idOf(record, id);
                    rows.row(row, value, docId);
                }
            }
        }
    }

    private static String idOf(Group record, PrimitiveType id) {
        return switch (id.getPrimitiveTypeName()) {
            case INT32 -> Integer.toString(record.getInteger(ID, 0));
            case INT64 -> Long.toString(record.getLong(ID, 0));
            default -> record.getBinary(ID, 0).toStringUsingUTF8();
        };
    }

    /** The text column: a top-level, non-repeated BINARY column; anything else fails the file. */
    private static PrimitiveType textColumn(MessageType schema, String field) {
        if (!schema.containsField(field)) {
            List<String> names = schema.getFields().stream().map(Type::getName).toList();
            throw new BadParquetFileException("no text column \"" + field + "\"; the file has columns " + names);
        }
        Type type = schema.getType(field);
        if (!type.isPrimitive() || type.isRepetition(Type.Repetition.REPEATED)
                || type.asPrimitiveType().getPrimitiveTypeName() != PrimitiveTypeName.BINARY) {
            throw new BadParquetFileException("text column \"" + field + "\" is " + type + ", not a string column");
        }
        return type.asPrimitiveType();
    }

    /** The {@code id} column when it is a top-level, non-repeated string or integer column; else null. */
    private static PrimitiveType idColumn(MessageType schema, String field) {
        if (field.equals(ID) || !schema.containsField(ID)) {
            return null;
        }
        Type type = schema.getType(ID);
        if (!type.isPrimitive() || type.isRepetition(Type.Repetition.REPEATED)) {
            return null;
        }
        return switch (type.asPrimitiveType().getPrimitiveTypeName()) {
            case BINARY, INT32, INT64 -> type.asPrimitiveType();
            default -> null;
        };
    }

    /** Read options with parquet's defaults, no filters, and the Hadoop-free codecs. */
    private static ParquetReadOptions readOptions() {
        try {
            return OPTIONS.newInstance(
                    false, // useSignedStringMinMax
                    true, // useStatsFilter
                    true, // useDictionaryFilter
                    true, // useRecordFilter
                    true, // useColumnIndexFilter
                    false, // usePageChecksumVerification
                    true, // useBloomFilter
                    false, // useOffHeapDecryptBuffer
                    false, // useHadoopVectoredIo
                    FilterCompat.NOOP,
                    ParquetMetadataConverter.NO_FILTER,
                    new ParquetCodecs(),
                    new HeapByteBufferAllocator(),
                    8 << 20, // maxAllocationSize, parquet's default
                    new HashMap<String, String>(),
                    null, // no decryption
                    null, // no metrics callback
                    new PlainParquetConfiguration());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make Parquet read options", e);
        }
    }

    private static PageReadStore next(ParquetFileReader reader, long row) {
        try {
            return reader.readNextRowGroup();
        } catch (IOException | RuntimeException e) {
            throw corrupt("cannot read the row group starting at row " + row, e);
        }
    }

    private static BadParquetFileException corrupt(String what, Exception e) {
        String message = e.getMessage();
        return new BadParquetFileException(what + ": " + e.getClass().getSimpleName()
                + (message == null ? "" : ": " + message));
    }
}
