package dev.granular.probe;

import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code probe --chat-template}: prompts rendered with Qwen3's template and generation prompt fit the lengths. */
class ProbeChatTemplateTest {
    @TempDir
    Path tmp;

    static void assertPrompts(Path out, Path qwen, int limit, int atLeast) {
        ChatTemplate template = ChatTemplate.load(qwen);
        List<TrainingRecord> rs = RecordReader.readAll(out);
        assertThat(rs).isNotEmpty();
        try (Tokenizer tok = Tokenizers.load(qwen.toString())) {
            for (TrainingRecord r : rs) {
                int full = tok.encode(template.render(r, true)).length;
                int l = r.meta().containsKey("length") ? ((Number) r.meta().get("length")).intValue() : limit;
                assertThat(((Number) r.meta().get("rendered_tokens")).intValue()).as(r.id()).isEqualTo(full);
                assertThat(full).as(r.id()).isBetween(l - atLeast, l);
            }
        }
    }

    @Test
    void valPromptsFitContextTokens() {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path out = tmp.resolve("doc");
        ProbeJob.run(ProbeJob.Spec.of(ProbeTask.DOCUMENT, out)
                .withConfig(new ProbeConfig(3000, 30, 10, 2, 42, dev.granular.in2.PromptTemplate.DEFAULT))
                .withTokenizer(qwen.toString()).withShardSize(100).withChatTemplate("tokenizer"));
        assertPrompts(out, qwen, 3000, 300);
    }

    @Test
    void needlePromptsFitTheirLengths() {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path out = tmp.resolve("needle");
        ProbeJob.run(ProbeJob.Spec.of(ProbeTask.NEEDLE, out)
                .withConfig(new ProbeConfig(2000, 1, 1, 1, 42, dev.granular.in2.PromptTemplate.DEFAULT))
                .withTokenizer(qwen.toString()).withLengths(List.of(1000, 2500)).withDepths(List.of(0, 50, 100))
                .withShardSize(100).withChatTemplate("tokenizer"));
        assertPrompts(out, qwen, 0, 120);
    }
}
