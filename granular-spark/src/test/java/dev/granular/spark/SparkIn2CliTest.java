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

    @Test
    void aBadConfigurationExitsWith2NamingTheFlags() {
        SparkCliTest.Run r = SparkCliTest.run("in2", "--min-tokens", "5000", "--max-tokens", "4096", "--out", tmp.resolve("o").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--min-tokens (5000) is larger than --max-tokens (4096)");
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
