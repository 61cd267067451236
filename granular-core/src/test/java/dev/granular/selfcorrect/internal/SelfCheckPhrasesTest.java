package dev.granular.selfcorrect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfCheckPhrasesTest {
    @TempDir
    Path tmp;

    @Test
    void builtInPoolHasAtLeastTwentyDistinctPhrasesAndDrawsAreStableAndVaried() {
        SelfCheckPhrases p = SelfCheckPhrases.builtIn();
        assertThat(new HashSet<>(p.phrases())).hasSizeGreaterThanOrEqualTo(20);
        assertThat(p.pick(3, "q1#0")).isEqualTo(p.pick(3, "q1#0"));
        Set<String> drawn = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            drawn.add(p.pick(3, "q" + i + "#0"));
        }
        assertThat(drawn).hasSizeGreaterThan(15);
    }

    @Test
    void fileReplacesThePoolSkippingCommentsAndBlankLines() throws Exception {
        Path f = tmp.resolve("p.txt");
        Files.writeString(f, "# mine\n\n  Check it again.  \nAm I sure?\n");
        assertThat(SelfCheckPhrases.read(f).phrases()).containsExactly("Check it again.", "Am I sure?");
        Files.writeString(f, "# nothing\n");
        assertThatThrownBy(() -> SelfCheckPhrases.read(f)).isInstanceOf(BadInputException.class).hasMessageContaining("holds no self-check phrase");
    }
}
