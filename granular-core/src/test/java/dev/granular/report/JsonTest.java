package dev.granular.report;

import dev.granular.files.AtomicFiles;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsInsertionOrderAndValues() throws IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("zeta", 1);
        summary.put("alpha", "two");
        summary.put("middle", List.of(1.5, 2.5));
        summary.put("histogram", Histogram.of(0, 2, 2, 0.5, 1.5, 1.5).toJson());
        Path out = dir.resolve("report/summary.json");

        Json.writeAtomically(out, summary);

        String text = Files.readString(out);
        assertThat(text).endsWith("\n").contains("\n  \"zeta\" : 1");
        JsonNode back = Json.mapper().readTree(text);
        assertThat(back.fieldNames()).toIterable().containsExactly("zeta", "alpha", "middle", "histogram");
        assertThat(back.get("alpha").asText()).isEqualTo("two");
        assertThat(back.get("middle").get(1).asDouble()).isEqualTo(2.5);
        assertThat(back.get("histogram").get("counts").toString()).isEqualTo("[1,2]");
        assertThat(Json.mapper().convertValue(back, Map.class)).isEqualTo(Json.mapper().readValue(text, Map.class));
    }

    @Test
    void nonFiniteNumbersBecomeNull() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p", Double.NaN);
        m.put("xs", new double[] {1, Double.POSITIVE_INFINITY});

        JsonNode back = Json.mapper().readTree(Json.toPrettyString(m));

        assertThat(back.get("p").isNull()).isTrue();
        assertThat(back.get("xs").toString()).isEqualTo("[1.0,null]");
    }

    @Test
    void atomicWriteReplacesTheFileAndLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("summary.json");
        Files.writeString(out, "old");

        Json.writeAtomically(out, Map.of("n", 1));

        assertThat(Files.readString(out)).contains("\"n\" : 1");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTemporaryFiles() throws IOException {
        Path out = dir.resolve("summary.json");
        Files.writeString(out, "old");

        try {
            AtomicFiles.write(out, stream -> {
                stream.write("half".getBytes(StandardCharsets.UTF_8));
                throw new IOException("disk full");
            });
        } catch (IOException expected) {
            assertThat(expected).hasMessage("disk full");
        }

        assertThat(Files.readString(out)).isEqualTo("old");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test
    void sha256MatchesKnownDigests() {
        assertThat(Json.sha256Hex(""))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(Json.sha256Hex("abc".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
