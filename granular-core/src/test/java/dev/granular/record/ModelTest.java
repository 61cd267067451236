package dev.granular.record;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelTest {
    @Test
    void rolesMapToWireNames() {
        assertThat(Role.fromWire("assistant")).isEqualTo(Role.ASSISTANT);
        assertThat(Role.SYSTEM.wireName()).isEqualTo("system");
        assertThat(Role.fromWire("tool")).isEqualTo(Role.TOOL);
        assertThatThrownBy(() -> Role.fromWire("function")).hasMessage("unknown role \"function\" (allowed: system, user, assistant, tool)");
    }

    @Test
    void factoriesSetTrainByRole() {
        assertThat(Message.system("s").train()).isFalse();
        assertThat(Message.user("u").train()).isFalse();
        assertThat(Message.assistant("a").train()).isTrue();
        assertThat(Message.user("u").withTrain(true)).isEqualTo(Message.of(Role.USER, "u", true));
    }

    @Test
    void messageCopiesTrainDetailAndChecksIt() {
        var spans = new java.util.ArrayList<>(List.of(new TrainSpan(0, 2, true)));
        Message m = new Message(Role.ASSISTANT, "ok", true, spans, null);
        spans.add(new TrainSpan(2, 3, true));

        assertThat(m.trainDetail()).hasSize(1);
        assertThatThrownBy(() -> m.withTrain(false))
                .hasMessage("train: expected true because a train_detail span has train=true, found false");
        assertThat(new Message(Role.ASSISTANT, "", false, List.of(), null).trainDetail()).isEmpty();
    }

    @Test
    void rejectsUnpairedSurrogates() {
        String cut = "a😀".substring(0, 2);

        assertThatThrownBy(() -> Message.assistant(cut))
                .hasMessageStartingWith("content: unpaired surrogate U+D83D at char index 1");
    }

    @Test
    void recordChecksItsInvariants() {
        List<Message> one = List.of(Message.user("q"));

        assertThatThrownBy(() -> new TrainingRecord("", one, null, Map.of("design", "in2")))
                .hasMessage("id: must be a non-empty string");
        assertThatThrownBy(() -> new TrainingRecord("x", List.of(), null, Map.of("design", "in2")))
                .hasMessage("messages: must not be empty");
        assertThatThrownBy(() -> new TrainingRecord("x", one, null, Map.of("design", "in2", "t", new Object())))
                .hasMessageStartingWith("meta.t: java.lang.Object is not a JSON value");
        assertThatThrownBy(() -> new TrainingRecord("x", one, null, Map.of("design", "in2", "n", Double.NaN)))
                .hasMessage("meta.n: NaN is not a JSON number");
        assertThat(new TrainingRecord("x", one, List.of(), Map.of("design", "in2")).design()).isEqualTo("in2");
    }

    @Test
    void spanRejectsEmptyAndNegative() {
        assertThatThrownBy(() -> new TrainSpan(-1, 2, true)).hasMessage("begin_offset -1 must be >= 0");
        assertThatThrownBy(() -> new TrainSpan(2, 2, true)).hasMessageStartingWith("end_offset 2 must be > begin_offset 2");
    }
}
