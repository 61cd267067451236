package dev.granular.template;

import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTemplateTest {

    @TempDir
    Path tmp;

    private Path config(String json) throws IOException {
        Files.writeString(tmp.resolve("tokenizer_config.json"), json);
        return tmp;
    }

    @Test
    void aTokenizerWithoutTemplateIsRefusedNamingEveryPlaceLooked() {
        Path dir = Reference.tokenizerDir("llama2");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessage("no chat template in " + dir + ": looked for " + dir.resolve("chat_template.jinja")
                        + " (no such file), the \"chat_template\" entry of " + dir.resolve("tokenizer_config.json") + " (none) and "
                        + dir.resolve("chat_template.json") + " (no such file); give one with --chat-template FILE"
                        + " (a .jinja template, or a .json file with a \"chat_template\" entry)");
    }

    @Test
    void anEmptyDirectoryIsRefusedSayingTheConfigIsMissingToo() {
        assertThatThrownBy(() -> ChatTemplate.load(tmp))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("the \"chat_template\" entry of " + tmp.resolve("tokenizer_config.json") + " (no such file)");
    }

    @Test
    void specialTokensMayBeStringsOrAddedTokenObjects() throws IOException {
        ChatTemplate t = ChatTemplate.load(config("""
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
                 "eos_token": "</s>", "pad_token": null,
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}{{ pad_token is defined }}"}
                """));
        assertThat(t.specialTokens()).isEqualTo(Map.of("bos_token", "<s>", "eos_token", "</s>"));
        assertThat(t.render(List.of(TemplateMessage.of("user", "hi")), null, false)).isEqualTo("<s>hi</s>False");
    }

    @Test
    void aListOfNamedTemplatesUsesDefaultOrToolUseWhenToolsAreGiven() throws IOException {
        ChatTemplate t = ChatTemplate.load(config("""
                {"chat_template": [{"name": "default", "template": "D{{ tools is none }}"},
                                   {"name": "tool_use", "template": "T{{ tools|length }}"}]}
                """));
        List<TemplateMessage> m = List.of(TemplateMessage.of("user", "x"));
        assertThat(t.render(m, null, false)).isEqualTo("DTrue");
        assertThat(t.render(m, List.of(Map.of("type", "function")), false)).isEqualTo("T1");
    }

    @Test
    void aSyntaxErrorNamesTheFileAndThePositionInTheTemplate() throws IOException {
        Path dir = config("{\"chat_template\": \"ok\\n{{ messages | }}\"}");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .isInstanceOf(TemplateException.class)
                .hasMessage(dir.resolve("tokenizer_config.json") + ": chat template 2:15: expected a name, found '}}'");
    }

    @Test
    void theTemplatesOwnRaiseExceptionNamesTheFile() {
        Path dir = Reference.tokenizerDir("gemma3");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThatThrownBy(() -> t.render(List.of(TemplateMessage.of("assistant", "first")), null, false))
                .isInstanceOf(TemplateException.class)
                .hasMessageStartingWith(dir.resolve("tokenizer_config.json") + ": chat template ")
                .hasMessageEndingWith("raise_exception: Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void rendersARecordWithReasoningAndExtraVariables() {
        ChatTemplate t = ChatTemplate.load(Reference.tokenizerDir("qwen3"));
        Message answer = new Message(dev.granular.record.Role.ASSISTANT, "4", true, null, "2+2=4");
        TrainingRecord r = new TrainingRecord("id-1", List.of(Message.user("2+2?"), answer), null, Map.of("design", "test"));
        assertThat(t.render(r, false)).isEqualTo(
                "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n2+2=4\n</think>\n\n4<|im_end|>\n");
        assertThat(t.render(List.of(TemplateMessage.of("user", "hi")), null, true, Map.of("enable_thinking", false)))
                .isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
        assertThat(t.renderMessages(List.of(Message.system("S"), Message.user("U")), null, true))
                .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
    }
}
