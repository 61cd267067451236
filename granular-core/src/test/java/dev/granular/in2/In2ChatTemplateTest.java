package dev.granular.in2;

import dev.granular.in2.internal.RenderedRows;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import dev.granular.report.Uniformity;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code in2 --chat-template}: lengths in the rendered row's tokens; without it, the output as before. */
class In2ChatTemplateTest {
    static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    Path dir;

    static In2Job.Spec spec(In2Config config, String tokenizer, Path out) {
        return In2Job.Spec.of(List.of(), config, out).withTokenizer(tokenizer).withThreads(2);
    }

    /**
     * Without --chat-template, in2's data is byte for byte what it was before the option existed
     * (the hash is of `granular in2 --examples 60 --min-tokens 1024 --max-tokens 4096
     * --max-doc-tokens 512` built before the change), and it keeps no token ids.
     */
    @Test
    void withoutATemplateTheOutputIsUnchanged() throws Exception {
        Path out = dir.resolve("pin");
        In2Job.run(spec(In2Config.DEFAULT.withExamples(60).withContext(1024, 4096).withSegmentation(128, 512), "o200k_base", out),
                In2Job.Listener.NONE);
        assertThat(Json.sha256Hex(Files.readAllBytes(out.resolve("data/part-00000.jsonl"))))
                .isEqualTo("d641d6139081bc7a7bf0bf5232b64cf47eacf0d1d5c6c0448b385085f3a49591");
        assertThat(out.resolve("tokens")).doesNotExist();
    }

    /**
     * With Qwen3's tokenizer and chat template, on the bundled corpus with the demo's 4K-32K: every
     * row rendered with the template and tokenized whole is at most --max-tokens (without the
     * template, the demo had 20 of 1,000 over), at least --min-tokens, equal to meta.rendered_tokens,
     * and the lengths still span the range.
     */
    @Test
    void qwen3RowsFitTheRangeInRenderedTokens() throws Exception {
        Path qwen = In2Fixtures.tokenizerDir("qwen3");
        Path out = dir.resolve("qwen3");
        In2Job.run(spec(In2Config.DEFAULT.withExamples(120), qwen.toString(), out).withChatTemplate(In2Job.TOKENIZER_TEMPLATE),
                In2Job.Listener.NONE);
        ChatTemplate template = ChatTemplate.load(qwen);
        List<Integer> lengths = new ArrayList<>();
        try (Tokenizer tok = In2Fixtures.tokenizer("qwen3")) {
            for (TrainingRecord r : RecordReader.readAll(out)) {
                int full = tok.encode(template.render(r, false)).length;
                assertThat(((Number) r.meta().get("rendered_tokens")).intValue()).as(r.id()).isEqualTo(full);
                String kind = (String) r.meta().get("kind");
                if (kind.equals("single") || kind.equals("multi")) {
                    assertThat(full).as(r.id()).isBetween(4096, 32768);
                    lengths.add(full);
                }
            }
        }
        assertThat(lengths).hasSizeGreaterThan(90);
        assertThat(lengths.stream().mapToInt(Integer::intValue).min().getAsInt()).isLessThan(4096 + 4000);
        assertThat(lengths.stream().mapToInt(Integer::intValue).max().getAsInt()).isGreaterThan(32768 - 4000);
        var manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.at("/inputs/chat_template_fingerprint").asText()).isEqualTo(template.fingerprint());
        assertThat(Files.readString(out.resolve("README.md"))).contains(template.fingerprint());
        var meta = new ObjectMapper().readTree(out.resolve("tokens/meta.json").toFile());
        assertThat(meta.path("entries").asLong()).isEqualTo(lengths.size());
    }

    /** Sizing rows in rendered tokens leaves the key segments' depths uniform (as DesignPropertiesTest checks without). */
    @Test
    void depthsStayUniformWithATemplate() {
        try (Tokenizer tok = In2Fixtures.tokenizer("o200k_base")) {
            SegmentTokens tokens = new SegmentTokens(tok);
            SegmentStore store = In2Fixtures.build(dir.resolve("store"), tokens, In2Fixtures.corpus(31, 160, true, false), 32, 256);
            In2Config config = new In2Config(1500, 32, 600, 2400, Mix.parse("single=1"), 256, PromptTemplate.DEFAULT, "Be brief.",
                    12345);
            RenderedRows rows = new RenderedRows(ChatTemplate.of(CHATML, Map.of()), tokens);
            In2Design design = new In2Design(store, tokens, config, List.of(), null, rows);
            List<Double> depths = new ArrayList<>();
            for (long i = 0; i < design.size(); i++) {
                TrainingRecord r = design.example(i);
                depths.add(((Number) In2Fixtures.list(r.meta().get("depth")).get(0)).doubleValue());
                int rendered = ((Number) r.meta().get("rendered_tokens")).intValue();
                assertThat(rendered).isBetween(600, 2400);
                if (i < 50) {
                    assertThat(tok.encode(ChatTemplate.of(CHATML, Map.of()).render(r, false)).length).isEqualTo(rendered);
                }
            }
            long[] bins = DesignPropertiesTest.bins(depths);
            assertThat(Uniformity.chiSquarePValue(bins)).as(java.util.Arrays.toString(bins)).isGreaterThan(0.001);
        }
    }
}
