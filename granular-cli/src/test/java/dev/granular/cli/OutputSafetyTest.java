package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.files;
import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command against outputs that would destroy data (issues 17.1, 17.2, 17.6, 11.10): an --out
 * that is, contains or lies inside an input; a user's folder that looks like granular output; the
 * rerun after bad input; paid replies of a stopped run; paths in trainer files.
 */
class OutputSafetyTest {
    @TempDir
    static Path shared;
    /** A finished in2 dataset (canonical records), made once; each test works on a copy. */
    static Path dataset;
    static Path corpus;
    static Path general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void dataset() {
        corpus = In2Fixtures.corpus(shared.resolve("corpus"), 300, 13);
        general = In2Fixtures.general(shared.resolve("general.jsonl"));
        dataset = shared.resolve("dataset");
        In2Fixtures.Run run = granular(in2(corpus, general, dataset));
        assertThat(run.code()).as(run.all()).isZero();
    }

    private Path copyOfDataset() throws IOException {
        Path d = tmp.resolve("D");
        try (Stream<Path> s = Files.walk(dataset)) {
            for (Path p : s.toList()) {
                Path to = d.resolve(dataset.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return d;
    }

    private static void assertRefusedAndUnchanged(In2Fixtures.Run run, Path dir, TreeMap<String, byte[]> before, String says)
            throws IOException {
        assertThat(run.code()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).contains(says).contains("never writes into").doesNotContain("use --overwrite");
        TreeMap<String, byte[]> after = files(dir);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
    }

    // --- 17.1 ---

    @Test
    void exportIntoItsOwnInputIsRefusedWithOrWithoutOverwrite() throws IOException {
        Path d = copyOfDataset();
        TreeMap<String, byte[]> before = files(d);
        for (String in : List.of(d.toString(), d.resolve("data/part-00000.jsonl").toString())) {
            for (List<String> extra : List.of(List.<String>of(), List.of("--overwrite"))) {
                List<String> args = new ArrayList<>(List.of("export", "--in", in, "--format", "openai", "--out", d.toString()));
                args.addAll(extra);
                assertRefusedAndUnchanged(granular(args), d, before, in.equals(d.toString()) ? "is the input" : "contains the input");
            }
        }
    }

    @Test
    void anOutputInsideTheInputOrReachedThroughALinkIsRefused() throws IOException {
        Path d = copyOfDataset();
        TreeMap<String, byte[]> before = files(d);
        Path link = Files.createSymbolicLink(tmp.resolve("link"), d);

        assertRefusedAndUnchanged(granular("export", "--in", d.toString(), "--format", "trl", "--out", d.resolve("trl").toString()),
                d, before, "is inside the input");
        assertRefusedAndUnchanged(granular("export", "--in", link.toString(), "--format", "trl", "--out", d.toString(),
                "--overwrite"), d, before, "is the input");
    }

    @Test
    void generateEraseIn2AndInspectRefuseToWriteIntoTheirInputs() throws IOException {
        Path d = copyOfDataset();
        TreeMap<String, byte[]> before = files(d);
        String part = d.resolve("data/part-00000.jsonl").toString();

        assertRefusedAndUnchanged(granular("generate", "--in", part, "--model", "openai:m@http://127.0.0.1:9", "--out", d.toString(),
                "--overwrite", "--no-cache"), d, before, "contains the input");
        assertRefusedAndUnchanged(granular("erase", "--in", part, "--out", d.toString(), "--overwrite"), d, before,
                "contains the input");
        assertRefusedAndUnchanged(granular("inspect", part, "--tokenizer", "o200k_base", "--html", part), d, before, "is the input");

        Path myCorpus = Files.createDirectories(tmp.resolve("work/corpus"));
        Files.copy(corpus.resolve("doc-0000.txt"), myCorpus.resolve("doc-0000.txt"));
        TreeMap<String, byte[]> corpusBefore = files(tmp.resolve("work"));
        assertRefusedAndUnchanged(granular(in2(myCorpus, null, tmp.resolve("work"), "--overwrite")), tmp.resolve("work"),
                corpusBefore, "contains the input");
    }

    // --- 17.2 ---

    @Test
    void aUsersFolderWithAManifestIsNeverClearedAndUserFilesInAGranularFolderSurviveOverwrite() throws IOException {
        Path users = Files.createDirectories(tmp.resolve("users"));
        Files.writeString(users.resolve("manifest.json"), "{\"project\": \"q3\"}");
        Files.writeString(users.resolve("README.md"), "our readme");
        Files.createDirectories(users.resolve("data"));
        Files.writeString(users.resolve("data/customers.csv"), "id,name\n1,Ann\n");
        Files.createDirectories(users.resolve("report"));
        Files.writeString(users.resolve("report/q3.txt"), "revenue up");
        TreeMap<String, byte[]> before = files(users);

        In2Fixtures.Run refused = granular(in2(corpus, general, users, "--overwrite"));

        assertThat(refused.code()).as(refused.all()).isEqualTo(2);
        assertThat(refused.err()).contains("not a granular output directory").contains("never deletes files it did not write");
        assertThat(files(users).keySet()).isEqualTo(before.keySet());

        Path d = copyOfDataset();
        Files.writeString(d.resolve("data/customers.csv"), "id,name\n1,Ann\n");
        Files.writeString(d.resolve("report/q3.txt"), "revenue up");
        Files.writeString(d.resolve("NOTES.md"), "mine");

        In2Fixtures.Run replaced = granular(in2(corpus, general, d, "--seed", "7", "--overwrite"));

        assertThat(replaced.code()).as(replaced.all()).isZero();
        assertThat(d.resolve("data/customers.csv")).hasContent("id,name\n1,Ann\n");
        assertThat(d.resolve("report/q3.txt")).hasContent("revenue up");
        assertThat(d.resolve("NOTES.md")).hasContent("mine");
        JsonNode marker = In2Fixtures.JSON.readTree(d.resolve(".granular/run.json").toFile());
        assertThat(marker.path("command").asText()).isEqualTo("in2");
        assertThat(marker.path("files")).extracting(JsonNode::asText).contains("manifest.json", "README.md")
                .doesNotContain("data/customers.csv", "report/q3.txt", "NOTES.md");
    }

    // --- 17.4 ---

    @Test
    void paidRepliesOfAStoppedRunAreNeverClearedByAnotherConfiguration() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            AtomicLong asked = new AtomicLong();
            server.script(r -> asked.incrementAndGet() > 3 ? Reply.status(401).message("stopped")
                    : Reply.text("answer to " + r.lastUserMessage()));
            Path prompts = tmp.resolve("prompts.jsonl");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                sb.append("{\"id\":\"p").append(i).append("\",\"prompt\":\"question ").append(i).append("\"}\n");
            }
            Files.writeString(prompts, sb.toString());
            Path out = tmp.resolve("out");
            List<String> generate = List.of("generate", "--in", prompts.toString(), "--model", "openai:test@" + server.baseUrl(),
                    "--out", out.toString(), "--no-cache", "--concurrency", "1");
            In2Fixtures.Run stopped = granular(generate);
            assertThat(stopped.code()).as(stopped.all()).isEqualTo(1);
            Path journal = out.resolve(".granular/replies.jsonl"); // the paid replies
            String paid = Files.readString(journal);
            // Rows start on virtual threads, so which three were answered before the 401 is not fixed.
            assertThat(paid.lines().filter(l -> l.contains("answer to question "))).hasSize(3);
            TreeMap<String, byte[]> before = files(out);

            List<String> other = new ArrayList<>(generate);
            other.addAll(List.of("--temperature", "0.5"));
            In2Fixtures.Run refused = granular(other);

            assertThat(refused.code()).as(refused.all()).isEqualTo(2);
            assertThat(refused.err()).contains("--overwrite").contains("paid replies");
            assertThat(files(out).keySet()).isEqualTo(before.keySet());
            assertThat(journal).hasContent(paid);

            other.add("--overwrite");
            granular(other);
            assertThat(Files.readString(journal)).startsWith(paid);
        }
    }

