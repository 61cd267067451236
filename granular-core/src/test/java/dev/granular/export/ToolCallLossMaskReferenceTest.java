package dev.granular.export;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Tool conversations × the real chat templates of Qwen2.5, Qwen3, Llama 3.2 and DeepSeek-V3: the labels
 * {@link Labeler} gives equal a mask computed here from transformers.js alone (its renderer and tokenizer,
 * never granular's), or, where that reference shows the template cannot be masked exactly, the Labeler
 * refuses and names the message.
 *
 * <p>The reference mask, for each trained assistant message {@code i} of the full rendering {@code F}:
 * <ul>
 *   <li>the turn begins where the conversation before it, rendered with the generation prompt ({@code P}),
 *       ends; {@code P} must be a prefix of {@code F};</li>
 *   <li>a tool-calling turn trains everything from there to the model's end-of-turn token, inclusive, and
 *       must hold each call's name and its text; the conversation rendered through message {@code i} alone
 *       must close the turn too (else the end-of-turn token after it belongs to a later message: DeepSeek-V3
 *       writes none after a lone call);</li>
 *   <li>a plain turn trains its content (found in the turn, stripped as templates strip it) and the
 *       end-of-turn token right after it.</li>
 * </ul>
 * A token is trained when all its characters (from decoding growing id prefixes) lie in one trained span.
 */
class ToolCallLossMaskReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Tokenizer> OPEN = new ArrayList<>();

    /** Each template's end-of-turn token. */
    static final Map<String, String> EOT = Map.of("qwen2_5", "<|im_end|>", "qwen3", "<|im_end|>", "llama3_2", "<|eot_id|>",
            "deepseek_v3", "<｜end▁of▁sentence｜>");

    static final String TOOLS = "[{'type':'function','function':{'name':'get_weather','description':'Weather now',"
            + "'parameters':{'type':'object','properties':{'city':{'type':'string'}},'required':['city']}}},"
            + "{'type':'function','function':{'name':'get_time','description':'Local time',"
            + "'parameters':{'type':'object','properties':{'city':{'type':'string'}}}}}]";

    static final String USER = "{'role':'user','content':'Weather in Paris?','train':false}";
    /** CALL is replaced by the calling message's content: "" (Qwen, Llama) or null (DeepSeek-V3 renders calls only then). */
    static String call(String calls, boolean train) {
        return "{'role':'assistant','content':CALL,'tool_calls':[" + calls + "],'train':" + train + "}";
    }

    static final String PARIS = "{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':{'city':'Paris'}}}";
    static final String TIME = "{'id':'call_2','type':'function','function':{'name':'get_time','arguments':{'city':'Paris'}}}";
    static final String PARIS_STRING = "{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':'{\\\\'city\\\\': \\\\'Paris\\\\'}'}}";
    static final String TIME_STRING = "{'id':'call_2','type':'function','function':{'name':'get_time','arguments':'{\\\\'city\\\\': \\\\'Paris\\\\'}'}}";
    static final String RESULT = "{'role':'tool','content':'18 C','tool_call_id':'call_1','name':'get_weather','train':false}";
    static final String RESULT_TIME = "{'role':'tool','content':'10:00','tool_call_id':'call_2','name':'get_time','train':false}";

    static String answer(String text, boolean train) {
        return "{'role':'assistant','content':'" + text + "','train':" + train + "}";
    }

    static final Map<String, String> CONVERSATIONS = new LinkedHashMap<>();

    static {
        CONVERSATIONS.put("single call", String.join(",", USER, call(PARIS, true), RESULT, answer("18 C in Paris.", true)));
        CONVERSATIONS.put("parallel calls", String.join(",", USER, call(PARIS + "," + TIME, true), RESULT, RESULT_TIME,
                answer("18 C at 10:00.", true)));
        CONVERSATIONS.put("untrained call, trained answer", String.join(",", "{'role':'system','content':'Be brief.','train':false}",
                USER, call(PARIS, false), RESULT, answer("18 C.", true)));
        CONVERSATIONS.put("multi-turn", String.join(",", USER, call(PARIS, true), RESULT, answer("18 C.", false),
                "{'role':'user','content':'And the time?','train':false}", call(TIME, true), RESULT_TIME, answer("10:00.", true)));
        CONVERSATIONS.put("string arguments", String.join(",", USER, call(PARIS_STRING, true), RESULT, answer("18 C.", true)));
        CONVERSATIONS.put("parallel calls, string arguments", String.join(",", USER, call(PARIS_STRING + "," + TIME_STRING, true),
                RESULT, RESULT_TIME, answer("18 C at 10:00.", true)));
        CONVERSATIONS.put("text beside the call", String.join(",", USER,
                call(PARIS, true).replace("CALL", "'Let me check.'"), RESULT, answer("18 C.", true)));
    }

    /** The cases where the reference itself shows no exact mask: the Labeler must refuse, naming this message. */
    static final Map<String, String> REFUSED = Map.ofEntries(
            // Llama 3.2 raises for more than one call, and drops an assistant's text beside its call.
            Map.entry("llama3_2: parallel calls", "messages[1] (assistant)"),
            Map.entry("llama3_2: parallel calls, string arguments", "messages[1] (assistant)"),
            Map.entry("llama3_2: text beside the call", "messages[1] (assistant)"),
            // DeepSeek-V3 concatenates arguments as text (an object raises in Python, so in granular; transformers.js
            // writes "[object Map]"), closes a message's calls only after its second one (a lone call runs on
            // into the tool output), and renders calls only beside null content.
            Map.entry("deepseek_v3: single call", "messages[1] (assistant)"),
            Map.entry("deepseek_v3: parallel calls", "messages[1] (assistant)"),
            Map.entry("deepseek_v3: untrained call, trained answer", "messages[2] (assistant)"),
            Map.entry("deepseek_v3: multi-turn", "messages[1] (assistant)"),
            Map.entry("deepseek_v3: string arguments", "messages[1] (assistant)"),
            Map.entry("deepseek_v3: text beside the call", "messages[1] (assistant)"));

    @AfterAll
    static void close() {
        OPEN.forEach(Tokenizer::close);
        OPEN.clear();
    }

    static String json(String conversation, String model) {
        String c = conversation.replace("CALL", model.equals("deepseek_v3") ? "null" : "''");
        return ("{'id':'r','messages':[" + c + "],'tools':" + TOOLS + ",'meta':{'design':'test'}}").replace('\'', '"')
                .replace("\\\\\"", "\\\"");
    }

    /** The conversation as transformers.js receives it: the record's own JSON, without granular's train flags. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> wire(String recordJson) {
        try {
            Map<String, Object> rec = JSON.readValue(recordJson, new TypeReference<>() { });
            List<Map<String, Object>> ms = new ArrayList<>();
            for (Object m : (List<Object>) rec.get("messages")) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) m);
                copy.remove("train");
                ms.add(copy);
            }
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Object> tools() {
        try {
            return JSON.readValue(TOOLS.replace('\'', '"'), List.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the reference run holds for one case: the full rendering, then for each trained message i its P and Q. */
    record Plan(TrainingRecord record, int full, Map<Integer, int[]> prefixes) {
    }

    @TestFactory
    Stream<DynamicTest> labelsEqualTheReferenceMaskOrTheLabelerRefuses() {
        List<DynamicTest> tests = new ArrayList<>();
        int masked = 0;
        int refused = 0;
        for (String model : List.of("qwen2_5", "qwen3", "llama3_2", "deepseek_v3")) {
            var dir = Reference.tokenizerDir(model);
            List<Reference.Conversation> convs = new ArrayList<>();
            List<Plan> plans = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (var c : CONVERSATIONS.entrySet()) {
                String recJson = json(c.getValue(), model);
                TrainingRecord r = RecordJson.parse(recJson, "conversations", 1);
                List<Map<String, Object>> wire = wire(recJson);
                int full = convs.size();
                convs.add(new Reference.Conversation(c.getKey(), wire, tools(), false));
                Map<Integer, int[]> prefixes = new LinkedHashMap<>();
                for (int i = 0; i < wire.size(); i++) {
                    if (r.messages().get(i).train()) {
                        int p = convs.size();
                        convs.add(new Reference.Conversation(c.getKey() + " <" + i, wire.subList(0, i), tools(), true));
                        convs.add(new Reference.Conversation(c.getKey() + " <=" + i, wire.subList(0, i + 1), tools(), false));
                        prefixes.put(i, new int[]{p, p + 1});
                    }
                }
                plans.add(new Plan(r, full, prefixes));
                names.add(model + ": " + c.getKey());
            }
            Reference.Result ref = Reference.run(dir, convs, List.of(), true);
            Tokenizer tokenizer = Tokenizers.load(dir.toString());
            OPEN.add(tokenizer);
            Labeler labeler = new Labeler(ChatTemplate.load(dir), tokenizer);
            for (int k = 0; k < plans.size(); k++) {
                Plan plan = plans.get(k);
                String name = names.get(k);
                Expected want = expected(plan, ref.conversations(), EOT.get(model));
                assertThat(want.refusedAt() == null ? null : REFUSED.get(name))
                        .as("%s: the reference finds no exact mask (%s), and the test lists the refusal", name, want.why())
                        .isEqualTo(want.refusedAt());
                assertThat(REFUSED.containsKey(name) && want.refusedAt() == null)
                        .as("%s is listed as refused but the reference masks it", name).isFalse();
                if (want.refusedAt() != null) {
                    refused++;
                } else {
                    masked++;
                }
                Reference.Rendered full = ref.conversations().get(plan.full());
                tests.add(dynamicTest(name, () -> {
                    Labeler.Result res = labeler.label(plan.record());
                    if (want.refusedAt() != null) {
                        assertThat(res).as("refused (%s)", want.why()).isInstanceOfSatisfying(Labeler.Refused.class,
                                x -> assertThat(x.reason()).contains(want.refusedAt()));
                        return;
                    }
                    assertThat(res).as("labelled, not refused: %s", res).isInstanceOf(LossMask.class);
                    LossMask m = (LossMask) res;
                    assertThat(m.text()).isEqualTo(full.text());
                    assertThat(m.ids()).isEqualTo(full.ids());
                    assertThat(m.labels()).as(LossMaskReferenceTest.explain(m, want.labels(), tokenizer)).isEqualTo(want.labels());
                }));
            }
        }
        System.out.println("ToolCallLossMaskReferenceTest: " + (masked + refused) + " cases, " + masked
                + " masked as the reference, " + refused + " refused");
        assertThat(masked).as("the comparison is not vacuous").isGreaterThanOrEqualTo(18);
        return tests.stream();
    }

    /** The reference's verdict: labels, or the message at which no exact mask exists (and why). */
    record Expected(int[] labels, String refusedAt, String why) {
        static Expected refuse(List<Message> ms, int i, String why) {
            return new Expected(null, "messages[" + i + "] (" + ms.get(i).role().wireName() + ")", why);
        }
    }

    static Expected expected(Plan plan, List<Reference.Rendered> rendered, String eot) {
        List<Message> ms = plan.record().messages();
        Reference.Rendered full = rendered.get(plan.full());
        if (full.error() != null) {
            int first = plan.prefixes().keySet().stream().filter(i -> rendered.get(plan.prefixes().get(i)[1]).error() != null)
                    .findFirst().orElse(plan.prefixes().keySet().iterator().next());
            return Expected.refuse(ms, first, "transformers.js refuses: " + full.error());
        }
        String f = full.text();
        if (f.contains("[object Map]") || f.contains("[object Object]")) {
            // JavaScript's string + object: Python's Jinja2, which transformers runs, raises a TypeError there.
            int first = 0;
            while (!(ms.get(first).hasToolCalls() && ms.get(first).toolCalls().stream().anyMatch(c -> c.argumentsAsObject()))) {
                first++;
            }
            return Expected.refuse(ms, first, "the template adds object arguments to a string");
        }
        List<int[]> spans = new ArrayList<>();
        List<Integer> eots = new ArrayList<>();
        for (var e : plan.prefixes().entrySet()) {
            int i = e.getKey();
            Message m = ms.get(i);
            Reference.Rendered p = rendered.get(e.getValue()[0]);
            Reference.Rendered q = rendered.get(e.getValue()[1]);
            if (p.error() != null || q.error() != null || !f.startsWith(p.text())) {
                return Expected.refuse(ms, i, "the conversation before it renders differently");
            }
            int begin = p.text().length();
            int eotAt = f.indexOf(eot, begin);
            if (m.hasToolCalls()) {
                if (eotAt < 0 || !q.text().startsWith(p.text()) || q.text().indexOf(eot, begin) < 0) {
                    return Expected.refuse(ms, i, "no end-of-turn token closes the calls");
                }
                String turn = f.substring(begin, eotAt);
                if (m.toolCalls().stream().anyMatch(c -> !turn.contains(c.name())) || !turn.contains(m.content().strip())) {
                    return Expected.refuse(ms, i, "the turn does not hold the calls and the text");
                }
                spans.add(new int[]{begin, eotAt});
            } else {
                String content = m.content().strip();
                int at = f.indexOf(content, begin);
                if (at < 0 || at + content.length() != eotAt) {
                    return Expected.refuse(ms, i, "the content is not right before the end of turn");
                }
                spans.add(new int[]{at, at + content.length()});
            }
            eots.add(eotAt);
        }
        int[] ends = full.tokenEnds();
        int[] ids = full.ids();
        assertThat(ends[ends.length - 1]).as("decoding the reference ids gives the rendering back").isEqualTo(f.length());
        int[] labels = new int[ids.length];
        Arrays.fill(labels, LossMask.IGNORE);
        for (int j = 0; j < ids.length; j++) {
            int b = j == 0 ? 0 : ends[j - 1];
            int en = ends[j];
            int completing = j;
            while (b == en && completing + 1 < ids.length) { // a piece of a character: judged with the token completing it
                completing++;
                en = ends[completing];
            }
            for (int[] s : spans) {
                if (b < en && b >= s[0] && en <= s[1]) {
                    labels[j] = ids[j];
                }
            }
            for (int at : eots) {
                if (b == at && en == at + eot.length()) {
                    labels[j] = ids[j];
                }
            }
        }
        return new Expected(labels, null, null);
    }
}
