package dev.granular.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.in2.In2Config;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IN2 benchmarks reach IN2's engine in {@code in2.internal} from this non-exported package ({@link In2Internals}) and measure it. */
class In2BenchmarksTest {
    private static final In2Config SMALL = In2Config.DEFAULT.withContext(1024, 2048);

    @TempDir
    Path tmp;

    @Test
    void assemblyFromSlicesGivesTheIdsOfTokenizingTheText() {
        try (Tokenizer t = Tokenizers.builtin("o200k_base")) {
            In2Benchmarks.AssemblyResult r = In2Benchmarks.assembly(t, SMALL, 5, 1, tmp.resolve("store"));
            assertThat(r.identical()).isTrue();
            assertThat(r.contexts()).isEqualTo(5);
            assertThat(r.tokens()).isBetween(5L * 512, 5L * 2048);   // contexts fill their drawn 1024..2048 tokens, less a segment
        }
    }

    @Test
    void aSyntheticCorpusIsSegmentedAndCounted() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        long docs = In2Benchmarks.makeCorpus(corpus, 50_000, 1);
        assertThat(Files.readAllLines(corpus)).hasSize((int) docs).allSatisfy(l -> assertThat(l).startsWith("{").contains("\"text\""));
        try (Tokenizer t = Tokenizers.builtin("o200k_base")) {
            In2Benchmarks.MemoryResult r = In2Benchmarks.corpusMemory(List.of(corpus), t, SMALL, tmp.resolve("store"));
            assertThat(r.documents()).isEqualTo(docs);
            assertThat(r.corpusBytes()).isEqualTo(Files.size(corpus));
            assertThat(r.segments()).isPositive();
            assertThat(r.tokens()).isGreaterThan(r.segments());
        }
    }
}
