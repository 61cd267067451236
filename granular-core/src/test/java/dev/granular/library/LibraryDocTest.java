package dev.granular.library;

import dev.granular.teacher.testserver.Reply;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.erasure.StrategyChoice;
import dev.granular.erasure.Erasure;
import dev.granular.erasure.DistillJob;
import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.Document;
import dev.granular.probe.EvalJob;
import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import dev.granular.export.TokenRow;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** docs/library.md shows the examples of {@link LibraryExamples} verbatim, and they run. */
class LibraryDocTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path tmp;

    @Test
    void theDocsCodeBlocksAreTheCompiledExamples() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/library.md"));
        List<String> blocks = DocBlocks.javaBlocks(doc);
        Map<String, String> tagged = DocBlocks.tagged(Files.readString(
                ROOT.resolve("granular-core/src/test/java/dev/granular/library/LibraryExamples.java")));
        assertThat(tagged).containsOnlyKeys("in2", "design", "export", "rows", "files", "teacher", "errors", "eval");
        assertThat(blocks).containsExactlyElementsOf(tagged.values());
    }


    @Test
    void theIn2ExampleStreamsTheRecords() {
        List<String> lines = LibraryExamples.in2ToStream();
        assertThat(lines).hasSize(20);
        assertThat(RecordJson.parse(lines.get(0), "example", 1).id()).isEqualTo("in2-00000000");
    }

    @Test
    void theDesignExampleRunsOnDocumentsInMemory() {
        List<Document> docs = new ArrayList<>();
        BundledCorpus.forEach(docs::add);
        List<TrainingRecord> records = LibraryExamples.in2ByIndex(docs, tmp.resolve("store"));
        assertThat(records).hasSize(10).extracting(TrainingRecord::id).doesNotHaveDuplicates();
    }

    @Test
    void theExportExamplePacksRows() {
        List<TokenRow> rows = LibraryExamples.tokenExport(Reference.tokenizerDir("qwen3"));
        assertThat(rows).isNotEmpty().allSatisfy(r -> {
            assertThat(r.length()).isLessThanOrEqualTo(8192);
            assertThat(r.positionIds()).isNotNull();
        });
    }

    @Test
    void theRowsExampleErasesAndExportsRecordsInMemory() throws IOException {
        TrainingRecord kept = new TrainingRecord("a", List.of(Message.system("Think step by step."), Message.user("2+2?"),
                Message.assistant("4")), null, Map.of("design", "distill"));
        TrainingRecord refused = new TrainingRecord("b", List.of(Message.of(Role.USER, "trained prompt", true),
                Message.assistant("reply")), null, Map.of("design", "generate"));
        Path data = tmp.resolve("data.jsonl");
        Files.write(data, List.of(RecordJson.toJson(kept), RecordJson.toJson(refused)));

        List<Map<String, Object>> rows = LibraryExamples.eraseAndExport(data);

        assertThat(rows).hasSize(1);   // OpenAI trains only assistant messages: the second record is refused, not approximated
        assertThat(rows.get(0).get("messages")).asList().hasSize(3).first()
                .isEqualTo(Map.of("role", "system", "content", Erasure.DEFAULT_SYSTEM_MESSAGE));
    }

    @Test
    void theFilesExampleWritesAnIn2FolderItsDedupAndTheirTokenExport() {
        String summary = LibraryExamples.in2ToFiles(Reference.tokenizerDir("qwen3"), tmp);
        assertThat(summary).startsWith("in2 8, dedup 8, tokens 8 ");
        assertThat(tmp.resolve("in2/manifest.json")).isRegularFile();
        assertThat(tmp.resolve("dedup/manifest.json")).isRegularFile();
        assertThat(tmp.resolve("dedup/removed.jsonl")).as("nothing removed: an empty file").isEmptyFile();
        assertThat(tmp.resolve("in2/tokens")).as("the context ids in2 --chat-template keeps").isDirectory();
        assertThat(tmp.resolve("tokens/manifest.json")).isRegularFile();
        assertThat(tmp.resolve("tokens/data/part-00000.parquet")).isRegularFile();
    }

    @Test
    void theErrorExampleNamesTheFields() {
        assertThat(LibraryExamples.configError()).isEqualTo("minTokens (4096) is larger than maxTokens (2048)");
    }

    /** The teacher example against the in-process OpenAI-compatible server: estimate, then a run that writes the data. */
    @Test
    void theTeacherExampleDistillsAgainstAServer() throws Exception {
        Path tasks = tmp.resolve("tasks.jsonl");
        Files.writeString(tasks, "{\"id\":\"m1\",\"category\":\"arithmetic\",\"question\":\"What is 12 times 7?\",\"answer\":\"84\"}\n"
                + "{\"id\":\"c1\",\"category\":\"capitals\",\"question\":\"Capital of Australia?\",\"answer\":\"Canberra\"}\n");
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> Reply.text("Let me work through it step by step. The answer is "
                    + (r.lastUserMessage().contains("12 times 7") ? "84." : "Canberra.")));
            DistillJob.Result result = LibraryExamples.distill(tasks, server.baseUrl(), tmp.resolve("distill"));
            assertThat(result.records()).isEqualTo(2);
            assertThat(server.totalRequests()).isEqualTo(2);
            assertThat(result.choices()).extracting(StrategyChoice::strategy).containsOnly("step-by-step");
            List<String> data = new ArrayList<>();
            try (var files = Files.list(tmp.resolve("distill/data"))) {
                for (Path f : files.sorted().toList()) {
                    data.addAll(Files.readAllLines(f));
                }
            }
            assertThat(data).hasSize(2).allSatisfy(line -> assertThat(RecordJson.parse(line, "distill", 1).messages().get(0).content())
                    .isEqualTo(Erasure.DEFAULT_SYSTEM_MESSAGE));
            // a rerun resumes from the journal: nothing is sent again
            LibraryExamples.distill(tasks, server.baseUrl(), tmp.resolve("distill"));
            assertThat(server.totalRequests()).isEqualTo(2);
        }
    }

    /** The quoted words of a document probe's question ("... contains the words \"PIECE\". Quote that sentence in full."). */
    private static final Pattern PIECE = Pattern.compile("contains the words \"(.+?)\"\\. Quote");

    /**
     * A model that reads only the first three quarters of its context: it quotes the asked-for sentence when the
     * sentence starts there, and gives up otherwise (no word in common with the sentence: score 0).
     */
    private static String firstThreeQuartersReader(String userMessage) {
        int context = userMessage.indexOf("\n\n") + 2;
        int question = userMessage.lastIndexOf("\n\nQuestion: ");
        Matcher m = PIECE.matcher(userMessage.substring(question));
        assertThat(m.find()).as("a document probe's question").isTrue();
        int at = userMessage.lastIndexOf("Sentence " + m.group(1), question);
        if (at < 0 || at - context > 0.75 * (question - context)) {
            return "I cannot find it.";
        }
        return userMessage.substring(at, userMessage.indexOf('.', at) + 1);
    }

    /**
     * The evaluation example against the in-process server: 10 document probes at depths 0, 10, ..., 90% of the
     * context, in 2 bins of 5, scored on the replies of a model that misses the last quarter of its context. The
     * positions at depths 80% and 90% score 0, the rest 1: bins 1.0 and 0.6, Avg 0.8, Gap 0.4.
     */
    @Test
    void theEvaluationExampleProbesAndScoresAModel() throws Exception {
        String[] colours = {"amber", "blue", "crimson", "dun", "emerald", "fawn", "grey", "hazel", "indigo", "jade"};
        String[] things = {"boat", "kettle", "lantern", "meadow", "orchard", "parrot", "quilt", "river", "saddle", "tower"};
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String piece = "number " + i + " says that the " + colours[i % 10] + " " + things[(i / 10) % 10];
            pieces.add("{\"sentence\":\"Sentence " + piece + " stood near the old bridge.\",\"piece\":\"" + piece + "\"}");
        }
        Path file = Files.write(tmp.resolve("document_sentences.jsonl"), pieces);
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> Reply.text(firstThreeQuartersReader(r.lastUserMessage())));
            EvalJob.Result result = LibraryExamples.evaluate(file, server.baseUrl(), tmp.resolve("work"));

            assertThat(server.totalRequests()).isEqualTo(10);
            assertThat(result.scored()).isEqualTo(10);
            assertThat(result.failed()).isZero();
            ScoreSheet.TaskScores document = result.sheet().tasks().get(ProbeTask.DOCUMENT);
            assertThat(result.sheet().tasks()).containsOnlyKeys(ProbeTask.DOCUMENT);
            assertThat(document.positions()).containsExactly(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0);
            assertThat(document.bins()).containsExactly(new double[] {1.0, 0.6}, within(1e-9));
            assertThat(document.avg()).isCloseTo(0.8, within(1e-9));
            assertThat(document.gap()).isCloseTo(0.4, within(1e-9));
            assertThat(tmp.resolve("work/eval/report/scores.json")).isRegularFile();
            // a rerun resumes from the journal: nothing is asked again, the same numbers come out
            EvalJob.Result again = LibraryExamples.evaluate(file, server.baseUrl(), tmp.resolve("work"));
            assertThat(server.totalRequests()).isEqualTo(10);
            assertThat(again.sheet().tasks().get(ProbeTask.DOCUMENT).avg()).isCloseTo(0.8, within(1e-9));
        }
    }
}
