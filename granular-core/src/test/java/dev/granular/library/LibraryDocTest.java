package dev.granular.library;

import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.Document;
import dev.granular.export.TokenRow;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

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
        assertThat(tagged).containsOnlyKeys("in2", "design", "export", "files", "errors");
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
}
