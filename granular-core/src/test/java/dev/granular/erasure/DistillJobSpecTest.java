package dev.granular.erasure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.InvalidConfigException;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link DistillJob.Spec#of}: the defaults of {@code granular distill}, withers that change one component, field-named errors. */
class DistillJobSpecTest {
    private static final DistillJob.Spec OF = DistillJob.Spec.of(List.of(Path.of("tasks.jsonl")), ModelSpec.parse("openai:m", null),
            Path.of("out"));

    @Test
    void ofHoldsTheDefaults() {
        assertThat(OF.params()).isEqualTo(GenerationParams.DEFAULT);
        assertThat(OF.library()).isEqualTo(StrategyLibrary.builtIn());
        assertThat(OF.defaultStrategy()).isEqualTo("step-by-step");
        assertThat(OF.systemMessage()).isEqualTo(Erasure.DEFAULT_SYSTEM_MESSAGE);
        assertThat(OF.requireCorrect()).isFalse();
        assertThat(OF.attempts()).isEqualTo(4);
        assertThat(OF.judge()).isEqualTo("auto");
        assertThat(OF.maxCost()).isNull();
        assertThat(OF.shardSize()).isEqualTo(10_000);
        assertThat(OF.commandLine()).containsExactly("distill");
    }

    @Test
    void aWitherChangesOnlyItsComponent() {
        DistillJob.Spec s = OF.withAttempts(2);
        assertThat(s.attempts()).isEqualTo(2);
        assertThat(s.withAttempts(4)).isEqualTo(OF);
    }

    @Test
    void errorsNameTheField() {
        assertThatThrownBy(() -> OF.withAttempts(0)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("attempts must be at least 1, got 0");
        assertThatThrownBy(() -> OF.withMaxCost(0.0)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("maxCost must be a positive number of USD");
        assertThatThrownBy(() -> OF.withSystemMessage("")).isInstanceOf(InvalidConfigException.class)
                .hasMessage("systemMessage must not be empty");
    }
}
