package dev.granular.selfcorrect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.InvalidConfigException;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SelfCorrectJob.Spec#of}: the defaults of {@code granular self-correct}, withers, field-named errors. */
class SelfCorrectJobSpecTest {
    private static final SelfCorrectJob.Spec OF = SelfCorrectJob.Spec.of(List.of(Path.of("tasks.jsonl")),
            ModelSpec.parse("openai:s", null), ModelSpec.parse("openai:t", null), Path.of("out"));

    @Test
    void ofHoldsTheDefaults() {
        assertThat(OF.samples()).isEqualTo(4);
        assertThat(OF.temperature()).isEqualTo(0.8);
        assertThat(OF.badRatio()).isEqualTo(0.5);
        assertThat(OF.maxPerQuestion()).isEqualTo(2);
        assertThat(OF.maxTokens()).isNull();
        assertThat(OF.student().limits().concurrency()).isEqualTo(64);
        assertThat(OF.teacher().limits().concurrency()).isEqualTo(16);
        assertThat(OF.commandLine()).containsExactly("self-correct");
    }

    @Test
    void aWitherChangesOnlyItsComponent() {
        assertThat(OF.withBadRatio(0.4).badRatio()).isEqualTo(0.4);
        assertThat(OF.withBadRatio(0.4).withBadRatio(0.5)).isEqualTo(OF);
    }

    @Test
    void errorsNameTheField() {
        assertThatThrownBy(() -> OF.withSamples(0)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("samples must be at least 1, got 0");
        assertThatThrownBy(() -> OF.withBadRatio(2.0)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("badRatio must be between 0 and 1, got 2.0");
        assertThatThrownBy(() -> OF.withMaxPerQuestion(0)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("maxPerQuestion must be at least 1, got 0");
        assertThatThrownBy(() -> OF.withMaxTokens(0)).isInstanceOf(InvalidConfigException.class)
                .hasMessage("maxTokens must be at least 1, got 0");
    }
}
