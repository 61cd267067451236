package dev.granular.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Tool calls, tool messages and text parts in each row format: carried exactly, or refused with a reason. */
class ExportToolCallsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static TrainingRecord parse(String messages) {
        return RecordJson.parse(("{'id':'r','messages':[" + messages + "],'meta':{'design':'x'}}").replace('\'', '"'), "f", 1);
    }

    static final String USER = "{'role':'user','content':'Weather?','train':false}";
    static final String CALL = "{'role':'assistant','content':null,'tool_calls':[{'id':'c1','type':'function',"
            + "'function':{'name':'get','arguments':{'city':'Paris'}}}],'train':true}";
    static final String TOOL = "{'role':'tool','content':'18 C','tool_call_id':'c1','name':'get','train':false}";
    static final String ANSWER = "{'role':'assistant','content':'18 C.','train':true}";

    static String row(ExportFormat format, TrainingRecord r) throws Exception {
        Exported e = format.export(r);
        assertThat(e).isInstanceOf(Exported.Row.class);
        return JSON.writeValueAsString(((Exported.Row) e).row());
    }

    static String refusal(ExportFormat format, TrainingRecord r) {
        Exported e = format.export(r);
        assertThat(e).isInstanceOf(Exported.Rejected.class);
        return ((Exported.Rejected) e).reason();
    }

    @Test
    void openaiCarriesToolCallsWithArgumentsAsJsonText() throws Exception {
        assertThat(row(ExportFormat.OPENAI, parse(String.join(",", USER, CALL, TOOL, ANSWER)))).isEqualTo(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
                        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"get\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}],\"weight\":1},"
                        + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"c1\",\"name\":\"get\"},"
                        + "{\"role\":\"assistant\",\"content\":\"18 C.\",\"weight\":1}]}");
    }

    @Test
    void trlAndAxolotlCarryMessagesAsTheRecordHasThem() throws Exception {
        TrainingRecord r = parse(String.join(",", USER, CALL, TOOL, ANSWER));
        String call = "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get\",\"arguments\":{\"city\":\"Paris\"}}}]";
        assertThat(row(ExportFormat.TRL, r)).contains(call + "}", "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"c1\",\"name\":\"get\"}");
        assertThat(row(ExportFormat.AXOLOTL, r)).contains(call + ",\"train\":true}",
                "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"c1\",\"name\":\"get\",\"train\":false}");
        TrainingRecord parts = parse("{'role':'user','content':[{'type':'text','text':'a'},{'type':'text','text':'b'}],'train':false},"
                + ANSWER);
        assertThat(row(ExportFormat.TRL, parts)).contains("\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]");
        assertThat(refusal(ExportFormat.AXOLOTL, parts)).contains("messages[0] has content as a list of parts");
    }

    @Test
    void llamaFactoryUsesFunctionCallAndObservationTurns() throws Exception {
        assertThat(row(ExportFormat.LLAMAFACTORY, parse(String.join(",", USER, CALL, TOOL, ANSWER)))).isEqualTo(
                "{\"conversations\":[{\"from\":\"human\",\"value\":\"Weather?\"},"
                        + "{\"from\":\"function_call\",\"value\":\"{\\\"name\\\":\\\"get\\\",\\\"arguments\\\":{\\\"city\\\":\\\"Paris\\\"}}\"},"
                        + "{\"from\":\"observation\",\"value\":\"18 C\"},{\"from\":\"gpt\",\"value\":\"18 C.\"}]}");
    }

    @Test
    void llamaFactoryRefusesWhatSharegptCannotCarry() {
        String stringArgs = "{'role':'assistant','content':null,'tool_calls':[{'function':{'name':'get','arguments':'{}'}}],'train':true}";
        assertThat(refusal(ExportFormat.LLAMAFACTORY, parse(String.join(",", USER, stringArgs, TOOL, ANSWER))))
                .contains("messages[1] has tool-call arguments as a string");
        String withText = "{'role':'assistant','content':'Let me look.','tool_calls':[{'function':{'name':'get','arguments':{}}}],'train':true}";
        assertThat(refusal(ExportFormat.LLAMAFACTORY, parse(String.join(",", USER, withText, TOOL, ANSWER))))
                .contains("messages[1] has both content and tool_calls");
        assertThat(refusal(ExportFormat.LLAMAFACTORY, parse(String.join(",", USER, CALL, TOOL, TOOL, ANSWER))))
                .contains("messages[3] is tool where sharegpt needs assistant");
    }
}
