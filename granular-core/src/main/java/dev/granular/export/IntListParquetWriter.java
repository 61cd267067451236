package dev.granular.export;

import dev.granular.corpus.ParquetCodecs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes a Parquet file whose columns are all lists of int32, in the standard three-level LIST
 * encoding pyarrow writes ({@code optional group NAME (LIST) { repeated group list { optional int32
 * element; } }}), so pandas, DuckDB and Hugging Face datasets read them as integer lists. ZSTD
 * pages. No Hadoop: the file goes through {@link LocalOutputFile} and the codecs through {@link
 * ParquetCodecs}; row groups are cut by buffered size as parquet-hadoop's own writer does.
 */
final class IntListParquetWriter implements AutoCloseable {
    private static final long ROW_GROUP_BYTES = 64L * 1024 * 1024;

    private final List<String> columns;
    private final MessageType schema;
    private final ParquetProperties props;
    private final ParquetFileWriter file;
    private final ParquetCodecs codecs = new ParquetCodecs();
    private final Map<String, String> metadata;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore store;
    private RecordConsumer consumer;
    private long rows;

    IntListParquetWriter(Path path, List<String> columns, Map<String, String> metadata) throws IOException {
        this.columns = List.copyOf(columns);
        this.metadata = Map.copyOf(metadata);
        StringBuilder s = new StringBuilder("message schema {\n");
        for (String c : columns) {
            s.append("  optional group ").append(c).append(" (LIST) {\n    repeated group list {\n      optional int32 element;\n    }\n  }\n");
        }
        this.schema = MessageTypeParser.parseMessageType(s.append("}\n").toString());
        this.props = ParquetProperties.builder().build();
        this.file = new ParquetFileWriter(new LocalOutputFile(path), schema, ParquetFileWriter.Mode.CREATE, ROW_GROUP_BYTES, 0,
                props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(), props.getPageWriteChecksumEnabled());
        file.start();
        newRowGroup();
    }

    private void newRowGroup() {
        pages = new ColumnChunkPageWriteStore(codecs.getCompressor(CompressionCodecName.ZSTD), schema, props.getAllocator(),
                props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        store = props.newColumnWriteStore(schema, pages, pages);
        MessageColumnIO io = new ColumnIOFactory(false).getColumnIO(schema);
        consumer = io.getRecordWriter(store);
    }

    /** Writes one row: one int list per column, in the order the columns were given. */
    void write(int[][] values) throws IOException {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("expected " + columns.size() + " columns, got " + values.length);
        }
        consumer.startMessage();
        for (int c = 0; c < values.length; c++) {
            String name = columns.get(c);
            consumer.startField(name, c);
            consumer.startGroup();
            int[] v = values[c];
            if (v.length > 0) {
                consumer.startField("list", 0);
                for (int x : v) {
                    consumer.startGroup();
                    consumer.startField("element", 0);
                    consumer.addInteger(x);
                    consumer.endField("element", 0);
                    consumer.endGroup();
                }
                consumer.endField("list", 0);
            }
            consumer.endGroup();
            consumer.endField(name, c);
        }
        consumer.endMessage();
        rows++;
        if (store.getBufferedSize() > ROW_GROUP_BYTES) {
            flushRowGroup();
            newRowGroup();
        }
    }

    private void flushRowGroup() throws IOException {
        consumer.flush();
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
