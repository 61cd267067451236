package dev.granular.template;

import dev.granular.template.Reference.Conversation;
import dev.granular.template.Reference.Rendered;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Every chat template among the test tokenizers, on every conversation below, renders exactly as
 * transformers.js renders it, and granular's tokenizer gives the same ids for that rendering; a
 * conversation the reference refuses (the template's raise_exception) is refused here too.
 */
class ChatTemplateReferenceTest {

    private static final List<Tokenizer> OPEN = new ArrayList<>();

    @AfterAll
    static void closeTokenizers() {
        OPEN.forEach(Tokenizer::close);
        OPEN.clear();
    }

    static final List<String> TEMPLATES = List.of("qwen3", "llama3", "llama3_1", "gemma3", "deepseek_v3");
    static final List<String> TOKENIZERS = List.of("qwen3", "llama3", "llama3_1", "gemma3", "deepseek_v3", "gptoss", "llama2");

    static final List<String> TEXTS = List.of(
            "Hello, world! The quick brown fox jumps over the lazy dog.",
            "Ceci est une phrase en français : « déjà vu », naïveté, cœur, où ?",
            "日本語のテキストと中文文本，还有한국어도 있습니다。",
            "Emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷 and math ∑∫√ — done.",
            "  leading and trailing spaces  \n\ttabs\n\n\nnewlines   ",
            "mixed: code `x = f(1, 2)` {\"json\": [1, 2.5, null]} <tag> </s> <|im_end|> ok");

    static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    static Map<String, Object> msg(String role, String content, String reasoning) {
        Map<String, Object> m = msg(role, content);
        m.put("reasoning_content", reasoning);
        return m;
    }

    static List<Object> tools() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("city", Map.of("type", "string", "description", "City name, e.g. Zürich or 東京"));
        props.put("days", Map.of("type", "integer"));
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("properties", props);
        params.put("required", List.of("city"));
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", "get_weather");
        fn.put("description", "Weather forecast \"now\" — in °C");
        fn.put("parameters", params);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", fn);
        Map<String, Object> fn2 = new LinkedHashMap<>();
        fn2.put("name", "noop");
        fn2.put("description", "");
        fn2.put("parameters", Map.of("type", "object", "properties", Map.of()));
        Map<String, Object> tool2 = new LinkedHashMap<>();
        tool2.put("type", "function");
        tool2.put("function", fn2);
        return List.of(tool, tool2);
    }

    static List<Conversation> conversations() {
        List<Conversation> c = new ArrayList<>();
        c.add(new Conversation("system+user, generation prompt",
                List.of(msg("system", "You are a helpful assistant."), msg("user", "What is the capital of France?")), null, true));
        c.add(new Conversation("system+user+assistant, assistant last",
                List.of(msg("system", "Answer briefly."), msg("user", "What is the capital of France?"),
                        msg("assistant", "Answer: 巴黎 😀!")), null, false));
        c.add(new Conversation("several turns, non-ASCII and emoji, user last",
                List.of(msg("user", "Bonjour ! Ça va ? 👋"), msg("assistant", "Très bien, merci. 日本語も話せます。"),
                        msg("user", "Family: 👨‍👩‍👧‍👦 flag 🇫🇷 — ∑∫√"), msg("assistant", "Noted: 👍🏽"),
                        msg("user", "한국어로 한 문장만.")), null, true));
        c.add(new Conversation("several turns, user last, no generation prompt",
                List.of(msg("system", "Be terse."), msg("user", "One"), msg("assistant", "Two"), msg("user", "Three")), null, false));
        c.add(new Conversation("empty contents",
                List.of(msg("system", ""), msg("user", ""), msg("assistant", "")), null, false));
        c.add(new Conversation("surrounding whitespace kept or trimmed by the template",
                List.of(msg("user", "  padded question?  \n"), msg("assistant", "\n\nanswer with newlines\n\n")), null, false));
        c.add(new Conversation("reasoning_content on the last assistant turn",
                List.of(msg("user", "2+2?"), msg("assistant", "4", "Two plus two is four."),
                        msg("user", "And 3+3?"), msg("assistant", "6", "Three plus three: 6 ✓")), null, false));
        c.add(new Conversation("reasoning_content then a new user question",
                List.of(msg("user", "2+2?"), msg("assistant", "4", "Simple sum."), msg("user", "Thanks")), null, true));
        c.add(new Conversation("inline <think> in the assistant content",
                List.of(msg("user", "Why is the sky blue?"),
                        msg("assistant", "<think>\nRayleigh scattering, shorter wavelengths.\n</think>\n\nBecause of Rayleigh scattering.")),
                null, false));
        c.add(new Conversation("tools, user last, generation prompt",
                List.of(msg("user", "Weather in Zürich for 3 days?")), tools(), true));
        c.add(new Conversation("tools with a system prompt, assistant last",
                List.of(msg("system", "You can call tools."), msg("user", "Weather in 東京?"),
                        msg("assistant", "I would call get_weather.")), tools(), false));
        c.add(new Conversation("template-like and special-token text in content",
                List.of(msg("user", "Print {{ x }} and {% if %} literally, then <|im_end|> and <end_of_turn>."),
                        msg("assistant", "Done: {# not a comment #}")), null, true));
        c.add(new Conversation("assistant first (templates that require alternation refuse it)",
                List.of(msg("assistant", "I speak first."), msg("user", "OK")), null, true));
        c.add(new Conversation("single user turn, no generation prompt",
                List.of(msg("user", "Just this.")), null, false));
        return c;
    }

    static List<TemplateMessage> toTemplateMessages(List<Map<String, Object>> messages) {
        return messages.stream().map(m -> new TemplateMessage((String) m.get("role"), (String) m.get("content"),
                (String) m.get("reasoning_content"))).toList();
    }

    @TestFactory
    Stream<DynamicTest> renderingsAndIdsEqualTransformersJs() {
        List<Conversation> conversations = conversations();
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : TEMPLATES) {
            Path dir = Reference.tokenizerDir(name);
            Reference.Result ref = Reference.run(dir, conversations, List.of());
            ChatTemplate template = ChatTemplate.load(dir);
            Tokenizer tokenizer = Tokenizers.load(dir.toString());
            OPEN.add(tokenizer);
            for (int i = 0; i < conversations.size(); i++) {
                Conversation c = conversations.get(i);
                Rendered expected = ref.conversations().get(i);
                tests.add(dynamicTest(name + ": " + c.name(), () -> {
                    List<TemplateMessage> messages = toTemplateMessages(c.messages());
                    if (expected.error() != null) {
                        assertThatThrownBy(() -> template.render(messages, c.tools(), c.addGenerationPrompt()))
                                .as("transformers.js refused it: %s", expected.error())
                                .isInstanceOf(TemplateException.class)
                                .hasMessageContaining(expected.error());
                        return;
                    }
                    String rendered = template.render(messages, c.tools(), c.addGenerationPrompt());
                    assertThat(rendered).isEqualTo(expected.text());
                    assertThat(tokenizer.encode(rendered)).isEqualTo(expected.ids());
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> plainTextIdsEqualTransformersJs() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : TOKENIZERS) {
            Path dir = Reference.tokenizerDir(name);
            Reference.Result ref = Reference.run(dir, List.of(), TEXTS);
            tests.add(dynamicTest(name, () -> {
                try (Tokenizer tokenizer = Tokenizers.load(dir.toString())) {
                    for (int i = 0; i < TEXTS.size(); i++) {
                        assertThat(tokenizer.encode(TEXTS.get(i))).as(TEXTS.get(i)).isEqualTo(ref.texts().get(i));
                    }
                }
            }));
        }
        return tests.stream();
    }
}
