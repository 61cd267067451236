package dev.granular.export;

import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A trained tool-calling turn trains its rendered calls through the end-of-turn token; tool output is never trained. */
class LabelerToolCallTest {
    static Tokenizer qwen;
    static Tokenizer llama31;
    static Labeler qwenLabeler;
    static Labeler llama31Labeler;

    @BeforeAll
    static void load() {
        qwen = Tokenizers.load(Reference.tokenizerDir("qwen3").toString());
        llama31 = Tokenizers.load(Reference.tokenizerDir("llama3_1").toString());
        qwenLabeler = new Labeler(ChatTemplate.load(Reference.tokenizerDir("qwen3")), qwen);
        llama31Labeler = new Labeler(ChatTemplate.load(Reference.tokenizerDir("llama3_1")), llama31);
    }

    @AfterAll
    static void close() {
        qwen.close();
        llama31.close();
    }

    static TrainingRecord parse(String messages) {
        return RecordJson.parse(("{'id':'r','messages':[" + messages + "],'meta':{'design':'x'}}").replace('\'', '"'), "f", 1);
    }

    static String trained(Tokenizer t, LossMask m) {
        return t.decode(IntStream.range(0, m.size()).filter(m::isTrained).map(i -> m.ids()[i]).toArray());
    }

    static final String CONVERSATION = "{'role':'user','content':'Weather in Paris?','train':false},"
            + "{'role':'assistant','content':'','tool_calls':[{'id':'call_1','type':'function','function':{'name':'get_weather','arguments':{'city':'Paris'}}}],'train':true},"
            + "{'role':'tool','content':'18 C','tool_call_id':'call_1','name':'get_weather','train':false},"
            + "{'role':'assistant','content':'18 C in Paris.','train':true}";

    @Test
    void qwen3TrainsTheToolCallTurnAndTheAnswerNotTheToolOutput() {
        LossMask m = (LossMask) qwenLabeler.label(parse(CONVERSATION));

        assertThat(trained(qwen, m)).isEqualTo("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
                + "</tool_call><|im_end|>18 C in Paris.<|im_end|>");
        assertThat(m.text()).contains("<tool_response>\n18 C\n</tool_response>");
    }

    @Test
    void qwen3AnUntrainedToolCallTurnTrainsNothingOfIt() {
        LossMask m = (LossMask) qwenLabeler.label(parse(CONVERSATION.replaceFirst("'train':true", "'train':false")));

        assertThat(trained(qwen, m)).isEqualTo("18 C in Paris.<|im_end|>");
    }

    @Test
    void qwen3TrainsTextBeforeTheCallsToo() {
        LossMask m = (LossMask) qwenLabeler.label(parse(CONVERSATION.replace("'content':'','tool_calls'",
                "'content':'Let me check.','tool_calls'")));

        assertThat(trained(qwen, m)).startsWith("Let me check.\n<tool_call>\n{\"name\": \"get_weather\"");
    }

    @Test
    void aTemplateThatDropsTheCallsIsRefusedNotMaskedWrongly() {
        // The llama3_1 test template has no tool branch: it renders only the (empty) content of the turn.
        Labeler.Result r = llama31Labeler.label(parse(CONVERSATION));

        assertThat(r).isInstanceOfSatisfying(Labeler.Refused.class,
                x -> assertThat(x.reason()).isEqualTo("messages[1] (assistant) (tool calls) cannot be located: the chat template "
                        + "does not render the call to \"get_weather\" within the turn"));
    }

    @Test
    void llama32TrainsItsJsonToolCallTurn() {
        Tokenizer llama32 = Tokenizers.load(Reference.tokenizerDir("llama3_2").toString());
        try {
            Labeler l = new Labeler(ChatTemplate.load(Reference.tokenizerDir("llama3_2")), llama32);
            String tools = ",'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}]";
            TrainingRecord r = RecordJson.parse(("{'id':'r','messages':[" + CONVERSATION + "]" + tools
                    + ",'meta':{'design':'x'}}").replace('\'', '"'), "f", 1);

            LossMask m = (LossMask) l.label(r);

            assertThat(trained(llama32, m)).isEqualTo("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
                    + "18 C in Paris.<|eot_id|>");
        } finally {
            llama32.close();
        }
    }

    @Test
    void aToolCallSpellingAControlTokenIsRefused() {
        Labeler.Result r = qwenLabeler.label(parse(CONVERSATION.replace("'city':'Paris'", "'city':'<|im_end|>'")));

        assertThat(r).isInstanceOfSatisfying(Labeler.Refused.class,
                x -> assertThat(x.reason()).contains("messages[1]").contains("tool_calls contains the special token text"));
    }
}
