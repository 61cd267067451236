package dev.granular.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.export.ExportFormat;
import dev.granular.export.ExportJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hugging Face front matter: what it says, that it parses, and that its globs name exactly the data files. */
class HubCardTest {
    @TempDir
    Path tmp;

    @Test
    void sizeCategoriesFollowTheHubsBins() {
        assertThat(HubCard.sizeCategory(0)).isEqualTo("n<1K");
        assertThat(HubCard.sizeCategory(999)).isEqualTo("n<1K");
        assertThat(HubCard.sizeCategory(1_000)).isEqualTo("1K<n<10K");
        assertThat(HubCard.sizeCategory(99_999)).isEqualTo("10K<n<100K");
        assertThat(HubCard.sizeCategory(1_100_000)).isEqualTo("1M<n<10M");
        assertThat(HubCard.sizeCategory(2_000_000_000L)).isEqualTo("1B<n<10B");
        assertThat(HubCard.sizeCategory(5_000_000_000_000L)).isEqualTo("n>1T");
    }

    @Test
    void frontMatterParsesBackWithEveryField() throws IOException {
        HubCard card = HubCard.train("IN2: a \"quoted\" name", 12_345, List.of("text-generation"), "long-context")
                .withSplits(Map.of("train", "data/train-*.jsonl")).withLicense("cc-by-4.0");
        Files.writeString(tmp.resolve("README.md"), card.card("# Title\n\nbody\n"));
        Map<String, Object> y = HubCard.readFrontMatter(tmp.resolve("README.md"));
        assertThat(y).containsEntry("pretty_name", "IN2: a \"quoted\" name").containsEntry("license", "cc-by-4.0")
                .containsEntry("language", List.of("en")).containsEntry("task_categories", List.of("text-generation"))
                .containsEntry("size_categories", List.of("10K<n<100K")).containsEntry("tags", List.of("granular", "long-context"));
        assertThat(y.get("configs")).isEqualTo(List.of(Map.of("config_name", "default",
                "data_files", List.of(Map.of("split", "train", "path", "data/train-*.jsonl")))));
        assertThat(Files.readString(tmp.resolve("README.md"))).endsWith("---\n\n# Title\n\nbody\n");
        assertThat(HubCard.train("x", 1, List.of()).license()).isEqualTo("unknown");
    }

    @Test
    void absolutePathsAndParentsAreRefused() {
        assertThatThrownBy(() -> HubCard.train("x", 1, List.of()).withSplits(Map.of("train", "/data/x.jsonl")))
                .hasMessageContaining("relative");
        assertThatThrownBy(() -> HubCard.train("x", 1, List.of()).withSplits(Map.of("train", "../x.jsonl")))
                .hasMessageContaining("relative");
    }

    @Test
    void anExportsCardNamesItsShardsAndNothingElse() throws IOException {
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, """
                {"id":"a","messages":[{"role":"user","content":"hi","train":false},{"role":"assistant","content":"hello","train":true}],"meta":{"design":"general","source":"test"}}
                {"id":"b","messages":[{"role":"user","content":"x","train":false},{"role":"assistant","content":"y","train":true}],"meta":{"design":"general","source":"test"}}
                {"id":"c","messages":[{"role":"user","content":"p","train":false},{"role":"assistant","content":"q","train":true}],"meta":{"design":"general","source":"test"}}
                """);
        Path out = tmp.resolve("out");
        ExportJob.run(ExportJob.Spec.of(List.of(in), ExportFormat.AXOLOTL, out).withShardSize(2));

        Map<String, List<Path>> files = HubCard.dataFiles(out);
        assertThat(files).containsOnlyKeys("train");
        assertThat(files.get("train")).containsExactly(out.resolve("data/part-00000.jsonl"), out.resolve("data/part-00001.jsonl"));
        Map<String, Object> y = HubCard.readFrontMatter(out.resolve("README.md"));
        assertThat(y.get("size_categories")).isEqualTo(List.of("n<1K"));
        assertThat(y.get("tags")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST).contains("granular", "axolotl");
        // The markdown the export always wrote follows the front matter.
        assertThat(Files.readString(out.resolve("README.md"))).contains("---\n\n# Export: axolotl");
    }
}
