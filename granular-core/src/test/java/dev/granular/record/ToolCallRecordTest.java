package dev.granular.record;

import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tool calls, tool messages and text-part content in the record format: read strictly, written exactly. */
class ToolCallRecordTest {

    static final String TOOL_RECORD = "{\"id\":\"t1\",\"messages\":["
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in \"},{\"type\":\"text\",\"text\":\"Paris?\"}],\"train\":false},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
            + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"days\":2}}},"
            + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{\\\"tz\\\": \\\"CET\\\"}\"}}],\"train\":true},"
            + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"call_1\",\"name\":\"get_weather\",\"train\":false},"
            + "{\"role\":\"tool\",\"content\":\"12:00\",\"tool_call_id\":\"call_2\",\"train\":false},"
            + "{\"role\":\"assistant\",\"content\":\"18 C at noon.\",\"tool_calls\":[{\"function\":{\"name\":\"log\",\"arguments\":{}}}],\"train\":true}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],"
            + "\"meta\":{\"design\":\"import\"}}";

    @Test
    void toolRecordRoundTripsByteIdentical() {
        TrainingRecord record = RecordJson.parse(TOOL_RECORD, "f.jsonl", 1);

        assertThat(RecordJson.toJson(record)).isEqualTo(TOOL_RECORD);
        Message user = record.messages().get(0);
        assertThat(user.content()).isEqualTo("Weather in Paris?");
        assertThat(user.contentParts()).containsExactly("Weather in ", "Paris?");
        Message call = record.messages().get(1);
        assertThat(call.contentNull()).isTrue();
        assertThat(call.content()).isEmpty();
        assertThat(call.toolCalls()).hasSize(2);
        assertThat(call.toolCalls().get(0).arguments()).isEqualTo(Map.of("city", "Paris", "days", 2));
        assertThat(call.toolCalls().get(1).arguments()).isEqualTo("{\"tz\": \"CET\"}");
        Message tool = record.messages().get(2);
        assertThat(tool.role()).isEqualTo(Role.TOOL);
        assertThat(tool.toolCallId()).isEqualTo("call_1");
        assertThat(tool.name()).isEqualTo("get_weather");
        assertThat(record.messages().get(4).toolCalls().get(0).id()).isNull();
    }

    @Test
    void plainRecordsKeepTheirJson() {
        String plain = "{\"id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"\",\"train\":true}],\"meta\":{\"design\":\"x\"}}";
        assertThat(RecordJson.toJson(RecordJson.parse(plain, "f", 1))).isEqualTo(plain);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{'role':'user','content':[{'type':'image_url','image_url':{'url':'x'}}],'train':false}|messages[0].content[0]: unknown field \"image_url\"",
            "{'role':'user','content':[{'type':'image','text':'x'}],'train':false}|messages[0].content[0].type: only \"text\" parts are supported, found \"image\"",
            "{'role':'user','content':[{'type':'text'}],'train':false}|messages[0].content[0]: missing field \"text\"",
            "{'role':'user','content':null,'train':false}|messages[0].content: may be null only in an assistant message with tool_calls",
            "{'role':'user','content':'x','tool_calls':[{'function':{'name':'f','arguments':{}}}],'train':false}|messages[0].tool_calls: only an assistant message may call tools",
            "{'role':'assistant','content':'x','tool_calls':[],'train':true}|messages[0].tool_calls: must not be empty",
            "{'role':'assistant','content':'x','tool_calls':{},'train':true}|messages[0].tool_calls must be an array, found object",
            "{'role':'assistant','content':'x','tool_calls':[{'type':'function'}],'train':true}|messages[0].tool_calls[0]: missing field \"function\"",
            "{'role':'assistant','content':'x','tool_calls':[{'type':'code','function':{'name':'f','arguments':{}}}],'train':true}|messages[0].tool_calls[0].type: must be \"function\", found \"code\"",
            "{'role':'assistant','content':'x','tool_calls':[{'function':{'name':'f','arguments':[1]}}],'train':true}|messages[0].tool_calls[0].function.arguments must be an object or a string, found array",
            "{'role':'assistant','content':'x','tool_calls':[{'function':{'name':'f'}}],'train':true}|messages[0].tool_calls[0].function: missing field \"arguments\"",
            "{'role':'assistant','content':'x','tool_calls':[{'function':{'name':'','arguments':'{}'}}],'train':true}|messages[0].tool_calls[0].function.name: must be a non-empty string",
            "{'role':'assistant','content':'x','tool_calls':[{'function':{'name':'f','arguments':'{}','extra':1}}],'train':true}|messages[0].tool_calls[0].function: unknown field \"extra\"",
            "{'role':'tool','content':'x','train':true}|messages[0].train: a tool message is never trained",
            "{'role':'user','content':'x','tool_call_id':'c','train':false}|messages[0].tool_call_id: only a tool message has it",
            "{'role':'assistant','content':'','tool_calls':[{'function':{'name':'f','arguments':'{}'}}],'train':true,'train_detail':[]}|messages[0].train_detail: not allowed on a message with tool_calls",
    })
    void malformedShapesAreRefusedWithFileLineAndField(String message, String expected) {
        String line = ("{'id':'r','messages':[" + message + "],'meta':{'design':'x'}}").replace('\'', '"');
        assertThatThrownBy(() -> RecordJson.parse(line, "in.jsonl", 3))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("in.jsonl:3: " + expected);
    }

    @Test
    void factoriesBuildToolMessages() {
        Message call = Message.assistantToolCalls(List.of(new ToolCall("c1", "function", "f", Map.of("a", 1))), true);
        Message tool = Message.tool("out", "c1", "f");
        TrainingRecord record = new TrainingRecord("r", List.of(Message.user("q"), call, tool), null, Map.of("design", "x"));

        assertThat(RecordJson.toJson(record)).contains(
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                        + "\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}],\"train\":true}",
                "{\"role\":\"tool\",\"content\":\"out\",\"tool_call_id\":\"c1\",\"name\":\"f\",\"train\":false}");
        assertThat(call.withTrain(false).toolCalls()).isEqualTo(call.toolCalls());
    }
}
