package dev.granular.teacher.internal;

import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.GenerateJob;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.internal.ChatMessage;
import dev.granular.teacher.internal.MalformedReplyException;
import dev.granular.teacher.internal.OpenAiWire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reply that calls tools is kept as a tool-calling assistant message, not refused or flattened to text. */
class GenerateToolCallsTest {
    @TempDir
    Path tmp;

    FakeLlmServer server;

    static final String TOOL_REPLY = "{\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
            + "\"content\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}";

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void generateKeepsTheReplysToolCalls() throws Exception {
        server = FakeLlmServer.start();
        server.script(r -> Reply.raw(200, TOOL_REPLY));
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"r0\",\"prompt\":\"Weather in Paris?\"}\n");
        ModelSpec model = ModelSpec.parse("openai:test@" + server.baseUrl(), null);
        GenerateJob.Spec spec = new GenerateJob.Spec(List.of(in), model, GenerationParams.DEFAULT, 1, null,
                new ClientLimits(1, 0, 0, 0, java.time.Duration.ofSeconds(20), 2), null, null, null, 0,
                tmp.resolve("out"), 1000, false, List.of("generate"), Map.of());

        GenerateJob.run(spec, RowListener.NONE);

        String out = Files.readString(tmp.resolve("out/data/part-00000.jsonl"));
        assertThat(out).contains("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}],\"train\":true}");
    }

    static final String TOOL_ROW = "{\"id\":\"t1\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
            + "\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
            + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"call_1\",\"name\":\"get_weather\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}";

    @Test
    void aToolConversationIsReadWithItsCallsResultsAndTools() {
        GenerateInput.Row row = GenerateInput.parse(TOOL_ROW, new dev.granular.record.internal.JsonlInput.Line("in.jsonl", 1), 0);
        assertThat(row.tools()).hasSize(1);
        List<ChatMessage> chat = row.chat();
        assertThat(chat).hasSize(3);
        assertThat(chat.get(1).toolCalls()).containsExactly(new dev.granular.record.ToolCall("call_1", "function", "get_weather",
                Map.of("city", "Paris")));
        assertThat(chat.get(1).content()).isEmpty();
        assertThat(chat.get(2)).isEqualTo(new ChatMessage(dev.granular.record.Role.TOOL, "18 C", null, "call_1", "get_weather"));
        String asRecord = "{\"id\":\"t1\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}],\"train\":true},"
                + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"call_1\",\"name\":\"get_weather\",\"train\":false}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}],"
                + "\"meta\":{\"design\":\"import\"}}";
        GenerateInput.Row rec = GenerateInput.parse(asRecord, new dev.granular.record.internal.JsonlInput.Line("in.jsonl", 2), 0);
        assertThat(rec.chat()).isEqualTo(chat);
        assertThat(rec.tools()).isEqualTo(row.tools());
        GenerateInput.Row prompt = GenerateInput.parse("{\"prompt\":\"Weather?\",\"tools\":" + new com.fasterxml.jackson.databind
                .ObjectMapper().valueToTree(row.tools()) + "}", new dev.granular.record.internal.JsonlInput.Line("in.jsonl", 3), 0);
        assertThat(prompt.tools()).as("a prompt row offers tools too").isEqualTo(row.tools());
        assertThat(GenerateInput.derivedId(row.messages())).as("tool fields are part of a derived id")
                .isNotEqualTo(GenerateInput.derivedId(List.of(row.messages().get(0), dev.granular.record.Message.assistantToolCalls(
                        List.of(new dev.granular.record.ToolCall("call_2", "function", "get_weather", Map.of("city", "Paris"))), false),
                        dev.granular.record.Message.tool("18 C", "call_2", "get_weather"))));
        assertThat(GenerateInput.derivedId(List.of(dev.granular.record.Message.user("q")))).as("a plain row keeps its old id")
                .isEqualTo("row-" + sha256Hex("user\0q\0").substring(0, 16));
    }

    static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aToolConversationNoWireCanCarryIsRefusedAtItsLineBeforeAnythingIsSent() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(TOOL_ROW.replace("\"id\":\"call_1\",", ""),
                "messages[1].tool_calls[0].id is missing: a tool call sent to a teacher needs an id");
        cases.put(TOOL_ROW.replace(",\"tool_call_id\":\"call_1\"", ""),
                "messages[2].tool_call_id is missing: a tool message sent to a teacher must name the call it answers");
        cases.put(TOOL_ROW.replace("\"tool_call_id\":\"call_1\"", "\"tool_call_id\":\"call_7\""),
                "messages[2].tool_call_id 'call_7' answers no earlier tool call");
        cases.put(TOOL_ROW.replace("{\"city\":\"Paris\"}", "\"Paris\""),
                "messages[1].tool_calls[0].function.arguments is a string that is not a JSON object");
        cases.put(TOOL_ROW.replace("\"name\":\"get_weather\",\"parameters\"", "\"parameters\""),
                "tools[0] must be {\"type\": \"function\", \"function\": {\"name\", \"description\", \"parameters\"}}");
        cases.put(TOOL_ROW.replace("\"tools\":[", "\"tools\":\"get_weather\",\"unused\":["), "tools must be an array");
        cases.put(TOOL_ROW.replace("\"content\":\"18 C\"", "\"content\":null"), "messages[2] needs string \"role\" and \"content\"");
        cases.put(TOOL_ROW.replace("\"tool_calls\":[", "\"tool_calls\":[{\"id\":\"x\",\"function\":{\"name\":\"\",\"arguments\":{}}},"),
                "messages[1].tool_calls[0].function.name");
        int line = 1;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            int at = line++;
            assertThatThrownBy(() -> GenerateInput.parse(c.getKey(), new dev.granular.record.internal.JsonlInput.Line("in.jsonl", at), 0))
                    .as(c.getValue()).isInstanceOf(dev.granular.io.BadInputException.class)
                    .hasMessageStartingWith("in.jsonl:" + at + ": " + c.getValue());
        }
    }

    @Test
    void generateSendsTheToolConversationAndItsRecordKeepsTheTools() throws Exception {
        for (String provider : List.of("openai", "anthropic")) {
            server = FakeLlmServer.start();
            server.script(r -> Reply.raw(200, provider.equals("openai") ? TOOL_REPLY : ToolConversationWireTest.ANTHROPIC_TOOL_REPLY));
            Path in = tmp.resolve(provider + ".jsonl");
            Files.writeString(in, TOOL_ROW + "\n");
            ModelSpec model = ModelSpec.parse(provider + ":test@" + server.baseUrl(), null);
            GenerateJob.Spec spec = new GenerateJob.Spec(List.of(in), model, GenerationParams.DEFAULT, 1, null,
                    new ClientLimits(1, 0, 0, 0, java.time.Duration.ofSeconds(20), 2), null, null, null, 0,
                    tmp.resolve("out-" + provider), 1000, false, List.of("generate"), Map.of());

            GenerateJob.run(spec, RowListener.NONE);

            com.fasterxml.jackson.databind.JsonNode sent = server.lastRequest().json();
            if (provider.equals("openai")) {
                assertThat(sent.path("messages").get(1).path("tool_calls").get(0).path("function").path("arguments").asText())
                        .isEqualTo("{\"city\":\"Paris\"}");
                assertThat(sent.path("messages").get(2).path("tool_call_id").asText()).isEqualTo("call_1");
                assertThat(sent.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
            } else {
                assertThat(sent.path("messages").get(1).path("content").get(0).path("type").asText()).isEqualTo("tool_use");
                assertThat(sent.path("messages").get(2).path("content").get(0).path("tool_use_id").asText()).isEqualTo("call_1");
                assertThat(sent.path("tools").get(0).path("input_schema").path("type").asText()).isEqualTo("object");
            }
            String out = Files.readString(tmp.resolve("out-" + provider + "/data/part-00000.jsonl"));
            com.fasterxml.jackson.databind.JsonNode rec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
            assertThat(rec.path("tools")).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(TOOL_ROW).path("tools"));
            assertThat(rec.path("messages")).hasSize(4);
            assertThat(rec.path("messages").get(2).path("tool_call_id").asText()).isEqualTo("call_1");
            assertThat(rec.path("messages").get(3).path("tool_calls").get(0).path("function").path("name").asText())
                    .isEqualTo("get_weather");
            server.close();
            server = null;
        }
    }

    @Test
    void aMalformedToolCallIsAMalformedReply() throws Exception {
        String bad = TOOL_REPLY.replace("\"name\":\"get_weather\",", "");
        assertThatThrownBy(() -> new OpenAiWire().parse(bad)).isInstanceOf(MalformedReplyException.class)
                .hasMessageContaining("tool_calls[0] has no function.name string");
    }
}
