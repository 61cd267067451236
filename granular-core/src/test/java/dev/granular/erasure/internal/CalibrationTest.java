package dev.granular.erasure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Calibration samples deterministically and breaks ties by answer length, then name. */
class CalibrationTest {
    static DistillTask task(int i, String category, String answer) {
        return new DistillTask(i, "id" + i, category, List.of(Message.user("q" + i)), answer, List.of(), "f:" + i);
    }

    @Test
    void theSampleIsSeededPerCategoryAndSkipsUnansweredTasks() {
        List<DistillTask> tasks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            tasks.add(task(i, i % 2 == 0 ? "a" : "b", i % 5 == 0 ? null : "x"));
        }
        var one = Calibration.sample(tasks, 5, 7);
        assertThat(one).isEqualTo(Calibration.sample(tasks, 5, 7));
        assertThat(one).isNotEqualTo(Calibration.sample(tasks, 5, 8));
        assertThat(one.keySet()).containsExactly("a", "b");
        one.values().forEach(l -> {
            assertThat(l).hasSize(5);
            assertThat(l).allMatch(DistillTask::answered);
        });
    }

    @Test
    void accuracyWinsThenShorterAnswersThenName() {
        assertThat(Calibration.choose(List.of(new Calibration.Cell("c", "long", 4, 3, 4000),
                new Calibration.Cell("c", "short", 4, 2, 40)))).isEqualTo("long");
        assertThat(Calibration.choose(List.of(new Calibration.Cell("c", "long", 4, 3, 4000),
                new Calibration.Cell("c", "short", 4, 3, 40)))).isEqualTo("short");
        assertThat(Calibration.choose(List.of(new Calibration.Cell("c", "b", 4, 3, 40),
                new Calibration.Cell("c", "a", 4, 3, 40), new Calibration.Cell("c", "z", 0, 0, 0)))).isEqualTo("a");
    }
}
