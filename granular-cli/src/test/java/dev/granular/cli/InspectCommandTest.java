package dev.granular.cli;

import static dev.granular.cli.ChatTemplateFixtures.PLAIN;
import static dev.granular.cli.ChatTemplateFixtures.qwen3;
import static dev.granular.cli.ChatTemplateFixtures.records;
import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular inspect}: the rendering with the mask, from the tokenizer's template or --chat-template. */
class InspectCommandTest {
    @TempDir
    Path tmp;

    private In2Fixtures.Run inspect(Path tokenizer, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("inspect", records(tmp).toString(), "--tokenizer", tokenizer.toString(),
                "--color", "never", "--limit", "1"));
        args.addAll(List.of(extra));
        return granular(args);
    }

    @Test
    void rendersWithTheTokenizersTemplateAndMarksTrainedTokens() throws IOException {
        In2Fixtures.Run run = inspect(qwen3());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).startsWith("== r-paris: ").contains("<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n")
                .contains("[[Paris]][[.]][[<|im_end|>]]");
    }

    @Test
    void aTemplateInChatTemplateJinjaIsUsed() throws IOException {
        In2Fixtures.Run fromConfig = inspect(qwen3());
        In2Fixtures.Run fromJinja = inspect(ChatTemplateFixtures.qwen3WithJinja(tmp.resolve("moved")));
        assertThat(fromJinja.code()).as(fromJinja.all()).isZero();
        assertThat(fromJinja.out()).isEqualTo(fromConfig.out());
    }

    @Test
    void aJinjaChatTemplateOverridesTheTokenizersTemplate() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain.jinja"), PLAIN);
        In2Fixtures.Run run = inspect(qwen3(), "--chat-template", file.toString());
        assertThat(run.code()).as(run.all()).isZero();
        assertThat(run.out()).contains("### user\nCapital of France?<|im_end|>\n### assistant\n[[Paris]][[.]][[<|im_end|>]]")
                .doesNotContain("<|im_start|>");
    }

    @Test
    void aJsonChatTemplateOverridesTheTokenizersTemplate() throws IOException {
        Path file = Files.writeString(tmp.resolve("chat_template.json"),
                "{\"chat_template\": \"{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}\"}");
        In2Fixtures.Run run = inspect(qwen3(), "--chat-template", file.toString());
        assertThat(run.code()).as(run.all()).isZero();
        // eos_token still comes from --tokenizer's tokenizer_config.json.
        assertThat(run.out()).contains("<user>Capital of France?<|im_end|><assistant>[[Paris]][[.]][[<|im_end|>]]");
    }

    @Test
    void noTemplateAnywhereExitsTwoSuggestingTheFlag() throws IOException {
        Path bare = ChatTemplateFixtures.qwen3WithoutTemplate(tmp);
        In2Fixtures.Run run = inspect(bare);
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no chat template in " + bare).contains("chat_template.jinja").contains("tokenizer_config.json")
                .contains("chat_template.json").contains("--chat-template FILE");
    }

    @Test
    void aBadTemplateFileExitsTwoNamingIt() throws IOException {
        Path broken = Files.writeString(tmp.resolve("broken.jinja"), "{% if messages %}never closed");
        In2Fixtures.Run run = inspect(qwen3(), "--chat-template", broken.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("granular: " + broken + ": chat template ");
    }
}
