package dev.granular.spark;

import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code granular spark in2} on the command line: its own Spark session, exit codes, the flags of {@code granular in2}. */
class SparkIn2CliTest {
    @TempDir
    Path tmp;

    @Test
    void sparkIn2WritesWhatGranularIn2Writes() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(new In2Job.Spec(List.of(), CorpusOptions.defaults(), List.of(), null, "o200k_base",
                In2Config.DEFAULT.withExamples(40).withContext(1024, 4096).withSegmentation(128, 512).withSeed(3), local, 10_000, false,
                2, List.of("in2")), In2Job.Listener.NONE);
        Path out = tmp.resolve("spark");
        SparkCliTest.Run r = SparkCliTest.run("in2", "--examples", "40", "--min-tokens", "1024", "--max-tokens", "4096",
                "--max-doc-tokens", "512", "--seed", "3", "--out", out.toString(), "--master", "local[2]", "--partitions", "3");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.out()).contains("spark in2: wrote 40 examples");
        assertThat(Files.readAllBytes(out.resolve("data/part-00000.jsonl"))).isEqualTo(Files.readAllBytes(local.resolve("data/part-00000.jsonl")));
        assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"engine\" : \"spark\"").contains("\"--partitions\"");
    }

    /** --exclude and --general reach the job: the data files and corpus figures of granular in2 with the same files. */
    @Test
    void excludeAndGeneralAreGranularIn2s() throws Exception {
        Path eval = tmp.resolve("eval.txt");
        StringBuilder third = new StringBuilder();
        int[] n = {0};
        dev.granular.corpus.Corpus.bundled().forEach(d -> {
            if (n[0]++ == 3) {
                third.append(d.text());
            }
        });
        String[] words = third.toString().split("\\s+");
        Files.writeString(eval, String.join(" ", List.of(words).subList(words.length / 2, words.length / 2 + 12)));
        Path general = SparkIn2Test.generalRows(tmp.resolve("general.jsonl"));
        Path local = tmp.resolve("local");
        In2Job.run(new In2Job.Spec(List.of(), CorpusOptions.defaults(), List.of(eval), List.of(general), "o200k_base",
                In2Config.DEFAULT.withExamples(40).withContext(1024, 4096).withSegmentation(128, 512).withSeed(3), local, 10_000, false,
                2, List.of("in2")), In2Job.Listener.NONE);
        Path out = tmp.resolve("spark");
        SparkCliTest.Run r = SparkCliTest.run("in2", "--examples", "40", "--min-tokens", "1024", "--max-tokens", "4096",
                "--max-doc-tokens", "512", "--seed", "3", "--exclude", eval.toString(), "--general", general.toString(),
                "--out", out.toString(), "--master", "local[2]", "--partitions", "3");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.out()).contains("general 4");
        assertThat(Files.readAllBytes(out.resolve("data/part-00000.jsonl"))).isEqualTo(Files.readAllBytes(local.resolve("data/part-00000.jsonl")));
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var m = json.readTree(out.resolve("manifest.json").toFile());
        assertThat(m.path("corpus").path("decontaminated").asLong()).isEqualTo(1);
        assertThat(m.get("corpus")).isEqualTo(json.readTree(local.resolve("manifest.json").toFile()).get("corpus"));
    }

    /** A bad --exclude or --general file: exit 2 naming file:line (an empty --general: the flag), as granular in2. */
    @Test
    void aBadExcludeOrGeneralFileExitsWith2NamingItsLine() throws Exception {
        Path eval = tmp.resolve("eval.jsonl");
        Files.writeString(eval, "{\"q\": \"fine\"}\nnot json\n");
        SparkCliTest.Run r = SparkCliTest.run("in2", "--examples", "20", "--exclude", eval.toString(), "--out", tmp.resolve("a").toString(),
                "--master", "local[2]");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains("granular: " + eval + ":2: ");
        assertThat(tmp.resolve("a/manifest.json")).doesNotExist();
        Path general = tmp.resolve("general.jsonl");
        Files.writeString(general, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": [{\"role\": \"cat\"}]}\n");
        r = SparkCliTest.run("in2", "--examples", "20", "--general", general.toString(), "--out", tmp.resolve("b").toString(),
                "--master", "local[2]");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains("granular: " + general + ":2: ");
        assertThat(tmp.resolve("b/manifest.json")).doesNotExist();
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "");
        r = SparkCliTest.run("in2", "--examples", "20", "--general", empty.toString(), "--out", tmp.resolve("c").toString(),
                "--master", "local[2]");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--general").contains("has no rows");
    }

    @Test
    void aBadConfigurationExitsWith2NamingTheFlags() {
        SparkCliTest.Run r = SparkCliTest.run("in2", "--min-tokens", "5000", "--max-tokens", "4096", "--out", tmp.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--min-tokens (5000) is larger than --max-tokens (4096)");
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
