package dev.granular.cli;

import static dev.granular.cli.ChatTemplateFixtures.PLAIN;
import static dev.granular.cli.ChatTemplateFixtures.qwen3;
import static dev.granular.cli.ChatTemplateFixtures.records;
import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular export --format tokens|trl-tokens}: where the chat template comes from, and --chat-template. */
class ExportChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private In2Fixtures.Run export(Path tokenizer, String out, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("export", "--in", records(tmp).toString(), "--format", "tokens",
                "--tokens-format", "jsonl", "--tokenizer", tokenizer.toString(), "--out", tmp.resolve(out).toString()));
        args.addAll(List.of(extra));
        return granular(args);
    }

    /** The text of each row's input_ids. */
    private List<String> decodedRows(String out) throws IOException {
        List<String> texts = new ArrayList<>();
        try (Tokenizer t = Tokenizers.load(qwen3().toString())) {
            for (String line : Files.readAllLines(tmp.resolve(out).resolve("data/part-00000.jsonl"))) {
                texts.add(t.decode(JSON.readValue(JSON.readTree(line).get("input_ids").toString(), int[].class)));
            }
        }
        return texts;
    }

    private JsonNode manifest(String out) throws IOException {
        return JSON.readTree(tmp.resolve(out).resolve("manifest.json").toFile());
    }

    @Test
    void aTokenizerWhoseTemplateIsInChatTemplateJinjaExportsTheSameRows() throws IOException {
        In2Fixtures.Run original = export(qwen3(), "from-config");
        assertThat(original.code()).as(original.all()).isZero();
        Path moved = ChatTemplateFixtures.qwen3WithJinja(tmp.resolve("moved"));
        In2Fixtures.Run fromJinja = export(moved, "from-jinja");
        assertThat(fromJinja.code()).as(fromJinja.all()).isZero();
        assertThat(Files.readString(tmp.resolve("from-jinja/data/part-00000.jsonl")))
                .isEqualTo(Files.readString(tmp.resolve("from-config/data/part-00000.jsonl")));
        assertThat(decodedRows("from-jinja").get(0)).startsWith("<|im_start|>user\nCapital of France?<|im_end|>\n");
        assertThat(manifest("from-jinja").path("chat_template").asText()).isEqualTo(moved.resolve("chat_template.jinja").toString());
        assertThat(manifest("from-config").path("chat_template").asText()).isEqualTo(qwen3().resolve("tokenizer_config.json").toString());
        assertThat(manifest("from-jinja").path("chat_template_fingerprint").asText())
                .isEqualTo(manifest("from-config").path("chat_template_fingerprint").asText()).startsWith("sha256:");
    }

    @Test
    void aJinjaChatTemplateOverridesTheTokenizersTemplate() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.jinja"), PLAIN);
        In2Fixtures.Run run = export(qwen3(), "plain", "--chat-template", file.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).startsWith("export: 2 of 2 records as tokens to " + tmp.resolve("plain"));
        assertThat(decodedRows("plain")).containsExactly("### user\nCapital of France?<|im_end|>\n### assistant\nParis.<|im_end|>\n",
                "### user\nCapital of Japan?<|im_end|>\n### assistant\nTokyo.<|im_end|>\n");
        assertThat(manifest("plain").path("chat_template").asText()).isEqualTo(file.toString());
        assertThat(manifest("plain").path("chat_template_fingerprint").asText())
                .isEqualTo(ChatTemplate.load(qwen3(), file).fingerprint());
        assertThat(Files.readString(tmp.resolve("plain/README.md"))).contains("chat template of `" + file + "`");
    }

    @Test
    void aJsonChatTemplateIsReadForItsChatTemplateEntry() throws IOException {
        Path file = tmp.resolve("template.json");
        JSON.writeValue(file.toFile(), java.util.Map.of("chat_template",
                List.of(java.util.Map.of("name", "default", "template", PLAIN.replace("### ", "## ")),
                        java.util.Map.of("name", "tool_use", "template", "unused without tools"))));
        In2Fixtures.Run run = export(qwen3(), "json", "--chat-template", file.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(decodedRows("json").get(0)).isEqualTo("## user\nCapital of France?<|im_end|>\n## assistant\nParis.<|im_end|>\n");
        assertThat(manifest("json").path("chat_template").asText()).isEqualTo(file.toString());
    }

    @Test
    void noTemplateAnywhereExitsTwoNamingEveryPlaceLookedAndTheFlag() throws IOException {
        Path bare = ChatTemplateFixtures.qwen3WithoutTemplate(tmp);
        In2Fixtures.Run run = export(bare, "x");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no chat template in " + bare).contains(bare.resolve("chat_template.jinja").toString())
                .contains(bare.resolve("tokenizer_config.json").toString()).contains(bare.resolve("chat_template.json").toString())
                .contains("--chat-template FILE");
        // The same directory exports with a template given.
        Path file = Files.writeString(tmp.resolve("plain.jinja"), PLAIN);
        In2Fixtures.Run given = export(bare, "y", "--chat-template", file.toString());
        assertThat(given.code()).as(given.all()).isZero();
    }

    @Test
    void aBadTemplateFileExitsTwoNamingIt() throws IOException {
        Path broken = Files.writeString(tmp.resolve("broken.jinja"), "{% for m in messages %}{{ m.content | }}{% endfor %}");
        In2Fixtures.Run run = export(qwen3(), "x", "--chat-template", broken.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains(broken + ": chat template 1:39: expected a name, found '}}'");
        Path noEntry = Files.writeString(tmp.resolve("config.json"), "{\"eos_token\": \"</s>\"}");
        In2Fixtures.Run json = export(qwen3(), "y", "--chat-template", noEntry.toString());
        assertThat(json.code()).isEqualTo(2);
        assertThat(json.err()).contains(noEntry + ": no \"chat_template\" entry");
        Path missing = tmp.resolve("missing.jinja");
        In2Fixtures.Run none = export(qwen3(), "z", "--chat-template", missing.toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains(missing + ": no such file");
    }

    @Test
    void aTemplateOverItsLimitsExitsTwoNamingItInsteadOfRefusingEachRecord() throws IOException {
        Path hostile = Files.writeString(tmp.resolve("hostile.jinja"),
                "{% for m in messages %}{{ m.content }}{% endfor %}{% for i in range(10) %}{{ 'x' * 10**9 }}{% endfor %}");
        In2Fixtures.Run run = export(qwen3(), "x", "--chat-template", hostile.toString());
        assertThat(run.code()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).contains(hostile + ": chat template 1:82: template builds a string of more than")
                .contains("-Dgranular.template.output=");
        assertThat(tmp.resolve("x/manifest.json")).doesNotExist();
    }

    @Test
    void anotherChatTemplateIntoTheSameOutIsRefusedWithoutOverwrite() throws IOException {
        Path a = Files.writeString(tmp.resolve("a.jinja"), PLAIN);
        Path b = Files.writeString(tmp.resolve("b.jinja"), PLAIN.replace("### ", ">> "));
        assertThat(export(qwen3(), "out", "--chat-template", a.toString()).code()).isZero();
        In2Fixtures.Run again = export(qwen3(), "out", "--chat-template", a.toString());
        assertThat(again.code()).as(again.all()).isZero();
        In2Fixtures.Run other = export(qwen3(), "out", "--chat-template", b.toString());
        assertThat(other.code()).isEqualTo(2);
        assertThat(other.err()).contains("holds a run with a different configuration; use --overwrite");
        In2Fixtures.Run own = export(qwen3(), "out");
        assertThat(own.code()).as("the tokenizer's own template is another template too").isEqualTo(2);
        // The template changed inside the same file: refused as well.
        Files.writeString(a, PLAIN.replace("### ", "# "));
        assertThat(export(qwen3(), "out", "--chat-template", a.toString()).code()).isEqualTo(2);
        In2Fixtures.Run replaced = export(qwen3(), "out", "--chat-template", b.toString(), "--overwrite");
        assertThat(replaced.code()).as(replaced.all()).isZero();
        assertThat(decodedRows("out").get(0)).startsWith(">> user\n");
    }

    @Test
    void chatTemplateWithARowFormatIsAUsageError() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.jinja"), PLAIN);
        In2Fixtures.Run run = granular("export", "--in", records(tmp).toString(), "--format", "openai", "--chat-template",
                file.toString(), "--out", tmp.resolve("x").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--chat-template applies to the token formats (tokens, trl-tokens) only");
    }
}
