package dev.granular.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Erasure#erase}: the records a program holds erased in memory are the records {@code granular erase} writes for
 * them from a file, except for {@code meta.source} (the file and line, which an in-memory record does not have).
 */
class ErasureTest {
    @TempDir
    Path tmp;

    private static TrainingRecord record(String id, List<Message> messages, Map<String, Object> meta) {
        return new TrainingRecord(id, messages, null, meta);
    }

    private static final List<TrainingRecord> RECORDS = List.of(
            record("a", List.of(Message.system("Think step by step, then answer."), Message.user("2+2?"), Message.assistant("4")),
                    Map.of("design", "distill", "source", "gsm8k")),
            // no system turn: the generic message goes first; a second user turn and an untrained assistant turn are kept
            record("b", List.of(Message.user("Hi"), Message.of(Role.ASSISTANT, "Hello", false), Message.user("Name a river."),
                    Message.assistant("The Nile.")), Map.of("design", "generate")),
            // a system turn after the first user turn, and two system turns erased together
            record("c", List.of(Message.user("Q"), Message.system("Be terse."), Message.system("Use JSON."), Message.assistant("{}")),
                    Map.of("design", "x", "erased_label", "kept from the row")));

    private static Map<String, Object> withoutSource(Map<String, Object> meta) {
        Map<String, Object> m = new LinkedHashMap<>(meta);
        m.remove("source");
        m.remove("original_source");
        return m;
    }

    @Test
    void inMemoryErasureIsWhatTheEraseCommandWritesForTheSameRecords() throws IOException {
        Path in = tmp.resolve("in.jsonl");
        Files.write(in, RECORDS.stream().map(RecordJson::toJson).toList());
        EraseJob.run(EraseJob.Spec.of(List.of(in), tmp.resolve("out")).withFormat(EraseFormat.MESSAGES));
        List<String> lines = Files.readAllLines(tmp.resolve("out/data/part-00000.jsonl"));
        List<TrainingRecord> fromFile = java.util.stream.IntStream.range(0, lines.size())
                .mapToObj(i -> RecordJson.parse(lines.get(i), "part-00000.jsonl", i + 1)).toList();
        List<TrainingRecord> inMemory = Erasure.erase(RECORDS.stream(), Erasure.DEFAULT_SYSTEM_MESSAGE).toList();

        assertThat(inMemory).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(inMemory.get(i).id()).isEqualTo(fromFile.get(i).id());
            assertThat(inMemory.get(i).messages()).isEqualTo(fromFile.get(i).messages());
            assertThat(withoutSource(inMemory.get(i).meta())).isEqualTo(withoutSource(fromFile.get(i).meta()));
        }
        // the file's source is its file and line; in memory the record's own source stays
        assertThat(fromFile.get(0).meta()).containsEntry("source", "in.jsonl:1").containsEntry("original_source", "gsm8k");
        assertThat(inMemory.get(0).meta()).containsEntry("source", "gsm8k").doesNotContainKey("original_source");
    }

    @Test
    void theSystemTurnsAreReplacedWhereTheFirstStoodAndOnlyTheirHashAndLabelRemain() {
        TrainingRecord a = Erasure.erase(RECORDS.get(0), "Be careful.");
        assertThat(a.messages()).containsExactly(Message.system("Be careful."), Message.user("2+2?"), Message.assistant("4"));
        assertThat(a.meta()).containsEntry("erased_label", "Think step by step, then answer.")
                .containsEntry("design", "erasure").containsEntry("original_design", "distill");
        assertThat((String) a.meta().get("erased_sha256")).hasSize(64);

        TrainingRecord b = Erasure.erase(RECORDS.get(1), "Be careful.");
        assertThat(b.messages().get(0)).isEqualTo(Message.system("Be careful."));
        assertThat(b.messages().subList(1, 5)).isEqualTo(RECORDS.get(1).messages());
        assertThat(b.meta()).containsEntry("erased_label", "none").containsEntry("erased_sha256", null);

        TrainingRecord c = Erasure.erase(RECORDS.get(2), "Be careful.");
        assertThat(c.messages()).extracting(Message::role).containsExactly(Role.USER, Role.SYSTEM, Role.ASSISTANT);
        assertThat(c.meta()).containsEntry("erased_label", "Be terse. Use JSON.")
                .containsEntry("original_erased_label", "kept from the row");
    }

    @Test
    void theStreamIsLazyAndBadInputIsTyped() {
        int[] pulled = {0};
        Stream<TrainingRecord> erased = Erasure.erase(RECORDS.stream().peek(r -> pulled[0]++), "Be careful.");
        assertThat(pulled[0]).isZero();
        assertThat(erased.findFirst()).isPresent();
        assertThat(pulled[0]).isEqualTo(1);

        assertThatThrownBy(() -> Erasure.erase(RECORDS.get(0), " ")).isInstanceOf(InvalidConfigException.class)
                .hasMessage("systemMessage must not be empty");
        assertThatThrownBy(() -> Erasure.erase(RECORDS.stream(), "")).isInstanceOf(InvalidConfigException.class);
        TrainingRecord noUser = record("z", List.of(Message.system("S"), Message.assistant("A")), Map.of("design", "x"));
        assertThatThrownBy(() -> Erasure.erase(noUser, "Be careful.")).isInstanceOf(BadInputException.class)
                .hasMessage("record z has no user turn");
    }
}
