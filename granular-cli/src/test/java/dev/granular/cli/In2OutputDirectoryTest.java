package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.files;
import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static dev.granular.cli.In2Fixtures.manifest;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code granular in2} does with an --out that already holds something. */
class In2OutputDirectoryTest {
    @TempDir
    static Path shared;
    static Path corpus;
    static Path general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void corpus() {
        corpus = In2Fixtures.corpus(shared.resolve("corpus"), 300, 13);
        general = In2Fixtures.general(shared.resolve("general.jsonl"));
    }

    @Test
    void aDifferentConfigurationIsRefusedThenReplacedWithOverwrite() throws IOException {
        Path out = tmp.resolve("out");
        assertThat(granular(in2(corpus, general, out)).code()).isZero();
        TreeMap<String, byte[]> before = files(out);

        In2Fixtures.Run refused = granular(in2(corpus, general, out, "--seed", "7"));

        assertThat(refused.code()).as(refused.all()).isEqualTo(2);
        assertThat(refused.err()).contains(out.toString()).contains("--overwrite");
        TreeMap<String, byte[]> after = files(out);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));

        In2Fixtures.Run replaced = granular(in2(corpus, general, out, "--seed", "7", "--overwrite"));

        assertThat(replaced.code()).as(replaced.all()).isZero();
        assertThat(manifest(out).path("seed").asLong()).isEqualTo(7);
        assertThat(Files.readString(out.resolve("data/part-00000.jsonl")))
                .isNotEqualTo(new String(before.get("data/part-00000.jsonl"), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(out.resolve(".granular/work")).doesNotExist();
    }

    @Test
    void overwriteKeepsFilesThatAreNotGranulars() throws IOException {
        Path out = tmp.resolve("out");
        assertThat(granular(in2(corpus, general, out)).code()).isZero();
        Files.writeString(out.resolve("NOTES.txt"), "mine");

        In2Fixtures.Run replaced = granular(in2(corpus, general, out, "--seed", "7", "--overwrite"));

        assertThat(replaced.code()).as(replaced.all()).isZero();
        assertThat(out.resolve("NOTES.txt")).hasContent("mine");
    }

    @Test
    void aNonEmptyForeignDirectoryIsRefusedEvenWithOverwrite() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(out.resolve("holiday.jpg"), "not a dataset");

        for (boolean overwrite : new boolean[] {false, true}) {
            In2Fixtures.Run run = overwrite ? granular(in2(corpus, general, out, "--overwrite")) : granular(in2(corpus, general, out));
            assertThat(run.code()).as(run.all()).isEqualTo(2);
            assertThat(run.err()).contains(out.toString()).contains("not a granular output directory");
            try (var s = Files.list(out)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactly("holiday.jpg");
            }
            assertThat(out.resolve("holiday.jpg")).hasContent("not a dataset");
        }
    }

    @Test
    void outPointingAtAFileIsRefused() throws IOException {
        Path file = tmp.resolve("out.jsonl");
        Files.writeString(file, "keep me");

        In2Fixtures.Run run = granular(in2(corpus, general, file));

        assertThat(run.code()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).contains(file.toString()).contains("not a file");
        assertThat(file).hasContent("keep me");
    }

    @Test
    void anEmptyExistingDirectoryIsUsed() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("empty"));

        In2Fixtures.Run run = granular(in2(corpus, general, out));

        assertThat(run.code()).as(run.all()).isZero();
        assertThat(out.resolve("manifest.json")).isRegularFile();
    }
}
