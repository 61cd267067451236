package dev.granular.erasure.internal;

import dev.granular.erasure.StrategyLibrary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three task shapes distill reads, and bad rows reported by file and line. */
class TaskReaderTest {
    @TempDir
    Path tmp;

    @Test
    void readsNativeOpenOrcaAndShareGptRows() throws Exception {
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"id\":\"n1\",\"category\":\"sci\",\"question\":\"Which is a metal?\",\"choices\":[\"wood\",\"iron\"],\"answer\":\"B\"}",
                "{\"id\":\"flan.7\",\"system_prompt\":\"Be detailed.\",\"question\":\"Q\",\"response\":\"R\"}",
                "",
                "{\"id\":\"g1\",\"conversations\":[{\"from\":\"system\",\"value\":\"S\"},{\"from\":\"human\",\"value\":\"H\"},"
                        + "{\"from\":\"gpt\",\"value\":\"old\"}],\"answer\":42}") + "\n");
        List<DistillTask> t = TaskReader.read(List.of(f), 0);
        assertThat(t).extracting(DistillTask::category).containsExactly("sci", "flan", "default");
        assertThat(t.get(0).question()).endsWith("(A) wood\n(B) iron");
        assertThat(t.get(0).judgeTask().multipleChoice()).isTrue();
        assertThat(t.get(1).answered()).isFalse();
        assertThat(t.get(1).prompt()).hasSize(1);
        assertThat(t.get(2).prompt()).extracting(m -> m.content()).containsExactly("H");
        assertThat(t.get(2).answer()).isEqualTo("42");
        assertThat(t.get(2).source()).isEqualTo("t.jsonl:4");
    }

    @Test
    void aBadRowNamesItsLine() throws Exception {
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, "{\"id\":\"a\",\"question\":\"q\"}\n{\"id\":\"a\",\"question\":\"q2\"}\n");
        assertThatThrownBy(() -> TaskReader.read(List.of(f), 0)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("t.jsonl:2").hasMessageContaining("duplicate id");
    }

    @Test
    void readsAnOutputDirectoryAndAFileWithIdsUniqueAcrossThem() throws Exception {
        Path shard = tmp.resolve("prev/data/part-00000.jsonl");
        Files.createDirectories(shard.getParent());
        Files.writeString(shard, "{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"Q\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"old\",\"train\":true}],\"meta\":{\"design\":\"pe\"}}\n");
        Files.writeString(tmp.resolve("prev/README.md"), "# card\n");
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, "{\"id\":\"b\",\"question\":\"q\"}\n{\"id\":\"a\",\"question\":\"q2\"}\n");

        assertThatThrownBy(() -> TaskReader.read(List.of(tmp.resolve("prev"), f), 0)).isInstanceOf(BadInputException.class)
                .hasMessage(f + ":2: duplicate id \"a\" (first at " + shard + ":1)");
        List<DistillTask> t = TaskReader.read(List.of(tmp.resolve("prev"), f), 1);
        assertThat(t).singleElement().satisfies(task -> assertThat(task.prompt()).extracting(m -> m.content()).containsExactly("Q"));
    }

    @Test
    void aToolTaskKeepsItsCallsResultsAndToolsAndTheTeacherIsSentThem() throws Exception {
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, "{\"id\":\"w\",\"messages\":[{\"role\":\"system\",\"content\":\"old\"},"
                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"content\":\"18 C\",\"tool_call_id\":\"c1\",\"name\":\"get_weather\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]}\n"
                + "{\"id\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"tool\",\"content\":\"r\"}]}\n");
        Path q = tmp.resolve("q.jsonl");
        Files.writeString(q, "{\"id\":\"q\",\"question\":\"Weather?\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\"}}]}\n");
        assertThat(TaskReader.read(List.of(q), 0).getFirst().tools()).as("a question row offers tools too").hasSize(1);
        assertThatThrownBy(() -> TaskReader.read(List.of(f), 0)).isInstanceOf(BadInputException.class)
                .hasMessage(f + ":2: messages[1].tool_call_id is missing: a tool message sent to a teacher must name the call it answers");
        DistillTask t = TaskReader.read(List.of(f), 1).getFirst();
        assertThat(t.tools()).hasSize(1);
        assertThat(t.prompt()).hasSize(3);
        List<dev.granular.teacher.internal.ChatMessage> sent = ErasedRecords.teacherRequest(t, StrategyLibrary.builtIn().get("step-by-step"));
        assertThat(sent.get(2).toolCalls()).containsExactly(new dev.granular.record.ToolCall("c1", "function", "get_weather",
                "{\"city\": \"Paris\"}"));
        assertThat(sent.get(3)).isEqualTo(new dev.granular.teacher.internal.ChatMessage(dev.granular.record.Role.TOOL, "18 C", null, "c1",
                "get_weather"));
        var rec = ErasedRecords.record(t, StrategyLibrary.builtIn().get("step-by-step"), "", List.of(new dev.granular.record.ToolCall("c2",
                "function", "get_weather", "{}")), true, "sys", "openai:t", null);
        assertThat(rec.tools()).isEqualTo(t.tools());
        assertThat(rec.messages().getLast().toolCalls()).hasSize(1);
        assertThat(rec.messages().getLast().contentNull()).isTrue();
    }
}
