package dev.granular.teacher;

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
                new LlmClient.Limits(1, 0, 0, 0, java.time.Duration.ofSeconds(20), 2), null, null, null, 0,
                tmp.resolve("out"), 1000, false, List.of("generate"), Map.of());

        GenerateJob.run(spec, RowListener.NONE);

        String out = Files.readString(tmp.resolve("out/data/part-00000.jsonl"));
        assertThat(out).contains("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}],\"train\":true}");
    }

    @Test
    void aToolConversationAsInputIsRefusedAtItsLineNotSentWithoutItsCalls() {
        String plain = "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"content\":\"18 C\"}]}";
        assertThatThrownBy(() -> GenerateInput.parse(plain, new dev.granular.record.JsonlInput.Line("in.jsonl", 4), 0))
                .isInstanceOf(dev.granular.io.BadInputException.class)
                .hasMessageStartingWith("in.jsonl:4: messages[1] is a tool message: generate sends role and text only");
        String record = "{\"id\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"q\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{}}}],\"train\":true},"
                + "{\"role\":\"tool\",\"content\":\"out\",\"train\":false}],\"meta\":{\"design\":\"x\"}}";
        assertThatThrownBy(() -> GenerateInput.parse(record, new dev.granular.record.JsonlInput.Line("in.jsonl", 5), 0))
                .hasMessageStartingWith("in.jsonl:5: messages[1] has tool_calls");
    }

    @Test
    void aMalformedToolCallIsAMalformedReply() throws Exception {
        String bad = TOOL_REPLY.replace("\"name\":\"get_weather\",", "");
        assertThatThrownBy(() -> new OpenAiWire().parse(bad)).isInstanceOf(MalformedReplyException.class)
                .hasMessageContaining("tool_calls[0] has no function.name string");
    }
}
