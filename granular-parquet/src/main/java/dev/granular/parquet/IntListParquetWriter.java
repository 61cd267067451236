package dev.granular.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes a Parquet file whose columns are all lists of int32, in the standard three-level LIST
 * encoding pyarrow writes ({@code optional group NAME (LIST) { repeated group list { optional int32
 * element; } }}), so pandas, DuckDB and Hugging Face datasets read them as integer lists. ZSTD
 * pages. No Hadoop: the file goes through {@link LocalOutputFile} and the codecs through {@link
 * ParquetCodecs}; row groups are cut by buffered size as parquet-hadoop's own writer does. Values
 * go straight to the column writers with their repetition and definition levels.
 */
public final class IntListParquetWriter implements AutoCloseable {
    private static final long ROW_GROUP_BYTES = 64L * 1024 * 1024;

    private final List<String> columns;
    private final MessageType schema;
    private final ParquetProperties props;
    private final ParquetFileWriter file;
    private final ParquetCodecs codecs = new ParquetCodecs();
    private final Map<String, String> metadata;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore store;
    private ColumnWriter[] writers;
    private long rows;

    public IntListParquetWriter(Path path, List<String> columns, Map<String, String> metadata) throws IOException {
        this.columns = List.copyOf(columns);
        this.metadata = Map.copyOf(metadata);
        StringBuilder s = new StringBuilder("message schema {\n");
        for (String c : columns) {
            s.append("  optional group ").append(c).append(" (LIST) {\n    repeated group list {\n      optional int32 element;\n    }\n  }\n");
        }
        this.schema = MessageTypeParser.parseMessageType(s.append("}\n").toString());
        // Plain pages + ZSTD: dictionary-encoding token ids costs a hash per value for little gain after ZSTD.
        this.props = ParquetProperties.builder().withDictionaryEncoding(false).build();
        this.file = new ParquetFileWriter(new LocalOutputFile(path), schema, ParquetFileWriter.Mode.CREATE, ROW_GROUP_BYTES, 0,
                props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(), props.getPageWriteChecksumEnabled());
        file.start();
        newRowGroup();
    }

    private void newRowGroup() {
        pages = new ColumnChunkPageWriteStore(codecs.getCompressor(CompressionCodecName.ZSTD), schema, props.getAllocator(),
                props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        store = props.newColumnWriteStore(schema, pages, pages);
        List<ColumnDescriptor> descriptors = schema.getColumns();
        writers = new ColumnWriter[descriptors.size()];
        for (int c = 0; c < writers.length; c++) {
            writers[c] = store.getColumnWriter(descriptors.get(c));
        }
    }

    /** Writes one row: one int list per column, in the order the columns were given. */
    public void write(int[][] values) throws IOException {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " columns, got " + values.length);
        }
        // Written straight to the column writers with Dremel levels (much faster than a RecordConsumer
        // walking groups per element): optional group (1) > repeated list (2) > optional element (3).
        // An element has definition level 3; repetition level 0 starts the row's list, 1 continues it.
        // An empty list is one null at definition level 1.
        for (int c = 0; c < values.length; c++) {
            ColumnWriter w = writers[c];
            int[] v = values[c];
            if (v.length == 0) {
                w.writeNull(0, 1);
                continue;
            }
            w.write(v[0], 0, 3);
            for (int i = 1; i < v.length; i++) {
                w.write(v[i], 1, 3);
            }
        }
        store.endRecord();
        rows++;
        if (store.getBufferedSize() > ROW_GROUP_BYTES) {
            flushRowGroup();
            newRowGroup();
        }
    }

    private void flushRowGroup() throws IOException {
        if (rows > 0) {
            file.startBlock(rows);
            store.flush();
            pages.flushToFileWriter(file);
            file.endBlock();
            rows = 0;
        }
        store.close();
        pages.close();
    }

    @Override
    public void close() throws IOException {
        flushRowGroup();
        file.end(metadata);
    }
}
