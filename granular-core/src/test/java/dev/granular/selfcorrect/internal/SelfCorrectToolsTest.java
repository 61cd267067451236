package dev.granular.selfcorrect.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Self-correct trains text answers: a task with tools, tool calls or tool messages is refused at its line. */
class SelfCorrectToolsTest {
    @TempDir
    Path tmp;

    @Test
    void toolTasksAreRefusedAtTheirLine() throws Exception {
        List<String> rows = List.of(
                "{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"calc\"}}]}",
                "{\"id\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},{\"role\":\"assistant\",\"content\":null,"
                        + "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"calc\",\"arguments\":{}}}]},"
                        + "{\"role\":\"user\",\"content\":\"well?\"}],\"answer\":\"2\"}",
                "{\"id\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"1+1?\"},{\"role\":\"tool\",\"content\":\"2\"},"
                        + "{\"role\":\"user\",\"content\":\"so?\"}],\"answer\":\"2\"}");
        List<String> expected = List.of("\"tools\": self-correct does not take tool tasks",
                "messages[1] has tool_calls: self-correct does not take tool tasks",
                "messages[1] is a tool message: self-correct does not take tool tasks");
        for (int i = 0; i < rows.size(); i++) {
            Path f = tmp.resolve("t" + i + ".jsonl");
            Files.writeString(f, "{\"id\":\"ok\",\"question\":\"2+2?\",\"answer\":\"4\"}\n" + rows.get(i) + "\n");
            assertThatThrownBy(() -> TaskReader.read(List.of(f), 0)).isInstanceOf(BadInputException.class)
                    .hasMessageStartingWith(f + ":2: " + expected.get(i));
        }
    }
}
