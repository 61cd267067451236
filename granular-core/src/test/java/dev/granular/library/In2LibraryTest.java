package dev.granular.library;

import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.Corpus;
import dev.granular.corpus.Document;
import dev.granular.in2.In2;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Design;
import dev.granular.in2.In2Job;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IN2 library entry point gives exactly what {@code granular in2} (In2Job) writes, from the public API only. */
class In2LibraryTest {
    private static final In2Config CONFIG = In2Config.DEFAULT.withExamples(60).withContext(1024, 2048).withSeed(7);

    @TempDir
    Path tmp;

    @Test
    void streamEqualsTheJobsOutputOnTheBundledCorpus() throws IOException {
        List<String> job = runJob(CONFIG, 3);
        List<String> library;
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
             Stream<TrainingRecord> records = In2.of(CONFIG).withThreads(2).records(Corpus.bundled(), tokenizer)) {
            library = records.map(RecordJson::toJson).toList();
        }
        assertEquals(60, job.size());
        assertEquals(job, library);
    }

    @Test
    void withTheModelsChatTemplateTheStreamEqualsInTwoWithChatTemplate() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        In2Config config = CONFIG.withExamples(30);
        Path out = tmp.resolve("templated");
        In2Job.run(In2Job.Spec.of(List.of(), config, out).withTokenizer(qwen.toString()).withChatTemplate(In2Job.TOKENIZER_TEMPLATE)
                .withShardSize(1000).withThreads(2), In2Job.Listener.NONE);
        List<String> job = Files.readAllLines(out.resolve("data/part-00000.jsonl")).stream().filter(l -> !l.isBlank()).toList();
        List<String> plain;
        List<String> templated;
        try (Tokenizer tokenizer = Tokenizers.huggingFace(qwen)) {
            try (Stream<TrainingRecord> records = In2.of(config).records(Corpus.bundled(), tokenizer)) {
                plain = records.map(RecordJson::toJson).toList();
            }
            try (Stream<TrainingRecord> records = In2.of(config).withChatTemplate(ChatTemplate.load(qwen))
                    .records(Corpus.bundled(), tokenizer)) {
                templated = records.map(RecordJson::toJson).toList();
            }
        }
        assertEquals(30, job.size());
        assertEquals(job, templated);
        assertNotEquals(plain, templated, "lengths in rendered tokens draw other contexts");
    }

    @Test
    void inMemoryDocumentsGiveTheSameRecordsAsTheBundledCorpus() {
        List<Document> docs = new ArrayList<>();
        BundledCorpus.forEach(docs::add);
        In2Config config = CONFIG.withExamples(20);
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
             Stream<TrainingRecord> a = In2.of(config).records(Corpus.bundled(), tokenizer);
             Stream<TrainingRecord> b = In2.of(config).records(Corpus.documents(docs), tokenizer)) {
            assertEquals(a.map(RecordJson::toJson).toList(), b.map(RecordJson::toJson).toList());
        }
    }

    @Test
    void aDesignComputesAnyIndexAloneAndOnePassOfRedrawsGivesTheStream() {
        In2Config config = CONFIG.withExamples(30);
        List<String> stream;
        List<String> byIndex = new ArrayList<>();
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base")) {
            try (Stream<TrainingRecord> records = In2.of(config).records(Corpus.bundled(), tokenizer)) {
                stream = records.map(RecordJson::toJson).toList();
            }
            In2Design design = In2.of(config).design(Corpus.bundled(), tokenizer, tmp.resolve("store"));
            assertEquals(30, design.size());
            // a "partition" computed backwards still gives the same example for each index
            List<TrainingRecord> computed = new ArrayList<>();
            for (long i = design.size() - 1; i >= 0; i--) {
                computed.add(0, design.example(i));
            }
            Set<String> seen = new HashSet<>();
            for (TrainingRecord r : computed) {
                byIndex.add(RecordJson.toJson(design.redrawRepeat(r, seen)));
            }
        }
        assertEquals(stream, byIndex);
    }

    @Test
    void closingTheStreamRemovesItsTemporaryStore() throws IOException {
        Path tmpRoot = Path.of(System.getProperty("java.io.tmpdir"));
        Set<Path> before = granularTemps(tmpRoot);
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
             Stream<TrainingRecord> records = In2.of(CONFIG.withExamples(5)).records(Corpus.bundled(), tokenizer)) {
            assertFalse(granularTemps(tmpRoot).equals(before), "the store lives while the stream is open");
            assertEquals(5, records.count());
        }
        assertEquals(before, granularTemps(tmpRoot));
    }

    private static Set<Path> granularTemps(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return new HashSet<>(s.filter(p -> p.getFileName().toString().startsWith("granular-in2-")).toList());
        }
    }

    private List<String> runJob(In2Config config, int threads) throws IOException {
        Path out = tmp.resolve("job");
        In2Job.run(In2Job.Spec.of(List.of(), config, out).withShardSize(25).withThreads(threads), In2Job.Listener.NONE);
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(out.resolve("data"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                Files.readAllLines(f).stream().filter(l -> !l.isBlank()).forEach(lines::add);
            }
        }
        assertTrue(lines.size() > 25, "several shards");
        return lines;
    }
}
