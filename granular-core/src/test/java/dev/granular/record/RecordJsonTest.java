package dev.granular.record;

import dev.granular.io.BadInputException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordJsonTest {

    static TrainingRecord rich() {
        String answer = "Paris 巴黎 😀 café";
        int len = answer.codePointCount(0, answer.length());
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("zeta", List.of(1, 2.5, "drei", true));
        nested.put("alpha", null);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "in2");
        meta.put("source", "wiki/Paris.txt");
        meta.put("big", 12_345_678_901L);
        meta.put("ratio", 0.125);
        meta.put("nested", nested);
        meta.put("empty", List.of());
        List<Object> tools = List.of(Map.of("type", "function"), "plain", 7);
        return new TrainingRecord("in2-000042", List.of(
                Message.system("Answer briefly. \"Quotes\" and \\ backslashes\n and tabs\t."),
                Message.user("Where is the Eiffel Tower? 🗼"),
                new Message(Role.ASSISTANT, answer, true,
                        List.of(new TrainSpan(0, 6, false), new TrainSpan(6, len, true)), "思考: the capital")),
                tools, meta);
    }

    @Test
    void roundTripsNonAsciiEmojiTrainDetailToolsAndNestedMeta() {
        TrainingRecord record = rich();
        String json = RecordJson.toJson(record);

        TrainingRecord back = RecordJson.parse(json, "f.jsonl", 1);

        assertThat(json).doesNotContain("\n").contains("巴黎 😀 café");
        assertThat(RecordJson.toJson(back)).isEqualTo(json);
        assertThat(back.messages()).isEqualTo(record.messages());
        assertThat(back.design()).isEqualTo("in2");
        assertThat(back.meta().keySet()).containsExactly("design", "source", "big", "ratio", "nested", "empty");
        assertThat(back.meta().get("big")).isEqualTo(12_345_678_901L);
        assertThat(back.meta().get("ratio")).isEqualTo(0.125);
        assertThat(back.meta().get("nested")).isEqualTo(record.meta().get("nested"));
        assertThat(back.tools()).hasSize(3);
    }

    @Test
    void writesFieldsInFixedOrderAndOmitsAbsentOptionalFields() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "in2");
        meta.put("a", 1);
        TrainingRecord record = new TrainingRecord("r1", List.of(Message.user("Hi"),
                new Message(Role.ASSISTANT, "ok", true, List.of(new TrainSpan(0, 2, true)), "because")), null, meta);

        assertThat(RecordJson.toJson(record)).isEqualTo("{\"id\":\"r1\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"Hi\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"ok\",\"reasoning_content\":\"because\",\"train\":true,"
                + "\"train_detail\":[{\"begin_offset\":0,\"end_offset\":2,\"train\":true}]}],"
                + "\"meta\":{\"design\":\"in2\",\"a\":1}}");
    }

    @Test
    void keepsMetaInsertionOrderAndIsImmutable() {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("z", 1);
        meta.put("design", "pe");
        List<Object> list = new ArrayList<>(List.of(1));
        meta.put("list", list);
        TrainingRecord record = new TrainingRecord("x", List.of(Message.user("q")), null, meta);
        list.add(2);
        meta.put("late", true);

        assertThat(RecordJson.toJson(record)).endsWith("\"meta\":{\"z\":1,\"design\":\"pe\",\"list\":[1]}}");
        assertThatThrownBy(() -> record.meta().put("k", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ((List<?>) record.meta().get("list")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void parseErrorsCarryFileAndLine() {
        assertThatThrownBy(() -> RecordJson.parse("{\"id\":1}", "out/data/part-00000.jsonl", 7))
                .isInstanceOf(BadInputException.class)
                .hasMessage("out/data/part-00000.jsonl:7: id must be a string, found number 1")
                .satisfies(e -> {
                    assertThat(((BadInputException) e).file()).isEqualTo("out/data/part-00000.jsonl");
                    assertThat(((BadInputException) e).line()).isEqualTo(7);
                });
    }
}
