package dev.granular.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.io.BadInputException;
import dev.granular.template.Reference.Conversation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where a chat template comes from: chat_template.jinja and additional_chat_templates/ before
 * tokenizer_config.json's entry before chat_template.json, and a --chat-template file before all.
 */
class ChatTemplateFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<TemplateMessage> HI = List.of(TemplateMessage.of("user", "hi"));
    private static final List<Object> TOOLS = List.of(Map.of("type", "function", "function", Map.of("name", "f")));

    @TempDir
    Path tmp;

    private Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    /**
     * A real tokenizer's files with its template moved to chat_template.jinja, as newer repositories
     * ship it (tokenizer.json is left out: templates do not read it; ExportCommandTest exports from a full copy).
     */
    private Path movedToJinja(String name, String lineSeparator) throws IOException {
        Path original = Reference.tokenizerDir(name);
        Path moved = dir(name + "-jinja" + (lineSeparator.equals("\n") ? "" : "-crlf"));
        ObjectNode config = (ObjectNode) JSON.readTree(original.resolve("tokenizer_config.json").toFile());
        String template = config.remove("chat_template").asText();
        JSON.writeValue(moved.resolve("tokenizer_config.json").toFile(), config);
        write(moved.resolve("chat_template.jinja"), template.replace("\n", lineSeparator));
        return moved;
    }

    /** The rendering, or the reason the template refused the conversation. */
    private static String renderOrReason(ChatTemplate t, Conversation c) {
        try {
            return t.render(ChatTemplateReferenceTest.toTemplateMessages(c.messages()), c.tools(), c.addGenerationPrompt());
        } catch (TemplateException e) {
            return "refused: " + e.reason();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3", "llama3_1", "gemma3", "deepseek_v3"})
    void aTemplateMovedToChatTemplateJinjaRendersAsFromTokenizerConfig(String name) throws IOException {
        ChatTemplate fromConfig = ChatTemplate.load(Reference.tokenizerDir(name));
        Path moved = movedToJinja(name, "\n");
        ChatTemplate fromJinja = ChatTemplate.load(moved);
        assertThat(fromJinja.source()).isEqualTo(moved.resolve("chat_template.jinja").toString());
        assertThat(fromJinja.specialTokens()).isEqualTo(fromConfig.specialTokens()).isNotEmpty();
        assertThat(fromJinja.fingerprint()).isEqualTo(fromConfig.fingerprint());
        // transformers reads the file with universal newlines: Windows line endings render the same.
        ChatTemplate crlf = ChatTemplate.load(movedToJinja(name, "\r\n"));
        for (Conversation c : ChatTemplateReferenceTest.conversations()) {
            String expected = renderOrReason(fromConfig, c);
            assertThat(renderOrReason(fromJinja, c)).as(name + ": " + c.name()).isEqualTo(expected);
            assertThat(renderOrReason(crlf, c)).as(name + " (CRLF): " + c.name()).isEqualTo(expected);
        }
    }

    @Test
    void chatTemplateJinjaWinsOverTheConfigEntryIncludingItsNamedTemplates() throws IOException {
        Path d = dir("both");
        write(d.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "chat_template": [{"name": "default", "template": "CONFIG"},
                                                       {"name": "tool_use", "template": "CONFIG TOOLS"}]}
                """);
        write(d.resolve("chat_template.jinja"), "JINJA {{ bos_token }}{{ tools|length if tools else 0 }}\n");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.source()).isEqualTo(d.resolve("chat_template.jinja").toString());
        assertThat(t.render(HI, null, false)).isEqualTo("JINJA <s>0");
        // The template files replace the config's list as a whole, as in transformers: no tool_use from the config.
        assertThat(t.render(HI, TOOLS, false)).isEqualTo("JINJA <s>1");
    }

    @Test
    void additionalChatTemplatesToolUseIsPickedWhenToolsAreGiven() throws IOException {
        Path d = dir("named");
        write(d.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \"CONFIG\"}");
        write(d.resolve("chat_template.jinja"), "DEFAULT{{ eos_token }}");
        write(d.resolve("additional_chat_templates/tool_use.jinja"), "TOOLS {{ tools[0].function.name }}{{ eos_token }}");
        write(d.resolve("additional_chat_templates/rag.jinja"), "RAG");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.render(HI, null, false)).isEqualTo("DEFAULT</s>");
        assertThat(t.render(HI, TOOLS, false)).isEqualTo("TOOLS f</s>");
        assertThat(t.source()).isEqualTo(d.resolve("chat_template.jinja") + " + " + d.resolve("additional_chat_templates/tool_use.jinja"));
    }

    @Test
    void additionalTemplatesWithoutADefaultAreRefusedRatherThanMixedWithTheConfig() throws IOException {
        Path d = dir("nodefault");
        write(d.resolve("tokenizer_config.json"), "{\"chat_template\": \"CONFIG\"}");
        write(d.resolve("additional_chat_templates/tool_use.jinja"), "TOOLS");
        assertThatThrownBy(() -> ChatTemplate.load(d))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(d.resolve("additional_chat_templates") + ": templates [tool_use] but no default one: add "
                        + d.resolve("chat_template.jinja"));
    }

    @Test
    void chatTemplateJsonIsTheFallbackWhenTheTokenizerHasNoTemplate() throws IOException {
        Path d = dir("processor");
        write(d.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        write(d.resolve("chat_template.json"), "{\"chat_template\": \"LEGACY {{ bos_token }}{{ messages[0].content }}\"}");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.render(HI, null, false)).isEqualTo("LEGACY <s>hi");
        assertThat(t.source()).isEqualTo(d.resolve("chat_template.json").toString());

        // Lowest priority: the config's entry, then chat_template.jinja, each beat it.
        write(d.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"chat_template\": \"CONFIG\"}");
        assertThat(ChatTemplate.load(d).render(HI, null, false)).isEqualTo("CONFIG");
        write(d.resolve("chat_template.jinja"), "JINJA");
        assertThat(ChatTemplate.load(d).render(HI, null, false)).isEqualTo("JINJA");
    }

    @Test
    void aMalformedChatTemplateJsonIsBadInputNamingIt() throws IOException {
        Path d = dir("badjson");
        Path legacy = write(d.resolve("chat_template.json"), "{\"template\": \"x\"}");
        assertThatThrownBy(() -> ChatTemplate.load(d)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(legacy + ": no \"chat_template\" entry");
        write(legacy, "{\"chat_template\": ");
        assertThatThrownBy(() -> ChatTemplate.load(d)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(legacy + ": not valid JSON");
    }

    @Test
    void aTemplateFileWithoutTokenizerConfigLoadsWithNoSpecialTokens() throws IOException {
        Path d = dir("bare");
        write(d.resolve("chat_template.jinja"), "{{ bos_token is defined }} {{ messages[0].content }}");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.specialTokens()).isEmpty();
        assertThat(t.render(HI, null, false)).isEqualTo("False hi");
    }

    @Test
    void aJinjaOverrideReplacesTheDirectorysTemplateButKeepsItsSpecialTokens() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path file = write(tmp.resolve("mine.jinja"), "{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}\n");
        ChatTemplate t = ChatTemplate.load(qwen, file);
        assertThat(t.source()).isEqualTo(file.toString());
        assertThat(t.render(HI, null, false)).isEqualTo("[user] hi<|im_end|>");
        assertThat(t.fingerprint()).isNotEqualTo(ChatTemplate.load(qwen).fingerprint());
    }

    @Test
    void aJsonOverrideIsReadForItsChatTemplateEntryAsAStringOrANamedList() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path string = write(tmp.resolve("config.json"), "{\"chat_template\": \"S {{ eos_token }}\", \"eos_token\": \"ignored\"}");
        assertThat(ChatTemplate.load(qwen, string).render(HI, null, false)).isEqualTo("S <|im_end|>");
        Path named = write(tmp.resolve("named.json"), """
                {"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}
                """);
        ChatTemplate t = ChatTemplate.load(qwen, named);
        assertThat(t.render(HI, null, false)).isEqualTo("D");
        assertThat(t.render(HI, TOOLS, false)).isEqualTo("T");
        // A tokenizer_config.json given as the file is read as the directory would read it.
        assertThat(ChatTemplate.load(qwen, qwen.resolve("tokenizer_config.json")).fingerprint())
                .isEqualTo(ChatTemplate.load(qwen).fingerprint());
    }

    @Test
    void aBadOverrideIsBadInputNamingTheFile() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path missing = tmp.resolve("nope.jinja");
        assertThatThrownBy(() -> ChatTemplate.load(qwen, missing)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(missing + ": no such file");
        Path noEntry = write(tmp.resolve("x.json"), "{\"bos_token\": \"<s>\"}");
        assertThatThrownBy(() -> ChatTemplate.load(qwen, noEntry)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(noEntry + ": no \"chat_template\" entry");
        Path notUtf8 = Files.write(tmp.resolve("latin1.jinja"), new byte[] {'c', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> ChatTemplate.load(qwen, notUtf8)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(notUtf8 + ": cannot read as UTF-8 text");
    }

    @Test
    void templateErrorsNameTheFileTheyCameFrom() throws IOException {
        Path d = dir("errors");
        Path main = write(d.resolve("chat_template.jinja"), "ok\n{{ messages | }}");
        assertThatThrownBy(() -> ChatTemplate.load(d)).isInstanceOf(TemplateException.class)
                .hasMessage(main + ": chat template 2:15: expected a name, found '}}'");
        // an unknown filter fails when it runs, as in Jinja2, naming the file too
        write(main, "ok\n{{ messages | nosuchfilter }}");
        assertThatThrownBy(() -> ChatTemplate.load(d).render(HI, null, false)).isInstanceOf(TemplateException.class)
                .hasMessageStartingWith(main + ": chat template 2:15: No filter named 'nosuchfilter'");
        write(main, "fine");
        Path tool = write(d.resolve("additional_chat_templates/tool_use.jinja"), "{{ raise_exception('no tools here') }}");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.render(HI, null, false)).isEqualTo("fine");
        assertThatThrownBy(() -> t.render(HI, TOOLS, false)).isInstanceOf(TemplateException.class)
                .hasMessageStartingWith(tool + ": chat template 1:").hasMessageEndingWith("no tools here");
        Path override = write(tmp.resolve("broken.jinja"), "{% for m in messages %}");
        assertThatThrownBy(() -> ChatTemplate.load(d, override)).isInstanceOf(TemplateException.class)
                .hasMessageStartingWith(override + ": chat template ");
    }

    @Test
    void theFingerprintFollowsWhatRendersNotWhereItIsStored() throws IOException {
        Path a = dir("a");
        write(a.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"chat_template\": \"{{ bos_token }}x\"}");
        Path b = dir("b");
        write(b.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        write(b.resolve("chat_template.jinja"), "{{ bos_token }}x");
        Path c = dir("c");
        write(c.resolve("tokenizer_config.json"), "{\"bos_token\": \"<bos>\", \"chat_template\": \"{{ bos_token }}x\"}");
        assertThat(ChatTemplate.load(a).fingerprint()).startsWith("sha256:").isEqualTo(ChatTemplate.load(b).fingerprint())
                .isNotEqualTo(ChatTemplate.load(c).fingerprint());
        assertThat(ChatTemplate.of("{{ bos_token }}x", Map.of("bos_token", "<s>")).fingerprint()).isEqualTo(ChatTemplate.load(a).fingerprint());
    }

    @Test
    void aMissingTokenizerDirectoryIsBadInput() {
        Path none = tmp.resolve("none");
        assertThatThrownBy(() -> ChatTemplate.load(none)).isInstanceOf(BadInputException.class)
                .hasMessage(none + ": no such directory: expected a Hugging Face tokenizer directory");
    }

    @Test
    void specialTokensAreThoseTransformersPassesEmptyOnesUndefined() throws IOException {
        Path d = dir("special");
        write(d.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"unk_token\": \"\", \"pad_token\": null,"
                + " \"eos_token\": {\"content\": \"\"}, \"additional_special_tokens\": [\"<a>\", {\"content\": \"<b>\"}]}");
        write(d.resolve("chat_template.jinja"), "{{ bos_token is defined }} {{ unk_token is defined }} {{ pad_token is defined }}"
                + " {{ eos_token is defined }} {{ additional_special_tokens }}");
        ChatTemplate t = ChatTemplate.load(d);
        assertThat(t.render(HI, null, false)).isEqualTo("True False False False ['<a>', '<b>']");
        // the list changes what this template renders, so it is part of the fingerprint
        write(d.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"additional_special_tokens\": [\"<a>\"]}");
        assertThat(ChatTemplate.load(d).fingerprint()).isNotEqualTo(t.fingerprint());
    }
}
