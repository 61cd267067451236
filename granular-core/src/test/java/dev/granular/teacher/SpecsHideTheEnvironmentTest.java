package dev.granular.teacher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.erasure.DistillJob;
import dev.granular.in2.In2Job;
import dev.granular.probe.EvalJob;
import dev.granular.selfcorrect.SelfCorrectJob;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every job spec that holds the environment (for API keys) prints none of it: a record's generated {@code toString}
 * shows every component, and a spec is what a user logs ({@code log.info("running {}", spec)}).
 */
class SpecsHideTheEnvironmentTest {
    private static final String KEY = "sk-live-4f9c2b7e1d";
    private static final Map<String, String> ENV = Map.of("OPENAI_API_KEY", KEY, "ANTHROPIC_API_KEY", KEY + "-a");

    @Test
    void noSpecPrintsAnApiKeyYetEachStillReadsIt() {
        ModelSpec model = ModelSpec.parse("openai:gpt-4o-mini", null);
        List<Path> in = List.of(Path.of("tasks.jsonl"));
        Map<String, Record> specs = Map.of(
                "generate", GenerateJob.Spec.of(in, model, Path.of("o")).withEnv(ENV),
                "distill", DistillJob.Spec.of(in, model, Path.of("o")).withEnv(ENV),
                "self-correct", SelfCorrectJob.Spec.of(in, model, model, Path.of("o")).withEnv(ENV),
                "eval", EvalJob.Spec.of(Path.of("probes"), model, Path.of("o")).withEnv(ENV),
                "in2 teacher", In2Job.Teacher.of(model).withEnv(ENV));
        specs.forEach((name, spec) -> {
            assertThat(spec.toString()).as(name).doesNotContain(KEY).doesNotContain("OPENAI_API_KEY")
                    .contains("2 environment variables, not shown");
        });
        GenerateJob.Spec gen = (GenerateJob.Spec) specs.get("generate");
        assertThat(gen.env().get("OPENAI_API_KEY")).isEqualTo(KEY);
        assertThat(model.key(gen.env())).map(Secret::reveal).contains(KEY);
    }

    @Test
    void theHiddenEnvironmentEqualsTheMapItHoldsAndIsACopy() {
        Map<String, String> mutable = new HashMap<>(ENV);
        GenerateJob.Spec a = GenerateJob.Spec.of(List.of(Path.of("p")), ModelSpec.parse("openai:m", null), Path.of("o")).withEnv(mutable);
        mutable.put("OPENAI_API_KEY", "changed later");
        assertThat(a.env()).isEqualTo(ENV).hasSize(2);
        assertThat(a.withN(2).withN(1)).isEqualTo(a).hasSameHashCodeAs(a);
        assertThat(GenerateJob.Spec.of(List.of(Path.of("p")), ModelSpec.parse("openai:m", null), Path.of("o")).env())
                .isEqualTo(System.getenv());
    }
}
