package dev.granular.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The features of JSONL rows: the union of every row's keys, types merged as datasets casts them. */
class HubFeaturesTest {
    @TempDir
    Path tmp;

    Path file(String name, String... lines) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, List.of(lines));
        return p;
    }

    @Test
    void everyRowsKeysAreUnitedAndNumbersWiden() throws IOException {
        Path a = file("a.jsonl", "{\"id\":\"1\",\"meta\":{\"n\":1,\"spans\":[[1,2]]},\"tools\":[]}");
        Path b = file("b.jsonl", "{\"id\":\"2\",\"meta\":{\"n\":2.5,\"late\":true,\"spans\":null},\"tools\":[{\"name\":\"f\"}]}", "");
        assertThat(HubFeatures.of(List.of(a, b))).contains(List.of(
                Map.of("name", "id", "dtype", "string"),
                Map.of("name", "meta", "struct", List.of(
                        Map.of("name", "n", "dtype", "float64"),
                        Map.of("name", "spans", "list", Map.of("list", "int64")),
                        Map.of("name", "late", "dtype", "bool"))),
                Map.of("name", "tools", "list", List.of(Map.of("name", "name", "dtype", "string")))));
    }

    /** Rows typed where they are written, a shard at a time, and merged in order: the features of reading the files. */
    @Test
    void rowTypesMergedByShardGiveTheFilesFeatures() throws IOException {
        List<String> rows = List.of("{\"id\":\"1\",\"meta\":{\"n\":1,\"spans\":[[1,2]]},\"tools\":[]}",
                "{\"id\":\"2\",\"meta\":{\"n\":2.5,\"late\":true,\"spans\":null},\"tools\":[{\"name\":\"f\"}]}",
                "{\"id\":\"3\",\"extra\":null}");
        RowTypes first = new RowTypes();
        first.add(rows.get(0).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        RowTypes second = new RowTypes();
        second.add(rows.get(1).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        second.add(rows.get(2).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        first.addAll(second);
        assertThat(first.features()).isPresent().isEqualTo(HubFeatures.of(List.of(file("all.jsonl", rows.toArray(new String[0])))));
        RowTypes clash = new RowTypes();
        clash.add("{\"x\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        RowTypes other = new RowTypes();
        other.add("{\"x\":\"one\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        clash.addAll(other);
        assertThat(clash.features()).isEmpty();
        assertThat(new RowTypes().features()).isEmpty();
    }

    @Test
    void clashingTypesOrNoRowsGiveNoFeatures() throws IOException {
        assertThat(HubFeatures.of(List.of(file("c.jsonl", "{\"x\":1}", "{\"x\":\"one\"}")))).isEmpty();
        assertThat(HubFeatures.of(List.of(file("e.jsonl", "{\"x\":{}}")))).isEmpty();
        assertThat(HubFeatures.of(List.of(file("n.jsonl", "")))).isEmpty();
    }

    @Test
    void theCardDeclaresThemAndParquetSplitsAreLeftToTheirSchema() throws IOException {
        Files.createDirectories(tmp.resolve("data"));
        Files.writeString(tmp.resolve("data/part-00000.jsonl"), "{\"id\":\"1\"}\n");
        HubCard card = HubCard.train("t", 1, List.of()).withFeaturesOf(tmp);
        Files.writeString(tmp.resolve("README.md"), card.card("# t\n"));
        assertThat(HubCard.readFrontMatter(tmp.resolve("README.md")))
                .containsEntry("dataset_info", Map.of("features", List.of(Map.of("name", "id", "dtype", "string"))));
        assertThat(HubCard.train("t", 1, List.of()).withSplits(Map.of("train", HubCard.PARQUET_SHARDS)).withFeaturesOf(tmp).features())
                .isNull();
    }
}
