package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.SpendEstimate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.granular.tokenize.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpendEstimatorTest {
    static final PriceTable PRICES = PriceTable.of(Map.of("gpt-4o", new Price(2.0, 8.0), "listed", new Price(1.0, 1.0)),
            Map.of("gpt-4o", new Price(1.0, 4.0)), "test");

    @TempDir
    Path tmp;

    static ChatRequest ask(String text, Integer maxTokens) {
        return ChatRequest.of("r", List.of(ChatMessage.system("Be brief."), ChatMessage.user(text)),
                GenerationParams.DEFAULT.withMaxTokens(maxTokens));
    }

    @Test
    void countsOpenAiPromptsWithTheModelsTokenizerAndPricesRealTimeAndBatch() {
        ModelSpec gpt = ModelSpec.parse("openai:gpt-4o-2024-08-06", null);
        try (SpendEstimator e = SpendEstimator.of(PRICES); var t = Tokenizers.load("o200k_base")) {
            e.add("generate", gpt, ask("What is the capital of France?", 100));
            e.add("generate", gpt, ask("And of Peru?", 100));
            SpendEstimate est = e.estimate();
            SpendEstimate.Line l = est.lines().get(0);
            long expected = 3 + (3 + t.count("Be brief.")) + (3 + t.count("What is the capital of France?"))
                    + 3 + (3 + t.count("Be brief.")) + (3 + t.count("And of Peru?"));
            assertThat(l.tokenCounting()).isEqualTo("o200k_base");
            assertThat(l.exactTokens()).isTrue();
            assertThat(l.promptTokens()).isEqualTo(expected);
            assertThat(l.completionTokens()).isEqualTo(200);
            assertThat(l.completionBasis()).isEqualTo("max_tokens 100");
            assertThat(est.realtimeUsd()).isCloseTo((expected * 2.0 + 200 * 8.0) / 1e6, within(1e-15));
            assertThat(est.batchUsd()).isCloseTo((expected * 1.0 + 200 * 4.0) / 1e6, within(1e-15));
        }
    }

    @Test
    void otherModelsAreEstimatedSayingSoAndAnUnknownPriceIsNeverZero() {
        ModelSpec claude = ModelSpec.parse("anthropic:claude-x", null);
        ModelSpec listed = ModelSpec.parse("openai:listed@http://localhost:8000/v1", null);
        try (SpendEstimator e = SpendEstimator.of(PRICES)) {
            ChatRequest r = ask("x".repeat(400), null);
            e.add("a", claude, r);
            e.add("b", listed, r);
            SpendEstimate est = e.estimate();
            SpendEstimate.Line a = est.lines().get(0);
            assertThat(a.tokenCounting()).isEqualTo("chars/4 estimate");
            assertThat(a.exactTokens()).isFalse();
            assertThat(a.promptTokens()).isEqualTo(r.estimatedPromptTokens());
            assertThat(a.completionTokens()).isEqualTo(SpendEstimator.DEFAULT_COMPLETION_TOKENS);
            assertThat(a.completionBasis()).contains("no max_tokens");
            assertThat(a.realtimeUsd()).isNull();
            assertThat(a.batchUsd()).isNull();
            SpendEstimate.Line b = est.lines().get(1);
            assertThat(b.realtimeUsd()).isPositive();
            assertThat(b.batchUsd()).as("listed, but no batch price").isNull();
            assertThat(est.realtimeUsd()).as("a total with an unknown part is unknown").isNull();
            assertThat(est.table()).contains("unknown").doesNotContain("$0.00 ");
            assertThat(est.toJson()).containsEntry("cost_realtime_usd", null);
        }
    }

    @Test
    void requestsInTheOutputFoldersPaidRepliesAreFreeAndTheFileIsNotTouched() throws Exception {
        ModelSpec gpt = ModelSpec.parse("openai:gpt-4o", null);
        Path out = tmp.resolve("out");
        Path file = out.resolve(dev.granular.files.OutputDirectory.PAID_REPLIES);
        try (PaidRepliesFile paid = PaidRepliesFile.open(file, "run", FileWrites.DIRECT)) {
            paid.paid(CacheKey.of(gpt, ask("answered", 10)), gpt, new Usage(5, 5), 0.1, "{}");
        }
        byte[] before = Files.readAllBytes(file);
        try (SpendEstimator e = SpendEstimator.open(PRICES, out, tmp.resolve("no-cache.sqlite"))) {
            e.add("generate", gpt, ask("answered", 10));
            e.add("generate", gpt, ask("new", 10));
            SpendEstimate.Line l = e.estimate().lines().get(0);
            assertThat(l.requests()).isEqualTo(2);
            assertThat(l.free()).isEqualTo(1);
            assertThat(l.completionTokens()).as("only the request to pay for").isEqualTo(10);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(tmp.resolve("no-cache.sqlite")).doesNotExist();
    }

    @Test
    void assumedRequestsSayHowTheyWereCounted() {
        try (SpendEstimator e = SpendEstimator.of(PRICES)) {
            e.addAssumed("teacher", ModelSpec.parse("openai:gpt-4o", null), 3, 100, 50, "prompt: assumed");
            SpendEstimate.Line l = e.estimate().lines().get(0);
            assertThat(l.promptTokens()).isEqualTo(300);
            assertThat(l.completionTokens()).isEqualTo(150);
            assertThat(l.exactTokens()).isFalse();
            assertThat(l.tokenCounting()).contains("assumed");
            assertThat(l.completionBasis()).isEqualTo("prompt: assumed");
        }
    }
}
