package dev.granular.template;

import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Records with tool calls, tool messages and text parts reach the real templates' tool branches
 * as transformers passes them, and render exactly as Python's Jinja2 renders those templates.
 */
class ToolCallTemplatesTest {

    static final List<String> TEMPLATES = List.of("qwen3", "qwen2_5", "llama3_1", "llama3_2", "deepseek_v3", "gemma3", "llama3");

    static final String TOOLS = "[{'type':'function','function':{'name':'get_weather','description':'Weather now',"
            + "'parameters':{'type':'object','properties':{'city':{'type':'string'}},'required':['city']}}}]";

    static final Map<String, String> CONVERSATIONS = Map.of(
            "null content (Qwen3 refuses it, as in transformers)",
            "{'role':'user','content':'Weather in Paris?','train':false},"
                    + "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':{'city':'Paris'}}}],'train':true},"
                    + "{'role':'tool','content':'18 C','tool_call_id':'call_1','name':'get_weather','train':false},"
                    + "{'role':'assistant','content':'18 C in Paris.','train':true}",
            "object arguments",
            "{'role':'user','content':'Weather in Paris?','train':false},"
                    + "{'role':'assistant','content':'','tool_calls':[{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':{'city':'Paris'}}}],'train':true},"
                    + "{'role':'tool','content':'18 C','tool_call_id':'call_1','name':'get_weather','train':false},"
                    + "{'role':'assistant','content':'18 C in Paris.','train':true}",
            "string arguments, empty content",
            "{'role':'system','content':'Be brief.','train':false},{'role':'user','content':'Weather in Paris?','train':false},"
                    + "{'role':'assistant','content':'','tool_calls':[{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':'{\\\\'city\\\\': \\\\'Paris\\\\'}'}}],'train':true},"
                    + "{'role':'tool','content':'18 C','tool_call_id':'call_1','train':false},"
                    + "{'role':'assistant','content':'18 C.','train':true}",
            "text parts (passed as a list, as transformers does; Qwen's templates refuse it)",
            "{'role':'user','content':[{'type':'text','text':'Paris and '},{'type':'text','text':'Rome?'}],'train':false},"
                    + "{'role':'assistant','content':'Both mild.','train':true}",
            "parallel calls with text",
            "{'role':'user','content':'Paris and Rome?','train':false},"
                    + "{'role':'assistant','content':'Checking both.','tool_calls':[{'function':{'name':'get_weather','arguments':{'city':'Paris'}}},"
                    + "{'function':{'name':'get_weather','arguments':{'city':'Rome'}}}],'train':true},"
                    + "{'role':'tool','content':'18 C','train':false},{'role':'tool','content':'25 C','train':false},"
                    + "{'role':'assistant','content':'Paris 18 C, Rome 25 C.','train':true}");

    static TrainingRecord record(String messages, boolean tools) {
        String json = "{'id':'r','messages':[" + messages + "]," + (tools ? "'tools':" + TOOLS + "," : "") + "'meta':{'design':'x'}}";
        return RecordJson.parse(json.replace('\'', '"').replace("\\\\\"", "\\\""), "f", 1);
    }

    static List<TemplateMessage> messages(TrainingRecord r) {
        return r.messages().stream().map(TemplateMessage::from).toList();
    }

    @Test
    void qwen3RendersTheToolCallsAndToolResponses() {
        ChatTemplate t = ChatTemplate.load(Reference.tokenizerDir("qwen3"));
        TrainingRecord r = record(CONVERSATIONS.get("object arguments"), true);

        String out = t.render(r, false);

        assertThat(out).contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>",
                "<|im_start|>user\n<tool_response>\n18 C\n</tool_response><|im_end|>");
        TrainingRecord s = record(CONVERSATIONS.get("string arguments, empty content"), true);
        assertThat(t.render(s, false)).contains("\"arguments\": {\"city\": \"Paris\"}}");
    }

    @TestFactory
    Stream<DynamicTest> toolConversationsRenderAsPythonJinja2() {
        return PythonJinja.orSkipped(this::compare);
    }

    private Stream<DynamicTest> compare() {
        List<PythonJinja.Case> cases = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Runnable> renders = new ArrayList<>();
        List<String[]> got = new ArrayList<>();
        List<Boolean> mustRender = new ArrayList<>();
        for (String name : TEMPLATES) {
            Path dir = Reference.tokenizerDir(name);
            String text = TemplateFiles.find(dir, null).main().text();
            ChatTemplate t = ChatTemplate.load(dir);
            for (var c : CONVERSATIONS.entrySet()) {
                for (boolean tools : new boolean[] {true, false}) {
                    TrainingRecord r = record(c.getValue(), tools);
                    cases.add(new PythonJinja.Case(text, t.context(messages(r), r.tools(), false, Map.of())));
                    names.add(name + ": " + c.getKey() + (tools ? " +tools" : ""));
                    // Qwen's templates render every tool shape but null content: the comparison must not be vacuous there.
                    mustRender.add(name.startsWith("qwen") && !c.getKey().contains("Qwen"));
                    String[] slot = new String[2];
                    got.add(slot);
                    renders.add(() -> {
                        try {
                            slot[0] = t.render(messages(r), r.tools(), false);
                        } catch (TemplateException e) {
                            slot[1] = e.getMessage();
                        }
                    });
                }
            }
        }
        List<PythonJinja.Result> expected = PythonJinja.render(cases);
        long rendered = expected.stream().filter(PythonJinja.Result::ok).count();
        // Each test passes only when granular agrees: identical text where Jinja2 renders, a refusal where it fails.
        System.out.println("ToolCallTemplatesTest: " + TEMPLATES.size() + " templates, " + cases.size() + " renderings, " + rendered
                + " rendered by Jinja2 (granular must match exactly), " + (cases.size() - rendered) + " refused by Jinja2 (granular must refuse)");
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            PythonJinja.Result want = expected.get(i);
            Runnable render = renders.get(i);
            String[] slot = got.get(i);
            boolean must = mustRender.get(i);
            tests.add(dynamicTest(names.get(i), () -> {
                render.run();
                if (must) {
                    assertThat(want.ok()).as("Jinja2 renders it: %s", want.error()).isTrue();
                }
                if (slot[1] != null) {
                    assertThat(want.ok()).as("granular refuses (%s) where Jinja2 renders %s", slot[1], want.out()).isFalse();
                    return;
                }
                assertThat(want.ok()).as("granular renders %s where Jinja2 fails: %s", slot[0], want.error()).isTrue();
                assertThat(slot[0]).isEqualTo(want.out());
            }));
        }
        return tests.stream();
    }
}
