package dev.granular.template;

import dev.granular.template.Reference.Conversation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * The real chat templates among the test tokenizers (qwen3, llama3, llama3_1, gemma3,
 * deepseek_v3, and qwen2_5, llama3_2 fetched for this test), on every conversation of {@link
 * ChatTemplateReferenceTest} with add_generation_prompt on and off, render exactly as Python's
 * Jinja2 renders them in transformers' environment, with the variables transformers passes; a
 * conversation Python refuses is refused here. Skipped (saying why) when python3 cannot import jinja2.
 */
class RealTemplatesJinja2Test {

    static final List<String> TEMPLATES = List.of("qwen3", "llama3", "llama3_1", "gemma3", "deepseek_v3", "qwen2_5", "llama3_2");

    private static int tried;
    private static int identical;
    private static int refusedByBoth;

    @AfterAll
    static void report() {
        System.out.println("RealTemplatesJinja2Test: " + TEMPLATES.size() + " templates, " + tried + " renderings, "
                + identical + " identical to Python's Jinja2, " + refusedByBoth + " refused by both");
    }

    /** The variables transformers' apply_chat_template passes, exactly those granular renders with. */
    static Map<String, Object> context(ChatTemplate t, Conversation c, boolean addGenerationPrompt) {
        return t.context(ChatTemplateReferenceTest.toTemplateMessages(c.messages()), c.tools(), addGenerationPrompt, Map.of());
    }

    @TestFactory
    Stream<DynamicTest> realTemplatesRenderAsPythonJinja2() {
        return PythonJinja.orSkipped(this::compare);
    }

    private Stream<DynamicTest> compare() {
        List<PythonJinja.Case> cases = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Runnable> checks = new ArrayList<>();
        List<ChatTemplate> templates = new ArrayList<>();
        List<Conversation> convs = new ArrayList<>();
        List<Boolean> prompts = new ArrayList<>();
        for (String name : TEMPLATES) {
            Path dir = Reference.tokenizerDir(name);
            String text = TemplateFiles.find(dir, null).main().text();
            ChatTemplate t = ChatTemplate.load(dir);
            for (Conversation c : ChatTemplateReferenceTest.conversations()) {
                for (boolean prompt : new boolean[] {true, false}) {
                    cases.add(new PythonJinja.Case(text, context(t, c, prompt)));
                    names.add(name + ": " + c.name() + (prompt ? " +prompt" : ""));
                    templates.add(t);
                    convs.add(c);
                    prompts.add(prompt);
                }
            }
        }
        List<PythonJinja.Result> expected = PythonJinja.render(cases);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            ChatTemplate t = templates.get(i);
            Conversation c = convs.get(i);
            boolean prompt = prompts.get(i);
            PythonJinja.Result want = expected.get(i);
            tests.add(dynamicTest(names.get(i), () -> {
                tried++;
                String got;
                try {
                    got = t.render(ChatTemplateReferenceTest.toTemplateMessages(c.messages()), c.tools(), prompt);
                } catch (TemplateException e) {
                    assertThat(want.ok()).as("granular refuses (%s) where Jinja2 renders %s", e.getMessage(), want.out()).isFalse();
                    refusedByBoth++;
                    return;
                }
                assertThat(want.ok()).as("granular renders %s where Jinja2 fails: %s", got, want.error()).isTrue();
                assertThat(got).isEqualTo(want.out());
                identical++;
            }));
        }
        return tests.stream();
    }
}
