package dev.granular.in2;

import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.TeacherQuestions;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Uniformity;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Depth uniformity, determinism, the mix and the configuration's checks. */
class DesignPropertiesTest {
    @TempDir
    static Path dir;
    static Tokenizer tok;
    static SegmentTokens tokens;
    static SegmentStore store;

    static In2Config config(long n, String mix, long seed) {
        return new In2Config(n, 32, 600, 2400, Mix.parse(mix), 256, PromptTemplate.DEFAULT, null, seed);
    }

    @BeforeAll
    static void build() {
        tok = In2Fixtures.tokenizer("o200k_base");
        tokens = new SegmentTokens(tok);
        store = In2Fixtures.build(dir, tokens, In2Fixtures.corpus(31, 160, true, false), 32, 256);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static long[] bins(List<Double> depths) {
        long[] b = new long[10];
        for (double d : depths) {
            b[Math.min(9, (int) (d * 10))]++;
        }
        return b;
    }

    @Test
    void singleDepthsAreUniform() {
        In2Design design = new In2Design(store, tokens, config(2000, "single=1", 12345), List.of());
        List<Double> depths = new ArrayList<>();
        for (long i = 0; i < design.size(); i++) {
            depths.add(((Number) In2Fixtures.list(design.example(i).meta().get("depth")).get(0)).doubleValue());
        }
        long[] observed = bins(depths);
        double p = Uniformity.chiSquarePValue(observed);
        System.out.printf("depth bins %s, p = %.4f%n", java.util.Arrays.toString(observed), p);
        assertThat(p).isGreaterThan(0.001);
        // the same test catches a biased placement
        double biased = Uniformity.chiSquarePValue(bins(depths.stream().map(d -> d * d).toList()));
        assertThat(biased).isLessThan(0.001);
    }

    @Test
    void sameSeedSameExamplesWhateverTheOrder() throws Exception {
        String mix = "single=0.5,multi=0.3,short=0.2";
        In2Design a = new In2Design(store, tokens, config(120, mix, 99), List.of());
        In2Design b = new In2Design(store, tokens, config(120, mix, 99), List.of());
        In2Design other = new In2Design(store, tokens, config(120, mix, 100), List.of());
        List<String> forward = new ArrayList<>();
        for (long i = 0; i < a.size(); i++) {
            forward.add(RecordJson.toJson(a.example(i)));
        }
        String[] reverse = new String[(int) b.size()];
        for (long i = b.size() - 1; i >= 0; i--) {
            reverse[(int) i] = RecordJson.toJson(b.example(i));
        }
        assertThat(reverse).containsExactlyElementsOf(forward);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (long i = 0; i < a.size(); i++) {
                long k = (i * 37) % a.size(); // scattered order, several threads, the same design instance
                futures.add(pool.submit(() -> k + "\t" + RecordJson.toJson(a.example(k))));
            }
            for (Future<String> f : futures) {
                String[] kv = f.get().split("\t", 2);
                assertThat(kv[1]).isEqualTo(forward.get(Integer.parseInt(kv[0])));
            }
        } finally {
            pool.shutdown();
        }
        int same = 0;
        for (long i = 0; i < other.size(); i++) {
            if (RecordJson.toJson(other.example(i)).equals(forward.get((int) i))) {
                same++;
            }
        }
        assertThat(same).isZero();
        for (long i = 0; i < a.size(); i++) {
            TrainingRecord r = a.example(i);
            assertThat(r.meta().get("kind")).isEqualTo(a.kind(i).wireName());
        }
    }

    /**
     * A small corpus makes the same programmatic question come up again and again; the job draws
     * each repeat again, in index order, so no question repeats in the dataset and the data is
     * the same bytes whatever the thread count.
     */
    @Test
    void noQuestionRepeatsAndThreadsNeverChangeWhichIsRedrawn() throws Exception {
        Path corpusDir = dir.resolve("dedupe-corpus");
        Files.createDirectories(corpusDir);
        for (var d : In2Fixtures.corpus(5, 24, false, false)) {
            Files.writeString(corpusDir.resolve(d.id() + ".txt"), d.text());
        }
        In2Config cfg = config(400, "single=0.6,multi=0.2,short=0.2", 3);
        Map<Integer, Path> outs = new TreeMap<>();
        for (int threads : new int[] {1, 3}) {
            Path out = dir.resolve("dedupe-" + threads);
            In2Job.run(In2Job.Spec.of(List.of(corpusDir), cfg, out).withShardSize(150).withThreads(threads), In2Job.Listener.NONE);
            outs.put(threads, out);
        }
        for (String shard : List.of("part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl")) {
            assertThat(outs.get(3).resolve("data").resolve(shard)).hasSameBinaryContentAs(outs.get(1).resolve("data").resolve(shard));
        }
        Set<String> questions = new HashSet<>();
        try (var records = RecordReader.read(outs.get(1))) {
            records.forEach(r -> assertThat(questions.add(TeacherQuestions.normalise((String) r.meta().get("question"))))
                    .as("question of %s repeats an earlier one: %s", r.id(), r.meta().get("question")).isTrue());
        }
        assertThat(questions).hasSize(400);
        var summary = new ObjectMapper().readTree(outs.get(1).resolve("report/summary.json").toFile());
        assertThat(summary.path("questions").path("redrawn_duplicates").asLong()).as("the corpus is small enough to repeat")
                .isPositive();
        assertThat(summary.path("questions").path("repeated").asLong()).isZero();
    }

