package dev.granular.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every format is exact or refuses: which masks each one can carry, and how it writes them. */
class ExportFormatTest {
    static TrainingRecord rec(Message... ms) {
        return new TrainingRecord("r1", List.of(ms), null, Map.of("design", "test"));
    }

    /** An assistant message "wrong 😀 answer | fix" with the first part untrained (PAM). */
    static Message pam() {
        String content = "wrong 😀 answer | fix";
        int cut = "wrong 😀 answer ".codePointCount(0, "wrong 😀 answer ".length());
        int len = content.codePointCount(0, content.length());
        return new Message(Role.ASSISTANT, content, true, List.of(new TrainSpan(0, cut, false), new TrainSpan(cut, len, true)), null);
    }

    @Test
    void openaiWeightsAssistantMessagesAndRefusesWhatItCannotCarry() {
        var ok = ExportFormat.OPENAI.export(rec(Message.system("s"), Message.user("q"), Message.of(Role.ASSISTANT, "a0", false),
                Message.user("q2"), Message.assistant("a1")));
        assertThat(ok).isInstanceOf(Exported.Row.class);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> msgs = (List<Map<String, Object>>) ((Exported.Row) ok).row().get("messages");
        assertThat(msgs).extracting(m -> m.get("weight")).containsExactly(null, null, 0, null, 1);
        assertThat(msgs.get(0)).doesNotContainKey("weight");

        assertThat(ExportFormat.OPENAI.export(rec(Message.user("q"), pam()))).isInstanceOfSatisfying(Exported.Rejected.class,
                r -> assertThat(r.reason()).contains("messages[1]").contains("only in part"));
        assertThat(ExportFormat.OPENAI.export(rec(Message.of(Role.USER, "q", true), Message.assistant("a"))))
                .isInstanceOfSatisfying(Exported.Rejected.class, r -> assertThat(r.reason()).contains("user").contains("trained"));
        assertThat(ExportFormat.OPENAI.export(rec(Message.user("q"), Message.of(Role.ASSISTANT, "a", false))))
                .isInstanceOfSatisfying(Exported.Rejected.class, r -> assertThat(r.reason()).isEqualTo("nothing is trained"));
    }

    @Test
    void axolotlCarriesPartialMasksWithInclusiveEndOffsets() {
        var row = (Exported.Row) ExportFormat.AXOLOTL.export(rec(Message.user("q"), pam()));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> msgs = (List<Map<String, Object>>) row.row().get("messages");
        assertThat(msgs.get(0)).containsEntry("train", false).doesNotContainKey("train_detail");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> detail = (List<Map<String, Object>>) msgs.get(1).get("train_detail");
        // half-open [0,15) [15,20) in code points → axolotl's inclusive [0,14] [15,19]
        assertThat(detail).containsExactly(Map.of("begin_offset", 0, "end_offset", 14, "train", false),
                Map.of("begin_offset", 15, "end_offset", 19, "train", true));
        String content = (String) msgs.get(1).get("content");
        int[] cps = content.codePoints().toArray();
        assertThat(new String(cps, 15, 19 - 15 + 1)).isEqualTo("| fix");
    }

    @Test
    void trlUsesPromptCompletionWhenOnlyTheLastAnswerIsTrained() {
        var pc = (Exported.Row) ExportFormat.TRL.export(rec(Message.system("s"), Message.user("q"), Message.assistant("a")));
        assertThat(pc.row()).containsOnlyKeys("prompt", "completion");
        assertThat((List<?>) pc.row().get("prompt")).hasSize(2);
        assertThat(pc.row().get("completion")).isEqualTo(List.of(Map.of("role", "assistant", "content", "a")));

        var all = (Exported.Row) ExportFormat.TRL.export(rec(Message.user("q"), Message.assistant("a"), Message.user("q2"),
                Message.assistant("b")));
        assertThat(all.row()).containsOnlyKeys("messages");

        assertThat(ExportFormat.TRL.export(rec(Message.user("q"), Message.assistant("a"), Message.user("q2"),
                Message.of(Role.ASSISTANT, "b", false)))).isInstanceOf(Exported.Rejected.class);
        assertThat(ExportFormat.TRL.export(rec(Message.user("q"), pam()))).isInstanceOf(Exported.Rejected.class);
    }

    @Test
    void llamaFactoryNeedsAlternatingTurnsAndEveryAnswerTrained() {
        var row = (Exported.Row) ExportFormat.LLAMAFACTORY.export(rec(Message.system("be brief"), Message.user("q"), Message.assistant("a")));
        assertThat(row.row()).containsEntry("system", "be brief");
        assertThat(row.row().get("conversations")).isEqualTo(List.of(Map.of("from", "human", "value", "q"),
                Map.of("from", "gpt", "value", "a")));
        assertThat(ExportFormat.LLAMAFACTORY.export(rec(Message.user("q"), Message.user("q again"), Message.assistant("a"))))
                .isInstanceOfSatisfying(Exported.Rejected.class, r -> assertThat(r.reason()).contains("alternate"));
        assertThat(ExportFormat.LLAMAFACTORY.export(rec(Message.user("q"), Message.of(Role.ASSISTANT, "a", false),
                Message.user("q2"), Message.assistant("b")))).isInstanceOf(Exported.Rejected.class);
    }
}
