package dev.granular.parquet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The Hadoop-free Parquet writer, read back by DuckDB: int lists, empty lists, many row groups' worth of values. */
class IntListParquetWriterTest {
    @TempDir
    Path tmp;

    @Test
    void listsRoundTripThroughDuckDb() throws Exception {
        Path file = tmp.resolve("x.parquet");
        int[] big = new int[200_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 7 - 100;
        }
        try (IntListParquetWriter w = new IntListParquetWriter(file, List.of("a", "b"), Map.of("k", "v"))) {
            w.write(new int[][]{{1, 2, -100}, {}});
            w.write(new int[][]{{}, {3}});
            w.write(new int[][]{big, {Integer.MIN_VALUE, Integer.MAX_VALUE}});
        }
        List<String> got = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT len(a), a[1], a[-1], b::VARCHAR FROM read_parquet('" + file + "')")) {
            while (rs.next()) {
                got.add(rs.getInt(1) + " " + rs.getObject(2) + " " + rs.getObject(3) + " " + rs.getString(4));
            }
        }
        assertThat(got).containsExactly("3 1 -100 []", "0 null null [3]",
                "200000 -100 " + (199_999 * 7 - 100) + " [" + Integer.MIN_VALUE + ", " + Integer.MAX_VALUE + "]");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT value FROM parquet_kv_metadata('" + file + "') WHERE key = 'k'")) {
            assertThat(rs.next()).isTrue();
            assertThat(new String(rs.getBytes(1), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("v");
        }
    }
}
