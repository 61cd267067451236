package dev.granular.corpus;

import dev.granular.corpus.reader.CorpusReader;
import dev.granular.corpus.reader.CorpusStats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.granular.parquet.ParquetCodecs;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Parquet files written with parquet's own writer, read back without Hadoop on the class path. */
class ParquetCorpusTest {
    @TempDir
    Path dir;

    /**
     * {@code ParquetWriter.Builder.withConf} is overloaded with a Hadoop {@code Configuration}
     * variant, so javac cannot resolve a plain call without Hadoop; a method handle picks the
     * {@link ParquetConfiguration} one directly.
     */
    private static final MethodHandle WITH_CONF;

    static {
        try {
            WITH_CONF = MethodHandles.publicLookup().findVirtual(ParquetWriter.Builder.class, "withConf",
                    MethodType.methodType(ParquetWriter.Builder.class, ParquetConfiguration.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Path writeParquet(String name, String schema, CompressionCodecName codec, List<Object[]> rows)
            throws IOException {
        Path file = dir.resolve(name);
        MessageType type = MessageTypeParser.parseMessageType(schema);
        ExampleParquetWriter.Builder builder = ExampleParquetWriter.builder()
                .withFile(new LocalOutputFile(file))
                .withType(type)
                .withCompressionCodec(codec)
                .withCodecFactory(new ParquetCodecs())
                .withRowGroupRowCountLimit(2);
        try {
            WITH_CONF.invoke(builder, new PlainParquetConfiguration());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        SimpleGroupFactory groups = new SimpleGroupFactory(type);
        try (ParquetWriter<Group> writer = builder.build()) {
            for (Object[] row : rows) {
                Group group = groups.newGroup();
                for (int i = 0; i < row.length; i += 2) {
                    String column = (String) row[i];
                    switch (row[i + 1]) {
                        case null -> { }
                        case String s -> group.append(column, s);
                        case Long l -> group.append(column, l);
                        case byte[] b -> group.append(column, Binary.fromConstantByteArray(b));
                        default -> throw new IllegalArgumentException(String.valueOf(row[i + 1]));
                    }
                }
                writer.write(group);
            }
        }
        return file;
    }

    private static List<Document> read(Path path, CorpusOptions options) {
        List<Document> docs = new ArrayList<>();
        new CorpusReader(List.of(path), options).forEach(docs::add);
        return docs;
    }

    @ParameterizedTest
    @EnumSource(value = CompressionCodecName.class, names = {"UNCOMPRESSED", "SNAPPY", "ZSTD", "GZIP"})
    void readsEveryRowWithEachCodec(CompressionCodecName codec) throws IOException {
        List<Object[]> rows = new ArrayList<>();
        for (long i = 0; i < 5; i++) {
            rows.add(new Object[] {"text", "document number " + i + " \r\n é", "id", i * 10});
        }
        Path file = writeParquet("rows.parquet", "message m { required binary text (STRING); optional int64 id; }",
                codec, rows);
        List<Document> docs = read(file, CorpusOptions.defaults());
        assertThat(docs).extracting(Document::id).containsExactly("0", "10", "20", "30", "40");
        assertThat(docs.get(3).text()).isEqualTo("document number 3 \n é");
        assertThat(docs.get(3).origin()).isEqualTo(file + "#3");
    }

    @Test
    void idsFallBackToThePathAndRow() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        writeParquet("sub/part.parquet",
                "message m { optional binary id (STRING); required binary body (STRING); }",
                CompressionCodecName.SNAPPY,
                List.of(new Object[] {"id", "named", "body", "one"},
                        new Object[] {"id", null, "body", "two"},
                        new Object[] {"id", "", "body", "three"}));
        List<Document> docs = read(dir, CorpusOptions.defaults().withTextField("body"));
        assertThat(docs).extracting(Document::id).containsExactly("named", "sub/part.parquet#1", "sub/part.parquet#2");
        assertThat(docs).extracting(Document::text).containsExactly("one", "two", "three");
    }

    @Test
    void aMissingTextColumnFailsTheFile() throws IOException {
        Path file = writeParquet("other.parquet", "message m { required binary content (STRING); }",
                CompressionCodecName.UNCOMPRESSED, List.<Object[]>of(new Object[] {"content", "x"}));
        assertThatThrownBy(() -> read(file, CorpusOptions.defaults().withOnBadRow(BadRowPolicy.SKIP)))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ": no text column \"text\"; the file has columns [content]");
    }

    @Test
    void aNonStringTextColumnFailsTheFile() throws IOException {
        Path file = writeParquet("numbers.parquet", "message m { required int64 text; }",
                CompressionCodecName.UNCOMPRESSED, List.<Object[]>of(new Object[] {"text", 1L}));
        assertThatThrownBy(() -> read(file, CorpusOptions.defaults()))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": text column \"text\" is ")
                .hasMessageEndingWith("not a string column");
    }

    @Test
    void badRowsAreReportedByRowOrSkipped() throws IOException {
        Path file = writeParquet("bad.parquet", "message m { optional binary text (STRING); }",
                CompressionCodecName.ZSTD,
                List.of(new Object[] {"text", "fine"},
                        new Object[] {"text", null},
                        new Object[] {"text", "  "},
                        new Object[] {"text", new byte[] {'a', (byte) 0xFE}},
                        new Object[] {"text", "also fine"}));
        assertThatThrownBy(() -> read(file, CorpusOptions.defaults()))
                .isInstanceOf(BadInputException.class)
                .hasMessage(file + ": row 1: text column \"text\" is null");

        CorpusReader reader = new CorpusReader(List.of(file), CorpusOptions.defaults().withOnBadRow(BadRowPolicy.SKIP));
        List<Document> docs = new ArrayList<>();
        reader.forEach(docs::add);
        assertThat(docs).extracting(Document::id).containsExactly("bad.parquet#0", "bad.parquet#4");
        assertThat(reader.stats().skippedRows()).containsExactly(
                Map.entry(CorpusStats.EMPTY_DOCUMENT, 1L),
                Map.entry(CorpusStats.INVALID_UTF8, 1L),
                Map.entry(CorpusStats.MISSING_FIELD, 1L));
    }

    @Test
    void aFileThatIsNotParquetFails() throws IOException {
        Path file = dir.resolve("fake.parquet");
        Files.writeString(file, "this is not parquet at all", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> read(file, CorpusOptions.defaults().withOnBadRow(BadRowPolicy.SKIP)))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(file + ": not a readable Parquet file");
    }

    @Test
    void hadoopIsNotOnTheClassPath() {
        assertThatThrownBy(() -> Class.forName("org.apache.hadoop.conf.Configuration"))
                .isInstanceOf(ClassNotFoundException.class);
    }
}
