package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.dataFiles;
import static dev.granular.cli.In2Fixtures.files;
import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static dev.granular.cli.In2Fixtures.manifest;
import static dev.granular.cli.In2Fixtures.records;
import static dev.granular.cli.In2Fixtures.shards;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.record.RecordValidator;
import dev.granular.record.ValidationReport;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular in2} end to end through {@link Granular#commandLine}: the whole output of a run. */
class In2EndToEndTest {
    @TempDir
    static Path shared;
    static Path corpus;
    static Path general;

    @TempDir
    Path tmp;

    @BeforeAll
    static void corpus() {
        corpus = In2Fixtures.corpus(shared.resolve("corpus"), 300, 7);
        general = In2Fixtures.general(shared.resolve("general.jsonl"));
    }

    @Test
    void writesAValidCompleteDataset() throws IOException {
        Path out = tmp.resolve("out");

        In2Fixtures.Run run = granular(in2(corpus, general, out, "--threads", "2"));

        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).contains("in2: wrote 40 examples");
        for (String f : List.of("manifest.json", "README.md", "report/summary.json", "report/depth.png",
                "report/lengths.png", ".granular/run.json")) {
            assertThat(out.resolve(f)).as(f).isRegularFile();
        }
        assertThat(out.resolve(".granular/work")).doesNotExist();
        try (var s = Files.list(out.resolve("data"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))).as("no partial files").isEmpty();
        }

        ValidationReport v = RecordValidator.validate(out, 10);
        assertThat(v.ok()).as(v.errors().toString()).isTrue();
        assertThat(v.records()).isEqualTo(40);

        // shards of 7 by record index, the last one short
        List<Path> shards = shards(out);
        List<Long> sizes = new ArrayList<>();
        for (Path p : shards) {
            sizes.add(Files.readAllLines(p).stream().count());
        }
        assertThat(shards.stream().map(p -> p.getFileName().toString()))
                .containsExactly("part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl", "part-00003.jsonl",
                        "part-00004.jsonl", "part-00005.jsonl");
        assertThat(sizes).containsExactly(7L, 7L, 7L, 7L, 7L, 5L);

        List<JsonNode> records = records(out);
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).path("id").asText()).isEqualTo(String.format("in2-%08d", i));
        }

        JsonNode m = manifest(out);
        Map<String, Long> expected = largestRemainder(40, "single", "0.5", "multi", "0.2", "short", "0.2", "general", "0.1");
        Map<String, Long> byKind = new LinkedHashMap<>();
        m.path("counts").path("by_kind").fields().forEachRemaining(e -> byKind.put(e.getKey(), e.getValue().asLong()));
        assertThat(byKind).isEqualTo(expected);
        assertThat(byKind.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(40);
        // the manifest's counts are the data's
        Map<String, Long> counted = new TreeMap<>();
        records.forEach(r -> counted.merge(r.path("meta").path("kind").asText(), 1L, Long::sum));
        assertThat(counted).isEqualTo(new TreeMap<>(expected));
        assertThat(m.path("counts").path("records").asLong()).isEqualTo(40);

        assertThat(m.path("command_line").isArray()).isTrue();
        List<String> cmd = new ArrayList<>();
        m.path("command_line").forEach(n -> cmd.add(n.asText()));
        assertThat(cmd).isEqualTo(in2(corpus, general, out, "--threads", "2"));
        assertThat(m.path("config").path("examples").asLong()).isEqualTo(40);
        assertThat(m.path("config").path("segment_tokens").asInt()).isEqualTo(32);
        assertThat(m.path("config").path("mix").path("single").asDouble()).isEqualTo(0.5);
        assertThat(m.path("seed").asLong()).isEqualTo(42);
        assertThat(m.path("version").asText()).isNotBlank();
        JsonNode inputs = m.path("inputs");
        assertThat(inputs.path("corpus_sha256").asText()).matches("[0-9a-f]{64}");
        assertThat(inputs.path("general_sha256").asText()).matches("[0-9a-f]{64}");
        assertThat(inputs.path("tokenizer").asText()).isEqualTo("o200k_base");
        assertThat(inputs.path("tokenizer_fingerprint").asText()).isNotBlank();
        assertThat(m.path("fingerprint").asText()).matches("[0-9a-f]{64}");
        assertThat(java.time.Instant.parse(m.path("started").asText()))
                .isBeforeOrEqualTo(java.time.Instant.parse(m.path("ended").asText()));
        assertThat(m.path("shards").size()).isEqualTo(6);
        assertThat(m.path("corpus").path("documents").asLong()).isEqualTo(300);
        assertThat(m.path("corpus").path("decontaminated").asLong()).isZero();
        assertThat(m.path("resumed_from").asLong()).isZero();

        String readme = Files.readString(out.resolve("README.md"), StandardCharsets.UTF_8);
        assertThat(readme).contains("report/depth.png").contains("report/lengths.png").contains("| records | 40 |");

        for (String png : List.of("report/depth.png", "report/lengths.png")) {
            byte[] bytes = Files.readAllBytes(out.resolve(png));
            assertThat(Arrays.copyOf(bytes, 8)).as(png)
                    .containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(100);
            assertThat(img.getHeight()).isGreaterThan(100);
        }
        JsonNode summary = In2Fixtures.JSON.readTree(out.resolve("report/summary.json").toFile());
        assertThat(summary.path("records").asLong()).isEqualTo(40);
    }

    @Test
    void generalRowsComeFromSeveralInputsIncludingAFolder() throws IOException {
        // --general twice: a file and a folder of shards (as another command writes them); rows of both are drawn
        Path folder = tmp.resolve("general-folder/data");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("part-00000.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Name a colour.\"},{\"role\":\"assistant\",\"content\":\"Blue.\"}]}\n");
        Path out = tmp.resolve("two-general");
        List<String> args = new ArrayList<>(in2(corpus, general, out, "--threads", "2", "--examples", "60",
                "--mix", "single=0.1,multi=0.1,short=0.1,general=0.7"));
        args.addAll(List.of("--general", tmp.resolve("general-folder").toString()));
        In2Fixtures.Run run = granular(args);
        assertThat(run.code()).as(run.err()).isZero();
        List<String> sources = records(out).stream()
                .filter(r -> "general".equals(r.path("meta").path("kind").asText()))
                .map(r -> r.path("meta").path("source").asText()).distinct().toList();
        assertThat(sources).anyMatch(src -> src.startsWith("general.jsonl:")).anyMatch(src -> src.startsWith("part-00000.jsonl:"));
        JsonNode inputs = manifest(out).path("inputs");
        assertThat(inputs.path("general").isArray()).as(inputs.toString()).isTrue();
        assertThat(inputs.path("general").size()).isEqualTo(2);
    }

    @Test
    void rerunningAFinishedRunSaysAlreadyCompleteAndChangesNothing() throws IOException {
        Path out = tmp.resolve("out");
        List<String> args = in2(corpus, general, out, "--threads", "2");
        assertThat(granular(args).code()).isZero();
        TreeMap<String, byte[]> before = files(out);

        In2Fixtures.Run again = granular(args);

        assertThat(again.code()).as(again.all()).isZero();
        assertThat(again.out()).contains("already complete");
        TreeMap<String, byte[]> after = files(out);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(after.get(k)).as(k).isEqualTo(v));
    }

    @Test
    void threadCountNeverChangesTheData() throws IOException {
        Path one = tmp.resolve("one");
        Path three = tmp.resolve("three");

        // 37 examples: the kinds' exact shares have remainders, and the last shard holds 2
        In2Fixtures.Run a = granular(in2(corpus, general, one, "--threads", "1", "--examples", "37"));
        In2Fixtures.Run b = granular(in2(corpus, general, three, "--threads", "3", "--examples", "37"));

        assertThat(a.code()).as(a.all()).isZero();
        assertThat(b.code()).as(b.all()).isZero();
        TreeMap<String, String> d1 = dataFiles(one);
        assertThat(d1).hasSize(6);
        assertThat(d1.get("part-00005.jsonl").lines().count()).isEqualTo(2);
        Map<String, Long> byKind = new LinkedHashMap<>();
        manifest(three).path("counts").path("by_kind").fields()
                .forEachRemaining(e -> byKind.put(e.getKey(), e.getValue().asLong()));
        // 18.5, 7.4, 7.4, 3.7: floors 18+7+7+3 = 35, the 2 left go to general (.7) and single (.5)
        assertThat(byKind).isEqualTo(largestRemainder(37, "single", "0.5", "multi", "0.2", "short", "0.2", "general", "0.1"))
                .isEqualTo(Map.of("single", 19L, "multi", 7L, "short", 7L, "general", 4L));
        assertThat(dataFiles(three)).isEqualTo(d1);
        assertThat(Files.readString(three.resolve("report/summary.json")))
                .isEqualTo(Files.readString(one.resolve("report/summary.json")));
    }

    @Test
    void bundledCorpusByDefault() throws IOException {
        Path out = tmp.resolve("demo");

        In2Fixtures.Run run = granular("in2", "--out", out.toString(), "--examples", "30");

        assertThat(run.code()).as(run.all()).isZero();
        assertThat(RecordValidator.validate(out, 10).ok()).isTrue();
        JsonNode m = manifest(out);
        assertThat(m.path("counts").path("records").asLong()).isEqualTo(30);
        assertThat(m.path("inputs").path("corpus").asText()).isEqualTo("bundled:sotu");
        // without --general the general share is spread over the other kinds
        assertThat(m.path("counts").path("by_kind").path("general").asLong()).isZero();
        assertThat(run.out()).contains("in2: wrote 30 examples");
    }

    @Test
    void helpExitsZeroWithAnExample() {
        for (String cmd : List.of("in2", "validate")) {
            In2Fixtures.Run run = granular(cmd, "--help");
            assertThat(run.code()).as(cmd).isZero();
            assertThat(run.out()).as(cmd).contains("Example").contains("granular " + cmd + " ");
        }
    }

    /** Largest remainder, computed exactly (BigDecimal), ties to the earlier kind; kinds in the order given. */
    static Map<String, Long> largestRemainder(long n, String... kindShare) {
        int k = kindShare.length / 2;
        long[] floor = new long[k];
        BigDecimal[] rem = new BigDecimal[k];
        long given = 0;
        for (int i = 0; i < k; i++) {
            BigDecimal exact = new BigDecimal(kindShare[2 * i + 1]).multiply(BigDecimal.valueOf(n));
            floor[i] = exact.longValue();
            rem[i] = exact.subtract(BigDecimal.valueOf(floor[i]));
            given += floor[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> rem[i]).reversed());
        for (int j = 0; given < n; j++, given++) {
            floor[order.get(j % k)]++;
        }
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            m.put(kindShare[2 * i], floor[i]);
        }
        return m;
    }
}
