package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.Role;
import dev.granular.record.ToolCall;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tool conversations over both wires, against {@link FakeLlmServer}: the exact JSON the server receives for
 * tool definitions, assistant tool calls and tool results, and a reply's tool calls sent back in the next turn.
 */
class ToolConversationWireTest {
    static final ObjectMapper JSON = new ObjectMapper();

    FakeLlmServer server;
    HttpTransport transport;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
        transport = new HttpTransport();
    }

    @AfterEach
    void stop() {
        transport.close();
        server.close();
    }

    static Map<String, Object> args(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
    }

    static List<Object> tools() throws IOException {
        return List.of(JSON.readValue("{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather now\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}",
                Object.class), JSON.readValue("{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}", Object.class));
    }

    /** System, user, two parallel calls (arguments as an object and as a string), their two results, an answer, a user turn. */
    static ChatRequest conversation() throws IOException {
        List<ChatMessage> ms = List.of(
                ChatMessage.system("be brief"),
                ChatMessage.user("Weather in Paris and the time?"),
                new ChatMessage(Role.ASSISTANT, "", List.of(new ToolCall("call_1", "function", "get_weather", args("city", "Paris")),
                        new ToolCall("call_2", null, "clock", "{\"tz\": \"CET\"}")), null, null),
                new ChatMessage(Role.TOOL, "18 C", null, "call_1", "get_weather"),
                new ChatMessage(Role.TOOL, "10:00", null, "call_2", "clock"),
                ChatMessage.assistant("18 C at 10:00."),
                ChatMessage.user("Thanks. And Rome?"));
        return new ChatRequest("row-1", ms, GenerationParams.DEFAULT, 0, null, null, tools());
    }

    RawReply send(String provider, ChatRequest request) throws IOException, InterruptedException {
        ModelSpec spec = ModelSpec.parse(provider + ":m@" + server.baseUrl(), null);
        WireFormat wire = WireFormat.of(spec.provider());
        return transport.post(wire.endpoint(spec), wire.headers(spec, Optional.empty()), wire.body(spec, request),
                Duration.ofSeconds(20));
    }

    @Test
    void openAiReceivesToolsCallsWithStringArgumentsNullContentAndToolCallIds() throws Exception {
        send("openai", conversation());

        JsonNode b = server.lastRequest().json();
        assertThat(b.path("messages").toString()).isEqualTo("["
                + "{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"Weather in Paris and the time?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
                + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"clock\",\"arguments\":\"{\\\"tz\\\": \\\"CET\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"call_1\"},"
                + "{\"role\":\"tool\",\"content\":\"10:00\",\"tool_call_id\":\"call_2\"},"
                + "{\"role\":\"assistant\",\"content\":\"18 C at 10:00.\"},"
                + "{\"role\":\"user\",\"content\":\"Thanks. And Rome?\"}]");
        assertThat(b.path("tools")).isEqualTo(JSON.valueToTree(tools()));
        assertThat(server.lastRequest().messages().get(2).toolCalls()).extracting(ToolCall::name).containsExactly("get_weather", "clock");
        assertThat(server.lastRequest().messages().get(3)).as("the fake server's view of a tool message")
                .isEqualTo(new ChatMessage(Role.TOOL, "18 C", null, "call_1", null));
    }

    @Test
    void anthropicReceivesToolUseBlocksAndOneUserTurnPerRunOfToolResults() throws Exception {
        send("anthropic", conversation());

        JsonNode b = server.lastRequest().json();
        assertThat(b.path("system").asText()).isEqualTo("be brief");
        assertThat(b.path("messages").toString()).isEqualTo("["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris and the time?\"},"
                + "{\"role\":\"assistant\",\"content\":["
                + "{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
                + "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"clock\",\"input\":{\"tz\":\"CET\"}}]},"
                + "{\"role\":\"user\",\"content\":["
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"18 C\"},"
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"content\":\"10:00\"}]},"
                + "{\"role\":\"assistant\",\"content\":\"18 C at 10:00.\"},"
                + "{\"role\":\"user\",\"content\":\"Thanks. And Rome?\"}]");
        assertThat(b.path("tools").toString()).isEqualTo("["
                + "{\"name\":\"get_weather\",\"description\":\"Weather now\",\"input_schema\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}},"
                + "{\"name\":\"clock\",\"input_schema\":{\"type\":\"object\"}}]");
    }

    @Test
    void anthropicKeepsTextBesideCallsAndPutsAUserMessageAfterResultsInTheirTurn() throws Exception {
        List<ChatMessage> ms = List.of(ChatMessage.user("Paris?"),
                new ChatMessage(Role.ASSISTANT, "Let me look.", List.of(new ToolCall("t1", "function", "get_weather",
                        args("city", "Paris"))), null, null),
                new ChatMessage(Role.TOOL, "18 C", null, "t1", null),
                ChatMessage.user("In Fahrenheit, please."));
        send("anthropic", new ChatRequest("r", ms, GenerationParams.DEFAULT, 0, null, null, null));

        JsonNode b = server.lastRequest().json();
        assertThat(b.path("messages").toString()).isEqualTo("["
                + "{\"role\":\"user\",\"content\":\"Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me look.\"},"
                + "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"18 C\"},"
                + "{\"type\":\"text\",\"text\":\"In Fahrenheit, please.\"}]}]");
        assertThat(b.has("tools")).as("no tools offered, none sent").isFalse();
        send("openai", new ChatRequest("r", ms, GenerationParams.DEFAULT, 0, null, null, null));
        assertThat(server.lastRequest().json().path("messages").get(1).path("content").asText())
                .as("OpenAI keeps text beside calls").isEqualTo("Let me look.");
        assertThat(server.lastRequest().json().has("tools")).isFalse();
    }

    @Test
    void aPlainRequestIsSentAsBeforeOnBothWires() throws Exception {
        ChatRequest plain = ChatRequest.of("r", List.of(ChatMessage.system("s"), ChatMessage.user("u"), ChatMessage.assistant("a"),
                ChatMessage.user("v")), GenerationParams.DEFAULT);
        send("openai", plain);
        assertThat(server.lastRequest().body()).isEqualTo("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                + "{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"v\"}]}");
        send("anthropic", plain);
        assertThat(server.lastRequest().body()).isEqualTo("{\"model\":\"m\",\"max_tokens\":1024,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"v\"}],"
                + "\"system\":\"s\"}");
    }

    @Test
    void openAiReplyWithToolCallsRoundTrips() throws Exception {
        server.script(r -> Reply.raw(200, GenerateToolCallsTest.TOOL_REPLY));
        Completion c = new OpenAiWire().parse(send("openai", conversation()).body());
        assertThat(c.toolCalls()).containsExactly(new ToolCall("call_9", "function", "get_weather", "{\"city\":\"Paris\"}"));
        assertThat(c.textNull()).isTrue();
        assertThat(c.finishReason()).isEqualTo("tool_calls");

        JsonNode sentBack = sendBack("openai", c);
        assertThat(sentBack.toString()).isEqualTo("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_9\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}");
        assertThat(sentBack.path("tool_calls")).isEqualTo(JSON.readTree(GenerateToolCallsTest.TOOL_REPLY)
                .path("choices").path(0).path("message").path("tool_calls"));
    }

    static final String ANTHROPIC_TOOL_REPLY = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\","
            + "\"input\":{\"city\":\"Rome\",\"units\":{\"temp\":\"C\"}}},{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"clock\",\"input\":{}}],"
            + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":30,\"output_tokens\":12}}";

    @Test
    void anthropicReplyWithToolUseBecomesToolCallsAndRoundTrips() throws Exception {
        server.script(r -> Reply.raw(200, ANTHROPIC_TOOL_REPLY));
        Completion c = new AnthropicWire().parse(send("anthropic", conversation()).body());
        Map<String, Object> units = args("temp", "C");
        Map<String, Object> rome = args("city", "Rome");
        rome.put("units", units);
        assertThat(c.toolCalls()).containsExactly(new ToolCall("toolu_1", "function", "get_weather", rome),
                new ToolCall("toolu_2", "function", "clock", Map.of()));
        assertThat(c.text()).isEqualTo("Checking.");
        assertThat(c.textNull()).isFalse();
        assertThat(c.finishReason()).isEqualTo("tool_calls");
        assertThat(c.usage()).isEqualTo(new Usage(30, 12));

        JsonNode sentBack = sendBack("anthropic", c);
        assertThat(sentBack.path("content")).as("the reply's blocks, sent back as they came")
                .isEqualTo(JSON.readTree(ANTHROPIC_TOOL_REPLY).path("content"));

        server.script(r -> Reply.raw(200, ANTHROPIC_TOOL_REPLY.replace("{\"type\":\"text\",\"text\":\"Checking.\"},", "")));
        Completion only = new AnthropicWire().parse(send("anthropic", conversation()).body());
        assertThat(only.text()).isEmpty();
        assertThat(only.textNull()).as("calls without text: content null, as OpenAI sends it").isTrue();
    }

    /** Sends the conversation continued with {@code c} as the assistant's turn and the tool's result; the assistant turn as received. */
    JsonNode sendBack(String provider, Completion c) throws Exception {
        List<ChatMessage> ms = new ArrayList<>(List.of(ChatMessage.user("Weather?")));
        ms.add(new ChatMessage(Role.ASSISTANT, c.text(), c.toolCalls(), null, null));
        ms.add(new ChatMessage(Role.TOOL, "ok", null, c.toolCalls().getFirst().id(), c.toolCalls().getFirst().name()));
        server.script(r -> Reply.text("done"));
        send(provider, new ChatRequest("r", ms, GenerationParams.DEFAULT, 0, null, null, tools()));
        ReceivedRequest r = server.lastRequest();
        return r.json().path("messages").get(1);
    }

    @Test
    void toolFieldsEnterTheCacheKeyOnlyWhenPresent() throws Exception {
        ModelSpec spec = ModelSpec.parse("openai:m", null);
        ChatRequest full = conversation();
        ChatRequest noTools = new ChatRequest("row-1", full.messages(), full.params(), 0, null, null, null);
        List<ChatMessage> otherArgs = new ArrayList<>(full.messages());
        otherArgs.set(2, new ChatMessage(Role.ASSISTANT, "", List.of(new ToolCall("call_1", "function", "get_weather",
                args("city", "Rome")), full.messages().get(2).toolCalls().get(1)), null, null));
        List<ChatMessage> otherId = new ArrayList<>(full.messages());
        otherId.set(3, new ChatMessage(Role.TOOL, "18 C", null, "call_2", "get_weather"));
        List<ChatMessage> flattened = new ArrayList<>(full.messages());
        flattened.set(2, ChatMessage.assistant(""));
        assertThat(List.of(CacheKey.of(spec, full), CacheKey.of(spec, noTools),
                CacheKey.of(spec, new ChatRequest("row-1", otherArgs, full.params(), 0, null, null, tools())),
                CacheKey.of(spec, new ChatRequest("row-1", otherId, full.params(), 0, null, null, tools())),
                CacheKey.of(spec, new ChatRequest("row-1", flattened, full.params(), 0, null, null, tools()))))
                .doesNotHaveDuplicates();
        JsonNode canonical = JSON.readTree(CacheKey.canonicalJson(spec, noTools));
        assertThat(canonical.has("tools")).isFalse();
        assertThat(canonical.path("messages").get(1).size()).as("a plain message: role and content only").isEqualTo(2);
        assertThat(JSON.readTree(CacheKey.canonicalJson(spec, full)).has("tools")).isTrue();
        List<ChatMessage> otherName = new ArrayList<>(full.messages());
        otherName.set(3, new ChatMessage(Role.TOOL, "18 C", null, "call_1", "weather"));
        assertThat(CacheKey.of(spec, new ChatRequest("row-1", otherName, full.params(), 0, null, null, tools())))
                .as("a tool message's name is sent on neither wire").isEqualTo(CacheKey.of(spec, full));
        assertThat(CacheKey.of(spec, new ChatRequest("row-1", full.messages(), full.params(), 0, null, null, List.of())))
                .as("an empty tools list is no tools").isEqualTo(CacheKey.of(spec, noTools));
    }
}
