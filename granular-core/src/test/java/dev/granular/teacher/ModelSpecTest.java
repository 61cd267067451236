package dev.granular.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelSpecTest {
    @Test
    void openAiOwnApi() {
        ModelSpec s = ModelSpec.parse("openai:gpt-4o-mini", null);
        assertThat(s).isEqualTo(new ModelSpec(Provider.OPENAI, "gpt-4o-mini", ModelSpec.OPENAI_URL, "OPENAI_API_KEY", true));
        assertThat(s).hasToString("openai:gpt-4o-mini");
    }

    @Test
    void anthropicOwnApi() {
        ModelSpec s = ModelSpec.parse("anthropic:claude-sonnet-4-5", null);
        assertThat(s).isEqualTo(new ModelSpec(Provider.ANTHROPIC, "claude-sonnet-4-5", ModelSpec.ANTHROPIC_URL,
                "ANTHROPIC_API_KEY", true));
        assertThat(s).hasToString("anthropic:claude-sonnet-4-5");
    }

    @Test
    void compatibleServersTakeAUrlAndAnOptionalKey() {
        ModelSpec s = ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1/", null);
        assertThat(s.baseUrl()).as("a trailing slash is dropped").isEqualTo(URI.create("http://localhost:8000/v1"));
        assertThat(s.model()).isEqualTo("qwen3-8b");
        assertThat(s.keyRequired()).isFalse();
        assertThat(s.apiKeyEnv()).isEqualTo("OPENAI_API_KEY");
        assertThat(s).hasToString("openai:qwen3-8b@http://localhost:8000/v1");

        ModelSpec a = ModelSpec.parse("anthropic:claude@https://proxy.example.com/v1", null);
        assertThat(a.provider()).isEqualTo(Provider.ANTHROPIC);
        assertThat(a.baseUrl()).isEqualTo(URI.create("https://proxy.example.com/v1"));
        assertThat(a.keyRequired()).isFalse();
        assertThat(a).hasToString("anthropic:claude@https://proxy.example.com/v1");
    }

    @Test
    void modelNamesMayContainColonsAndSlashes() {
        assertThat(ModelSpec.parse("openai:library/llama3:8b@http://127.0.0.1:11434/v1", null).model())
                .isEqualTo("library/llama3:8b");
        assertThat(ModelSpec.parse("openai:ft:gpt-4o-mini:org::abc", null).model()).isEqualTo("ft:gpt-4o-mini:org::abc");
    }

    @Test
    void anExplicitKeyVariableMakesTheKeyRequired() {
        ModelSpec s = ModelSpec.parse("openai:m@http://localhost:8000/v1", "VLLM_KEY");
        assertThat(s.apiKeyEnv()).isEqualTo("VLLM_KEY");
        assertThat(s.keyRequired()).isTrue();
        assertThat(ModelSpec.parse("anthropic:m", "OTHER").apiKeyEnv()).isEqualTo("OTHER");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpt-4o", "openai:", ":gpt-4o", "azure:gpt-4o", "OpenAI:gpt-4o", "openai:@http://x/v1",
            "openai:  @http://x/v1", "openai:m@ftp://x/v1", "openai:m@localhost:8000/v1", "openai:m@http://", "openai:m@",
            "openai:m@not a url", "anthropic:m@//host/v1"})
    void malformedSpecsAreBadInput(String spec) {
        // The message names the spec up to the URL; a URL is never echoed (it could hold a credential).
        String shown = spec.contains("@") ? spec.substring(0, spec.indexOf('@')) + "@..." : spec;
        assertThatThrownBy(() -> ModelSpec.parse(spec, null)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("model '" + shown + "'");
    }

    @Test
    void aUrlWithACredentialIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> ModelSpec.parse("openai:m@http://user:sk-secret@host/v1", null))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("must not contain a user or password")
                .hasMessageNotContaining("sk-secret");
    }

    @Test
    void aRequiredKeyMustBeSet() {
        ModelSpec s = ModelSpec.parse("openai:gpt-4o", null);
        for (Map<String, String> env : java.util.List.of(Map.<String, String>of(), Map.of("OPENAI_API_KEY", "  "))) {
            assertThatThrownBy(() -> s.key(env)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("OPENAI_API_KEY").hasMessageContaining("openai:gpt-4o");
        }
        assertThat(s.key(Map.of("OPENAI_API_KEY", " sk-abc\n")).orElseThrow().reveal()).isEqualTo("sk-abc");
    }

    @Test
    void anOptionalKeyMayBeMissing() {
        ModelSpec s = ModelSpec.parse("openai:m@http://localhost:8000/v1", null);
        assertThat(s.key(Map.of())).isEmpty();
        assertThat(s.key(Map.of("OPENAI_API_KEY", "")).isEmpty()).isTrue();
        assertThat(s.key(Map.of("OPENAI_API_KEY", "local-key")).orElseThrow().reveal()).isEqualTo("local-key");
    }

    @Test
    void noStringOfASpecShowsAKey() {
        String key = "sk-ant-secret-0123456789";
        Map<String, String> env = Map.of("ANTHROPIC_API_KEY", key);
        ModelSpec s = ModelSpec.parse("anthropic:claude", null);
        assertThat(s.key(env).orElseThrow()).hasToString("***");
        assertThat(s.toString()).doesNotContain(key);
        assertThat(String.valueOf(s.key(env))).doesNotContain(key);
        assertThatThrownBy(() -> ModelSpec.parse("openai:m", "UNSET_VAR").key(env))
                .isInstanceOf(BadInputException.class).message().doesNotContain(key);
    }
}