    // --- 17.6 ---

    @Test
    void aFailedExportDoesNotBlockTheCorrectedRerun() throws IOException {
        Path in = tmp.resolve("in.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(dataset.resolve("data/part-00000.jsonl")));
        String good = lines.get(3);
        lines.set(3, "{not json");
        Files.write(in, lines);
        Path out = tmp.resolve("out");
        for (String format : List.of("openai", "axolotl")) {
            In2Fixtures.Run bad = granular("export", "--in", in.toString(), "--format", format, "--out", out.toString());
            assertThat(bad.code()).as(bad.all()).isEqualTo(2);
            assertThat(bad.err()).contains("in.jsonl:4");
            assertThat(out).doesNotExist();
        }

        lines.set(3, good);
        Files.write(in, lines);
        In2Fixtures.Run fixed = granular("export", "--in", in.toString(), "--format", "openai", "--out", out.toString());

        assertThat(fixed.code()).as(fixed.all()).isZero();
        assertThat(Files.readAllLines(out.resolve("data/part-00000.jsonl"))).hasSize(lines.size());
    }

    @Test
    void aFailedExportIntoAnExistingEmptyFolderLeavesItEmpty() throws IOException {
        Path in = tmp.resolve("in.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(dataset.resolve("data/part-00000.jsonl")));
        lines.set(2, "{\"id\": 1}");
        Files.write(in, lines);
        Path out = Files.createDirectories(tmp.resolve("empty"));

        In2Fixtures.Run bad = granular("export", "--in", in.toString(), "--format", "trl", "--out", out.toString());

        assertThat(bad.code()).as(bad.all()).isEqualTo(2);
        assertThat(out).isEmptyDirectory();
    }

    // --- 11.10 ---

    @Test
    void trainerFilesNameTheDataRelativeToTheOutputFolder() throws IOException {
        Path axolotl = tmp.resolve("ax");
        Path factory = tmp.resolve("lf");
        assertThat(granular("export", "--in", dataset.toString(), "--format", "axolotl", "--out", axolotl.toString()).code()).isZero();
        assertThat(granular("export", "--in", dataset.toString(), "--format", "llamafactory", "--out", factory.toString()).code())
                .isZero();

        String yaml = Files.readString(axolotl.resolve("axolotl.yaml"));
        assertThat(yaml).contains("- path: data\n").doesNotContain(tmp.toString());
        JsonNode info = In2Fixtures.JSON.readTree(factory.resolve("dataset_info.json").toFile());
        assertThat(info.path("lf").path("file_name").asText()).isEqualTo("data");
        assertThat(Files.readString(factory.resolve("dataset_info.json"))).doesNotContain(tmp.toString());
        assertThat(Files.readString(axolotl.resolve("README.md"))).contains("relative to this folder");
        assertThat(Files.readString(factory.resolve("README.md"))).contains("relative to it");
    }
}
