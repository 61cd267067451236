package dev.granular.selfcorrect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import dev.granular.judge.Task;
import dev.granular.record.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskReaderTest {
    @TempDir
    Path tmp;

    List<SelfCorrectTask> read(String... lines) throws Exception {
        Path f = tmp.resolve("t.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return TaskReader.read(List.of(f), 0);
    }

    @Test
    void readsEveryChoiceShape() throws Exception {
        List<SelfCorrectTask> t = read(
                "{\"id\":\"l\",\"question\":\"Pick\",\"answer\":\"B\",\"choices\":[\"x\",\"y\"]}",
                "{\"id\":\"h\",\"question\":\"Pick\",\"answer\":\"y\",\"choices\":{\"label\":[\"A\",\"B\"],\"text\":[\"x\",\"y\"]}}",
                "{\"id\":\"m\",\"question\":\"Pick\",\"answer\":\"B\",\"choices\":{\"A\":\"x\",\"B\":\"y\"}}");
        List<Task.Choice> expected = List.of(new Task.Choice("A", "x"), new Task.Choice("B", "y"));
        assertThat(t).allSatisfy(x -> assertThat(x.task().choices()).isEqualTo(expected));
        assertThat(t.get(1).task().answer()).isEqualTo("y");
    }

    @Test
    void readsOpenBookQaCommonsenseQaAndGsm8kRows() throws Exception {
        List<SelfCorrectTask> t = read(
                "{\"id\":\"7-980\",\"question_stem\":\"The sun is responsible for\",\"choices\":{\"text\":[\"puppies learning\",\"plants sprouting\"],\"label\":[\"A\",\"B\"]},\"answerKey\":\"B\"}",
                "{\"id\":\"cs1\",\"question\":{\"stem\":\"Where do you keep milk?\",\"choices\":[{\"label\":\"A\",\"text\":\"fridge\"},{\"label\":\"B\",\"text\":\"shelf\"}]},\"answerKey\":\"A\"}",
                "{\"question\":\"Janet has 16 eggs and eats 3. How many are left?\",\"answer\":\"16 - 3 = <<16-3=13>>13\\n#### 13\"}");
        assertThat(t.get(0).task().question()).isEqualTo("The sun is responsible for");
        assertThat(t.get(0).task().choices()).extracting(Task.Choice::text).containsExactly("puppies learning", "plants sprouting");
        assertThat(t.get(0).task().answer()).isEqualTo("B");
        assertThat(t.get(1).task().question()).isEqualTo("Where do you keep milk?");
        assertThat(t.get(1).task().choices()).hasSize(2);
        assertThat(t.get(2).id()).isEqualTo("row-3");
        assertThat(t.get(2).task().answer()).isEqualTo("13");
        assertThat(t.get(2).reference()).startsWith("16 - 3").endsWith("#### 13");
        assertThat(AnswerStyle.of(t.get(2).task())).isEqualTo(AnswerStyle.NUMBER);
        assertThat(AnswerStyle.of(t.get(0).task())).isEqualTo(AnswerStyle.CHOICE);
    }

    @Test
    void messagesRowsKeepTheirSystemTurnAndTheStudentSeesTheInstruction() throws Exception {
        SelfCorrectTask t = read("{\"id\":\"c\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Capital of France?\"}],\"answer\":\"Paris\"}").getFirst();
        var conv = Prompts.studentConversation(t);
        assertThat(conv).extracting(m -> m.role()).containsExactly(Role.SYSTEM, Role.USER);
        assertThat(conv.get(1).content()).startsWith("Capital of France?\n\n").contains("Answer: ...");
    }

    @Test
    void badRowsNameFileAndLine() throws Exception {
        assertThatThrownBy(() -> read("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"1\"}", "", "{\"id\":\"b\",\"answer\":\"1\"}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("t.jsonl").hasMessageContaining("3")
                .hasMessageContaining("no question");
        assertThatThrownBy(() -> read("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"E\",\"choices\":[\"x\",\"y\"]}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("neither a choice label");
        assertThatThrownBy(() -> read("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"1\"}", "{\"id\":\"a\",\"question\":\"r\",\"answer\":\"2\"}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("t.jsonl:2: duplicate id \"a\" (first at ").hasMessageContaining("t.jsonl:1)");
        assertThatThrownBy(() -> read("not json")).isInstanceOf(BadInputException.class).hasMessageContaining("t.jsonl:1: invalid JSON");
    }

    @Test
    void readsGzipFilesAndDirectoriesAndRefusesWhatItCannotRead() throws Exception {
        Path gz = tmp.resolve("more/b.jsonl.gz");
        Files.createDirectories(gz.getParent());
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("{\"id\":\"b\",\"question\":\"q\",\"answer\":\"2\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path a = tmp.resolve("a.jsonl");
        Files.writeString(a, "{\"id\":\"a\",\"question\":\"q\",\"answer\":\"1\"}\n");

        assertThat(TaskReader.read(List.of(a, gz.getParent()), 0)).extracting(SelfCorrectTask::id).containsExactly("a", "b");

        Path missing = tmp.resolve("missing.jsonl");
        assertThatThrownBy(() -> TaskReader.read(List.of(missing), 0)).isInstanceOf(BadInputException.class)
                .hasMessage(missing + ": no such file or directory");
        Path latin1 = tmp.resolve("latin1.jsonl");
        Files.write(latin1, "{\"id\":\"a\",\"question\":\"caf\u00e9\",\"answer\":\"1\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> TaskReader.read(List.of(latin1), 0)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(latin1 + ":1: invalid UTF-8");
    }
}
