package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tool conversations through the commands: distill sends them; self-correct refuses them and fails rows whose reply calls a tool. */
class ToolConversationCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOOL_REPLY = "{\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
            + "\"content\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"name\":\"calc\","
            + "\"arguments\":\"{\\\"x\\\":1}\"}}]}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}";

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    Run granular(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    @Test
    void distillSendsToolCallsResultsAndToolsAndTheRecordKeepsThem() throws Exception {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> Reply.text("It is 18 C in Paris."));
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"w\",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                    + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
                    + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"c1\",\"name\":\"get_weather\"}],"
                    + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}]}\n");
            Run run = granular("distill", "--tasks", tasks.toString(), "--teacher", "anthropic:t@" + server.baseUrl(),
                    "--out", tmp.resolve("out").toString(), "--no-cache");
            assertThat(run.code()).as(run.err()).isZero();

            JsonNode sent = server.lastRequest().json();
            assertThat(sent.path("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                    + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"c1\",\"name\":\"get_weather\","
                    + "\"input\":{\"city\":\"Paris\"}}]},"
                    + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"c1\",\"content\":\"18 C\"}]}]");
            assertThat(sent.path("tools").toString()).isEqualTo("[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}}]");
            JsonNode rec = JSON.readTree(Files.readString(tmp.resolve("out/data/part-00000.jsonl")));
            assertThat(rec.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
            assertThat(rec.path("messages").get(2).path("tool_calls").get(0).path("id").asText()).isEqualTo("c1");
            assertThat(rec.path("messages").get(3).path("tool_call_id").asText()).isEqualTo("c1");
            assertThat(rec.path("messages").get(4).path("content").asText()).isEqualTo("It is 18 C in Paris.");
        }
    }

    @Test
    void selfCorrectRefusesAToolTaskBeforeSendingAnything() throws Exception {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n"
                    + "{\"id\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},{\"role\":\"tool\",\"content\":\"2\","
                    + "\"tool_call_id\":\"c\"},{\"role\":\"user\",\"content\":\"so?\"}],\"answer\":\"2\"}\n");
            Run run = granular("self-correct", "--tasks", tasks.toString(), "--student", "openai:s@" + server.baseUrl(),
                    "--teacher", "openai:t@" + server.baseUrl(), "--out", tmp.resolve("out").toString(), "--no-cache");
            assertThat(run.code()).isEqualTo(Granular.BAD_INPUT);
            assertThat(run.err()).contains("t.jsonl:2").contains("messages[1] is a tool message: self-correct does not take tool tasks");
            assertThat(server.totalRequests()).isZero();
            assertThat(tmp.resolve("out/data")).doesNotExist();
        }
    }

    @Test
    void selfCorrectFailsARowWhoseTeacherReplyCallsATool() throws Exception {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            server.script(r -> r.model().equals("student")
                    ? Reply.text(r.lastUserMessage().startsWith("1+1") ? "One and one.\n#### 2" : "Guess.\n#### 5")
                    : Reply.raw(200, TOOL_REPLY));
            Path tasks = tmp.resolve("t.jsonl");
            Files.writeString(tasks, "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}\n{\"id\":\"b\",\"question\":\"2+2?\",\"answer\":\"4\"}\n");
            Run run = granular("self-correct", "--tasks", tasks.toString(), "--student", "openai:student@" + server.baseUrl(),
                    "--teacher", "openai:teacher@" + server.baseUrl(), "--out", tmp.resolve("out").toString(), "--no-cache",
                    "--samples", "2");
            assertThat(run.code()).as(run.err()).isEqualTo(Granular.STOPPED_EARLY);
            String failed = Files.readString(tmp.resolve("out/failed.jsonl"));
            assertThat(failed.lines()).hasSize(2).allSatisfy(l -> assertThat(l).contains("\"kind\":\"tool_call\"")
                    .contains("the teacher's reply calls a tool (calc)")
                    .as("a tool call is not an invalid structured reply to re-ask").contains("\"attempts\":1"));
            assertThat(run.err()).contains("2 rows failed");
            try (var shards = Files.list(tmp.resolve("out/data"))) {
                assertThat(shards.filter(p -> p.toString().endsWith(".jsonl")).map(p -> {
                    try {
                        return Files.readString(p);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })).as("no record for a failed row").allSatisfy(text -> assertThat(text).isEmpty());
            }
        }
    }
}
