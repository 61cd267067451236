package dev.granular.io;

import dev.granular.in2.In2Config;
import dev.granular.in2.Mix;
import dev.granular.in2.PromptTemplate;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InvalidConfigExceptionTest {

    @Test
    void theMessageNamesTheFieldsAndACallerRenamesThem() {
        InvalidConfigException e = new InvalidConfigException("${minTokens} (5) is larger than ${maxTokens} (4); ${minTokens} again");
        assertThat(e.getMessage()).isEqualTo("minTokens (5) is larger than maxTokens (4); minTokens again");
        assertThat(e.fields()).containsExactly("minTokens", "maxTokens");
        assertThat(e.message(f -> f.equals("minTokens") ? "--min-tokens" : null))
                .isEqualTo("--min-tokens (5) is larger than maxTokens (4); --min-tokens again");
        assertThat(e).isInstanceOf(BadInputException.class);
    }

    @Test
    void otherBracesAndDollarsAreText() {
        assertThatThrownBy(() -> new PromptTemplate("no placeholders $1 {x}"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("template must contain {context} exactly once; it has none");
                    assertThat(e.fields()).containsExactly("template");
                    assertThat(e.message(f -> "--" + f)).isEqualTo("--template must contain {context} exactly once; it has none");
                });
    }

    @Test
    void in2ConfigErrorsAreTyped() {
        assertThatThrownBy(() -> In2Config.DEFAULT.withExamples(0))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.fields()).containsExactly("examples"));
        assertThatThrownBy(() -> Mix.parse("single=2"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.fields()).containsExactly("mix"));
    }
}