    @Test
    void countsUseTheLargestRemainder() {
        assertThat(Mix.DEFAULT.counts(1000)).containsExactly(630, 170, 100, 100);
        assertThat(Mix.DEFAULT.counts(7)).containsExactly(4, 1, 1, 1);   // 4.41 1.19 0.7 0.7
        assertThat(Mix.DEFAULT.counts(1)).containsExactly(1, 0, 0, 0);
        assertThat(Mix.parse("single=0.5,multi=0.5").counts(3)).containsExactly(2, 1, 0, 0); // tie: the earlier kind
        assertThat(Mix.parse("single=0.2,multi=0.3,short=0.5").counts(9)).containsExactly(2, 3, 4, 0); // 1.8 2.7 4.5
        assertThat(Mix.parse("general=1").counts(5)).containsExactly(0, 0, 0, 5);
        for (String spec : List.of("single=0.63,multi=0.17,short=0.10,general=0.10", "single=0.3333333,multi=0.3333333,short=0.3333334",
                "single=0.1,multi=0.2,short=0.3,general=0.4", "single=0.5000004,multi=0.4999999")) {
            Mix m = Mix.parse(spec);
            for (long n : new long[] {1, 2, 3, 7, 10, 99, 1000, 12345, 10_000_000, 1_000_000_000L}) {
                long[] c = m.counts(n);
                assertThat(java.util.Arrays.stream(c).sum()).as("%s n=%d", spec, n).isEqualTo(n);
                for (ExampleKind k : ExampleKind.values()) {
                    assertThat((double) c[k.ordinal()]).isCloseTo(m.share(k) * n, within(1.0 + n * 1e-6));
                }
            }
        }
    }

    @Test
    void mixParseErrors() {
        for (String bad : List.of("single=0.5,bogus=0.5", "single=0.5,multi=0.4", "single=0.5,single=0.5", "single=abc,multi=1",
                "single", "single=-0.5,multi=1.5", "single=NaN", "single=Infinity", "")) {
            assertThatThrownBy(() -> Mix.parse(bad)).as(bad).isInstanceOf(BadInputException.class);
        }
        assertThat(Mix.parse(" single = 0.7 , multi=0.3 ").share(ExampleKind.MULTI)).isEqualTo(0.3);
    }

    @Test
    void withoutSpreadsInProportion() {
        Mix m = Mix.DEFAULT.without(ExampleKind.GENERAL);
        assertThat(m.share(ExampleKind.GENERAL)).isZero();
        assertThat(m.share(ExampleKind.SINGLE)).isCloseTo(0.63 / 0.9, within(1e-12));
        assertThat(m.share(ExampleKind.MULTI)).isCloseTo(0.17 / 0.9, within(1e-12));
        assertThat(m.share(ExampleKind.SHORT)).isCloseTo(0.10 / 0.9, within(1e-12));
        assertThat(m.share(ExampleKind.SINGLE) / m.share(ExampleKind.MULTI)).isCloseTo(63.0 / 17, within(1e-9));
        assertThat(Mix.parse("single=1").without(ExampleKind.GENERAL)).isEqualTo(Mix.parse("single=1"));
        assertThatThrownBy(() -> Mix.parse("general=1").without(ExampleKind.GENERAL)).isInstanceOf(BadInputException.class);
    }

    @Test
    void configRejectsNonsense() {
        In2Config d = In2Config.DEFAULT;
        List<Runnable> bad = List.of(
                () -> d.withContext(5000, 4000),
                () -> d.withExamples(0),
                () -> d.withSegmentation(7, 1024),
                () -> d.withSegmentation(128, 64),
                () -> d.withSegmentation(128, 5000),
                () -> new In2Config(1, 128, 0, 10, Mix.DEFAULT, 128, PromptTemplate.DEFAULT, null, 1),
                () -> d.withMix(null),
                () -> new PromptTemplate("no placeholders"),
                () -> new PromptTemplate("{context} {context} {question}"));
        for (int i = 0; i < bad.size(); i++) {
            assertThatThrownBy(bad.get(i)::run).as("case %d", i).isInstanceOf(BadInputException.class);
        }
        assertThat(d.withTemplate(PromptTemplate.DEFAULT, "").systemMessage()).isNull();
        assertThat(d.withContext(600, 2400).maxDocTokens()).isEqualTo(600);
        // a general share with no general rows, a corpus too small for the contexts
        assertThatThrownBy(() -> new In2Design(store, tokens, config(10, "single=0.5,general=0.5", 1), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new In2Design(store, tokens,
                new In2Config(10, 32, 600, 10_000_000, Mix.parse("single=1"), 256, PromptTemplate.DEFAULT, null, 1), List.of()))
                .isInstanceOf(BadInputException.class).hasMessageContaining("corpus too small");
    }
}
