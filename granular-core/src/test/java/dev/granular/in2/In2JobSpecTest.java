package dev.granular.in2;

import dev.granular.teacher.ClientLimits;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.corpus.BadRowPolicy;
import dev.granular.corpus.CorpusOptions;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link In2Job.Spec#of} has the CLI's defaults, and each wither sets its own field (granular-cli's JobSpecDefaultsTest ties them to the flags). */
class In2JobSpecTest {
    private static final List<Path> CORPUS = List.of(Path.of("corpus/"));
    private static final In2Config CONFIG = In2Config.DEFAULT.withExamples(500);
    private static final Path OUT = Path.of("out/in2");

    @Test
    void ofHasTheDefaultsOfGranularIn2() {
        In2Job.Spec positional = new In2Job.Spec(CORPUS, CorpusOptions.defaults(), List.of(), List.of(), "o200k_base", CONFIG, OUT,
                10_000, false, Runtime.getRuntime().availableProcessors(), List.of("in2"), null, null);
        assertThat(In2Job.Spec.of(CORPUS, CONFIG, OUT)).isEqualTo(positional);
    }

    @Test
    void everyWitherSetsItsOwnField() {
        In2Job.Teacher teacher = new In2Job.Teacher(ModelSpec.parse("openai:gpt-4o-mini", null), GenerationParams.DEFAULT,
                ClientLimits.DEFAULT, Path.of("cache.db"), 1.5, null, Map.of());
        // Every field away from its default, with values no two fields share, so a wither writing the wrong field fails.
        In2Job.Spec positional = new In2Job.Spec(CORPUS, new CorpusOptions("body", BadRowPolicy.SKIP), List.of(Path.of("eval.jsonl")),
                List.of(Path.of("general.jsonl")), "cl100k_base", CONFIG.withSeed(7), OUT, 123, true, 3,
                List.of("in2", "--threads", "3"), teacher, In2Job.TOKENIZER_TEMPLATE);
        In2Job.Spec withers = In2Job.Spec.of(CORPUS, CONFIG, OUT)
                .withCorpusOptions(new CorpusOptions("body", BadRowPolicy.SKIP))
                .withExclude(List.of(Path.of("eval.jsonl")))
                .withGeneral(List.of(Path.of("general.jsonl")))
                .withTokenizer("cl100k_base")
                .withConfig(CONFIG.withSeed(7))
                .withShardSize(123)
                .withOverwrite(true)
                .withThreads(3)
                .withCommandLine(List.of("in2", "--threads", "3"))
                .withTeacher(teacher)
                .withChatTemplate(In2Job.TOKENIZER_TEMPLATE);
        assertThat(withers).isEqualTo(positional);
    }
}
