package dev.granular.parquet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parquet-free reading API granular-core calls, on files DuckDB writes. */
class ParquetTextFileTest {
    @TempDir
    Path tmp;

    private Path write(String select) throws Exception {
        Path file = tmp.resolve("f" + System.nanoTime() + ".parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (" + select + ") TO '" + file + "' (FORMAT parquet)");
        }
        return file;
    }

    @Test
    void rowsInOrderWithNullTextsAndIntegerIds() throws Exception {
        Path file = write("SELECT * FROM (VALUES (7::BIGINT, 'héllo'), (8::BIGINT, NULL), (NULL, 'x')) t(id, text)");
        List<String> got = new ArrayList<>();
        ParquetTextFile.read(file, "text", (row, text, id) -> got.add(row + " "
                + (text == null ? "null" : StandardCharsets.UTF_8.decode(text)) + " " + id));
        assertThat(got).containsExactly("0 héllo 7", "1 null 8", "2 x null");
    }

    @Test
    void aMissingOrNonStringColumnFailsTheFileNamingWhat() throws Exception {
        Path file = write("SELECT 1 AS id, 'a' AS text");
        assertThatThrownBy(() -> ParquetTextFile.read(file, "body", (row, text, id) -> { }))
                .isInstanceOf(BadParquetFileException.class)
                .hasMessage("no text column \"body\"; the file has columns [id, text]");
        assertThatThrownBy(() -> ParquetTextFile.read(file, "id", (row, text, id) -> { }))
                .isInstanceOf(BadParquetFileException.class)
                .hasMessageContaining("text column \"id\" is").hasMessageEndingWith("not a string column");
    }

    @Test
    void notParquetIsABadFileAndTheVisitorsExceptionsPassThrough() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.parquet"), "not parquet at all");
        assertThatThrownBy(() -> ParquetTextFile.read(junk, "text", (row, text, id) -> { }))
                .isInstanceOf(BadParquetFileException.class)
                .hasMessageStartingWith("not a readable Parquet file: ");
        Path file = write("SELECT 'a' AS text");
        IllegalStateException mine = new IllegalStateException("the caller's");
        assertThatThrownBy(() -> ParquetTextFile.read(file, "text", (row, text, id) -> { throw mine; }))
                .isSameAs(mine);
    }
}
