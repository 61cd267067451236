package dev.granular.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.corpus.CorpusOptions;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Engines;
import dev.granular.io.BadInputException;
import dev.granular.template.Reference;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code spark in2} against {@code granular in2} ({@link In2Job}) on the same inputs and seed: the same data
 * files byte for byte, for one and three tasks per wave and for the documents cut into waves differently. One
 * SparkSession (local[2]) for the class.
 */
class SparkIn2Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    static SparkSession spark;

    @TempDir
    Path tmp;

    /** The first documents of the bundled corpus (about 50K tokens) as a JSONL corpus: enough for 1K-4K contexts, quick to tokenize. */
    static Path corpus;

    @BeforeAll
    static void start() throws IOException {
        corpus = Files.createTempFile("granular-spark-in2-", ".jsonl");
        StringBuilder sb = new StringBuilder();
        int[] n = {0};
        dev.granular.corpus.Corpus.bundled().forEach(d -> {
            if (n[0]++ < 8) {
                sb.append(JSON.createObjectNode().put("text", d.text())).append('\n');
            }
        });
        Files.writeString(corpus, sb);
        spark = SparkSession.builder().master("local[2]").appName("granular-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() throws IOException {
        spark.stop();
        Files.deleteIfExists(corpus);
    }

    /** Small contexts over the bundled corpus: quick, and still every kind of example. */
    static final In2Config CONFIG = In2Config.DEFAULT.withExamples(60).withContext(1024, 4096).withSegmentation(128, 512).withSeed(7);

    static In2Job.Spec local(In2Config config, String tokenizer, String chatTemplate, Path out) {
        return new In2Job.Spec(List.of(corpus), CorpusOptions.defaults(), List.of(), null, tokenizer, config, out, 25, false, 2,
                List.of("in2"), null, chatTemplate);
    }

    static SparkIn2.Spec spark(In2Config config, String tokenizer, String chatTemplate, Path out) {
        return new SparkIn2.Spec(List.of(corpus), CorpusOptions.defaults(), tokenizer, chatTemplate, config, out, 25, false, 0,
                SparkIn2.WAVE_CHARS, List.of("spark", "in2"));
    }

    @Test
    void theSameDataFilesAsGranularIn2WhateverThePartitioning() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(local(CONFIG, "o200k_base", null, local), In2Job.Listener.NONE);
        // The redraw of a repeated question (on the driver) is part of what is compared.
        StringBuilder all = new StringBuilder();
        for (Path f : dataFiles(local)) {
            all.append(Files.readString(f));
        }
        assertThat(all.toString()).contains("\"duplicate\"");
        // One task per wave, all documents in one wave; then three tasks per wave over waves of ~40K characters.
        Path one = tmp.resolve("one");
        In2Job.Result r = SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, one).withPartitions(1));
        Path three = tmp.resolve("three");
        SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, three).withPartitions(3).withWaveChars(40_000));
        assertThat(r.written()).isEqualTo(60);
        assertThat(dataFiles(local)).hasSize(3);
        assertSameData(local, one);
        assertSameData(local, three);
        JsonNode m = JSON.readTree(three.resolve("manifest.json").toFile());
        JsonNode l = JSON.readTree(local.resolve("manifest.json").toFile());
        assertThat(m.path("engine").asText()).isEqualTo("spark");
        assertThat(m.get("counts")).isEqualTo(l.get("counts"));
        assertThat(m.get("corpus")).isEqualTo(l.get("corpus"));
        assertThat(m.get("fingerprint")).isEqualTo(l.get("fingerprint"));
        assertThat(m.get("shards")).isEqualTo(l.get("shards"));
        assertThat(Files.readString(three.resolve("README.md"))).isNotEmpty();
        // The report is merged from the shards' counts and the redraw pass's repeats, not read back: the same.
        assertThat(JSON.readTree(three.resolve("report/summary.json").toFile()))
                .isEqualTo(JSON.readTree(local.resolve("report/summary.json").toFile()));
    }

    /**
     * Shards written by the executors in waves of a few shards each (5 examples a wave: one shard of 25 per wave),
     * with a chat template's context ids: the same data, ids and report as {@code granular in2}.
     */
    @Test
    void shardsWrittenByTheExecutorsInWavesAreGranularIn2s() throws Exception {
        String qwen = Reference.tokenizerDir("qwen3").toString();
        In2Config config = CONFIG.withExamples(70);
        Path local = tmp.resolve("local");
        In2Job.run(local(config, qwen, In2Job.TOKENIZER_TEMPLATE, local), In2Job.Listener.NONE);
        Path sp = tmp.resolve("spark");
        SparkIn2.Spec spec = spark(config, qwen, In2Job.TOKENIZER_TEMPLATE, sp).withPartitions(3);
        SparkIn2.Engine engine = new SparkIn2.Engine(org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()),
                SparkIn2.Shipment.of(qwen, In2Job.TOKENIZER_TEMPLATE), 3, SparkIn2.WAVE_CHARS).examplesPerWave(5);
        In2Job.Result r;
        try {
            r = In2Engines.run(spec.jobSpec(), In2Job.Listener.NONE, engine);
        } finally {
            engine.close();
        }
        assertThat(r.written()).isEqualTo(70);
        assertThat(dataFiles(sp)).hasSize(3);
        assertSameData(local, sp);
        assertThat(Files.readAllBytes(sp.resolve("tokens/contexts.bin"))).isEqualTo(Files.readAllBytes(local.resolve("tokens/contexts.bin")));
        assertThat(JSON.readTree(sp.resolve("tokens/meta.json").toFile())).isEqualTo(JSON.readTree(local.resolve("tokens/meta.json").toFile()));
        assertThat(JSON.readTree(sp.resolve("report/summary.json").toFile()))
                .isEqualTo(JSON.readTree(local.resolve("report/summary.json").toFile()));
        // The card's front matter (features typed by the shards' tasks) is granular in2's; its text names the command.
        assertThat(frontMatter(sp.resolve("README.md"))).isEqualTo(frontMatter(local.resolve("README.md"))).contains("dataset_info");
        assertThat(sp.resolve(".granular/work")).doesNotExist();
    }

    /** {@code SparkIn2.examples}: one row per example, its index, id and JSON line, the data files' lines. */
    @Test
    void theExamplesAsADataFrameAreTheDataFilesLines() throws Exception {
        Path out = tmp.resolve("frame");
        var rows = SparkIn2.examples(spark, spark(CONFIG, "o200k_base", null, out).withPartitions(3)).orderBy("index").collectAsList();
        List<String> lines = new java.util.ArrayList<>();
        for (Path f : dataFiles(out)) {
            lines.addAll(Files.readAllLines(f));
        }
        assertThat(rows).hasSize(60);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).getLong(0)).isEqualTo(i);
            assertThat(rows.get(i).getString(1)).isEqualTo(String.format("in2-%08d", i));
            assertThat(rows.get(i).getString(2)).isEqualTo(lines.get(i));
        }
        assertThat(SparkIn2.examples(spark, out).count()).isEqualTo(60);
        assertThatThrownBy(() -> SparkIn2.examples(spark, tmp.resolve("nothing"))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("no finished IN2 run");
    }

    /**
     * {@code --exclude}, {@code --general} and both: the same data files, corpus figures (the dropped document counted),
     * counts and report as {@code granular in2} with the same files, for one task per wave and for three over waves of
     * ~40K characters.
     */
    @Test
    void excludeAndGeneralGiveGranularIn2sOutput() throws Exception {
        Path eval = tmp.resolve("eval.txt");
        Files.writeString(eval, quoteOfCorpusDocument(2));
        Path general = generalRows(tmp.resolve("general.jsonl"));
        record Case(String name, List<Path> exclude, List<Path> general) {
        }
        for (Case c : List.of(new Case("exclude", List.of(eval), List.of()), new Case("general", List.of(), List.of(general)),
                new Case("both", List.of(eval), List.of(general)))) {
            Path local = tmp.resolve(c.name() + "-local");
            In2Job.Spec l = local(CONFIG, "o200k_base", null, local);
            In2Job.run(new In2Job.Spec(l.corpus(), l.corpusOptions(), c.exclude(), c.general(), l.tokenizer(), l.config(), l.out(),
                    l.shardSize(), false, l.threads(), l.commandLine()), In2Job.Listener.NONE);
            JsonNode lm = JSON.readTree(local.resolve("manifest.json").toFile());
            assertThat(lm.path("corpus").path("decontaminated").asLong()).as(c.name()).isEqualTo(c.exclude().isEmpty() ? 0 : 1);
            assertThat(lm.path("counts").path("by_kind").path("general").asLong()).as(c.name())
                    .isEqualTo(c.general().isEmpty() ? 0 : 6);
            for (int tasks : new int[]{1, 3}) {
                Path out = tmp.resolve(c.name() + "-" + tasks);
                SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, out).withExclude(c.exclude()).withGeneral(c.general())
                        .withPartitions(tasks).withWaveChars(tasks == 1 ? SparkIn2.WAVE_CHARS : 40_000));
                assertSameData(local, out);
                JsonNode m = JSON.readTree(out.resolve("manifest.json").toFile());
                for (String field : List.of("corpus", "counts", "inputs", "fingerprint", "shards")) {
                    assertThat(m.get(field)).as(c.name() + " " + tasks + " " + field).isEqualTo(lm.get(field));
                }
                assertThat(Files.readString(out.resolve("report/summary.json"))).as(c.name() + " " + tasks)
                        .isEqualTo(Files.readString(local.resolve("report/summary.json")));
            }
        }
    }

    /** A bad --exclude or --general file stops the run as granular in2 stops it: file:line, nothing left as a finished run. */
    @Test
    void aBadExcludeOrGeneralFileIsReportedWithItsLine() throws Exception {
        Path eval = tmp.resolve("eval.jsonl");
        Files.writeString(eval, "{\"q\": \"fine\"}\n{\"q\": \n");
        Path out = tmp.resolve("bad-exclude");
        assertThatThrownBy(() -> SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, out).withExclude(List.of(eval))))
                .isInstanceOf(BadInputException.class).hasMessageContaining(eval + ":2");
        assertThat(out.resolve("manifest.json")).doesNotExist();
        Path general = tmp.resolve("general.jsonl");
        Files.writeString(general, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{\"messages\": []}\n");
        Path out2 = tmp.resolve("bad-general");
        assertThatThrownBy(() -> SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, out2).withGeneral(List.of(general))))
                .isInstanceOf(BadInputException.class).hasMessageContaining(general + ":2");
        assertThat(out2.resolve("manifest.json")).doesNotExist();
    }

    /** Twelve words from the middle of the test corpus's document {@code n}: a 10-gram shared with it alone. */
    static String quoteOfCorpusDocument(int n) throws IOException {
        String text = JSON.readTree(Files.readAllLines(corpus).get(n)).path("text").asText();
        String[] words = text.split("\\s+");
        return String.join(" ", java.util.Arrays.asList(words).subList(words.length / 2, words.length / 2 + 12));
    }

    /** General rows in the forms --general takes: a canonical record, messages with and without train flags. */
    static Path generalRows(Path file) throws IOException {
        Files.writeString(file, String.join("\n",
                "{\"id\":\"g1\",\"messages\":[{\"role\":\"user\",\"content\":\"Name a prime.\",\"train\":false},"
                        + "{\"role\":\"assistant\",\"content\":\"7\",\"train\":true}],\"meta\":{\"design\":\"chat\"}}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Caf\u00e9?\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Oui \\\"\u00e9\\\"\",\"train\":false},"
                        + "{\"role\":\"user\",\"content\":\"Again\"},{\"role\":\"assistant\",\"content\":\"Yes\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"train\":true},{\"role\":\"assistant\",\"content\":\"Hello\"}]}",
                ""));
        return file;
    }

    /** A Hugging Face tokenizer folder and its chat template travel to the executors; the context ids kept are the same. */
    @Test
    void aShippedTokenizerAndChatTemplateGiveTheSameRecordsAndContextIds() throws Exception {
        String qwen = Reference.tokenizerDir("qwen3").toString();
        In2Config config = CONFIG.withExamples(30);
        Path local = tmp.resolve("local");
        In2Job.run(local(config, qwen, In2Job.TOKENIZER_TEMPLATE, local), In2Job.Listener.NONE);
        Path sp = tmp.resolve("spark");
        SparkIn2.run(spark, spark(config, qwen, In2Job.TOKENIZER_TEMPLATE, sp).withPartitions(3).withWaveChars(100_000));
        assertSameData(local, sp);
        assertThat(Files.size(local.resolve("tokens/contexts.bin"))).isGreaterThan(1000);
        assertThat(Files.readAllBytes(sp.resolve("tokens/contexts.bin"))).isEqualTo(Files.readAllBytes(local.resolve("tokens/contexts.bin")));
        assertThat(JSON.readTree(sp.resolve("tokens/meta.json").toFile()).get("entries"))
                .isEqualTo(JSON.readTree(local.resolve("tokens/meta.json").toFile()).get("entries"));
    }

    /**
     * A run stopped part-way (here a local engine failing after 40 of 60 examples) is resumed by {@code spark in2}: the
     * identity is the single-machine run's, and the data files end up as {@code granular in2} writes them at once.
     */
    @Test
    void sparkIn2ResumesAStoppedRun() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(local(CONFIG, "o200k_base", null, local), In2Job.Listener.NONE);
        Path out = tmp.resolve("resumed");
        In2Engine failing = new In2Engine() {
            Path store;

            @Override
            public String name() {
                return "failing";
            }

            @Override
            public In2Engine.Segmented segment(dev.granular.corpus.Corpus corpus, In2Config config, dev.granular.corpus.internal.Decontaminator exclude,
                                              dev.granular.in2.internal.In2Segments.Writer writer) {
                store = writer.dir();
                java.util.List<dev.granular.corpus.Document> docs = new java.util.ArrayList<>();
                var skipped = corpus.forEach(docs::add);
                try (var tok = dev.granular.tokenize.Tokenizers.load("o200k_base")) {
                    var preparer = dev.granular.in2.internal.In2Segments.preparer(tok, config);
                    docs.forEach(d -> writer.append(preparer.prepare(d)));
                }
                return new In2Engine.Segmented(docs.size(), skipped);
            }

            @Override
            public java.util.Iterator<dev.granular.in2.internal.In2Draw> draws(dev.granular.in2.In2Design design, long from) {
                return java.util.stream.LongStream.range(from, design.size()).mapToObj(i -> {
                    if (i == 40) {
                        throw new IllegalStateException("executor lost");
                    }
                    return In2Engines.draw(design, i);
                }).iterator();
            }
        };
        assertThatThrownBy(() -> In2Engines.run(local(CONFIG, "o200k_base", null, out), In2Job.Listener.NONE, failing))
                .hasMessageContaining("executor lost");
        assertThat(out.resolve("manifest.json")).doesNotExist();
        In2Job.Result r = SparkIn2.run(spark, spark(CONFIG, "o200k_base", null, out).withPartitions(3));
        assertThat(r.resumed()).isTrue();
        assertThat(r.written()).isEqualTo(20);
        assertSameData(local, out);
    }

    /**
     * A {@code spark in2} run stopped after its first wave of shards (here by its listener) leaves whole shards in
     * order, and {@code granular in2} resumes it: the data files are those of an uninterrupted run.
     */
    @Test
    void granularIn2ResumesAStoppedSparkRun() throws Exception {
        Path local = tmp.resolve("local");
        In2Job.run(local(CONFIG, "o200k_base", null, local), In2Job.Listener.NONE);
        Path out = tmp.resolve("stopped");
        SparkIn2.Spec spec = spark(CONFIG, "o200k_base", null, out).withPartitions(3);
        SparkIn2.Engine engine = new SparkIn2.Engine(org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()),
                SparkIn2.Shipment.of("o200k_base", null), 3, SparkIn2.WAVE_CHARS).examplesPerWave(5);
        In2Job.Listener stopAfterOneShard = new In2Job.Listener() {
            @Override
            public void progress(long examples, long tokens) {
                throw new IllegalStateException("stopped after " + examples + " examples");
            }
        };
        try {
            assertThatThrownBy(() -> In2Engines.run(spec.jobSpec(), stopAfterOneShard, engine)).hasMessageContaining("stopped after 25 examples");
        } finally {
            engine.close();
        }
        assertThat(out.resolve("manifest.json")).doesNotExist();
        assertThat(dataFiles(out)).extracting(p -> p.getFileName().toString()).containsExactly("part-00000.jsonl");
        In2Job.Result r = In2Job.run(local(CONFIG, "o200k_base", null, out), In2Job.Listener.NONE);
        assertThat(r.resumed()).isTrue();
        assertThat(r.written()).isEqualTo(35);
        assertSameData(local, out);
    }

    /** A bad corpus row is reported as granular in2 reports it (file:line), and nothing is left as a finished run. */
    @Test
    void aBadCorpusRowIsReportedWithItsLine() throws Exception {
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, "{\"text\": \"fine\"}\n{\"text\": 3}\n");
        Path out = tmp.resolve("bad");
        SparkIn2.Spec spec = new SparkIn2.Spec(List.of(corpus), CorpusOptions.defaults(), "o200k_base", null, CONFIG, out, 25, false, 0,
                SparkIn2.WAVE_CHARS, List.of("spark", "in2"));
        assertThatThrownBy(() -> SparkIn2.run(spark, spec)).isInstanceOf(BadInputException.class).hasMessageContaining(corpus + ":2");
        assertThat(out.resolve("manifest.json")).doesNotExist();
    }

    /** What travels to the executors: a built-in name alone; a tokenizer file and a template file as bytes, under their names. */
    @Test
    void theTokenizerAndTemplateFilesTravelAsBytes() throws Exception {
        assertThat(SparkIn2.Shipment.of("o200k_base", null).local()).containsExactly("o200k_base", null);
        Path qwen = Reference.tokenizerDir("qwen3");
        Path template = tmp.resolve("chatml.jinja");
        Files.writeString(template, "{% for m in messages %}{{ m.content }}{% endfor %}");
        SparkIn2.Shipment shipment = SparkIn2.Shipment.of(qwen.resolve("tokenizer.json").toString(), template.toString());
        var bytes = new java.io.ByteArrayOutputStream();
        try (var o = new java.io.ObjectOutputStream(bytes)) {
            o.writeObject(shipment);
        }
        SparkIn2.Shipment received;
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            received = (SparkIn2.Shipment) in.readObject();
        }
        String[] local = received.local();
        assertThat(Path.of(local[0])).hasFileName("tokenizer.json");
        assertThat(Path.of(local[0]).startsWith(qwen)).isFalse();
        assertThat(Files.readAllBytes(Path.of(local[0]))).isEqualTo(Files.readAllBytes(qwen.resolve("tokenizer.json")));
        assertThat(Files.readString(Path.of(local[1]))).isEqualTo(Files.readString(template));
        assertThat(received.digest()).isEqualTo(shipment.digest());
    }

    /** A wave is cut into contiguous ranges, in order, of about equal characters, at most one per task. */
    @Test
    void wavesAreCutIntoOrderedRangesByCharacters() {
        String[][] docs = {{"a", "x".repeat(100)}, {"b", "x".repeat(10)}, {"c", "x".repeat(10)}, {"d", "x".repeat(80)}, {"e", ""}};
        List<int[]> ranges = SparkIn2.Engine.ranges(docs, 200, 2);
        assertThat(ranges).extracting(r -> r[0] + "-" + r[1]).containsExactly("0-1", "1-5");
        assertThat(SparkIn2.Engine.ranges(docs, 200, 1)).extracting(r -> r[0] + "-" + r[1]).containsExactly("0-5");
        assertThat(SparkIn2.Engine.ranges(docs, 200, 10)).hasSizeLessThanOrEqualTo(10)
                .extracting(r -> r[0] + "-" + r[1]).containsExactly("0-1", "1-3", "3-4", "4-5");
    }

    static String frontMatter(Path card) throws IOException {
        String s = Files.readString(card);
        return s.substring(0, s.indexOf("\n---", 4));
    }

    static List<Path> dataFiles(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            return s.sorted().toList();
        }
    }

    static void assertSameData(Path expected, Path actual) throws IOException {
        List<Path> e = dataFiles(expected);
        List<Path> a = dataFiles(actual);
        assertThat(a.stream().map(p -> p.getFileName().toString()).toList())
                .isEqualTo(e.stream().map(p -> p.getFileName().toString()).toList());
        for (int i = 0; i < e.size(); i++) {
            assertThat(Files.readAllBytes(a.get(i))).as(a.get(i).toString()).isEqualTo(Files.readAllBytes(e.get(i)));
        }
    }
}
