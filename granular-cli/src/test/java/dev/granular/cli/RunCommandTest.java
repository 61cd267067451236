package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular run}: the quickstart recipe end to end, reruns, byte-identity with the command, --check, --dry-run. */
class RunCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run granular(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    /** The repository root (tests run in the module folder). */
    static Path root() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("examples")) ? here : here.getParent();
    }

    static Path example(String name) {
        return root().resolve("examples").resolve(name);
    }

    Run quickstart(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("run", example("quickstart.yaml").toString(), "--out", out.toString(),
                "--set", "sources.general=" + example("data/general.jsonl")));
        a.addAll(Arrays.asList(extra));
        return granular(a.toArray(String[]::new));
    }

    static String files(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                sb.append(p.getFileName()).append('\n').append(Files.readString(p));
            }
        }
        return sb.toString();
    }

    @Test
    void quickstartRunsEndToEndAndARerunSkipsEverything() throws IOException {
        Path out = tmp.resolve("q");
        Run r = quickstart(out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("steps/long/manifest.json")).exists();
        assertThat(out.resolve("mix/manifest.json")).exists();
        assertThat(out.resolve("mix/data/train-00000.jsonl")).exists();
        assertThat(out.resolve("mix/data/validation-00000.jsonl")).exists();
        assertThat(Files.readString(out.resolve("mix/README.md"))).contains("long").contains("general").contains("## Recipe");
        assertThat(out.resolve("mix/recipe.yaml")).exists();
        assertThat(out.resolve("mix/report/index.html")).exists();
        assertThat(out.resolve("deliveries/trl/manifest.json")).exists();
        JsonNode mixJson = JSON.readTree(out.resolve("mix/report/mix.json").toFile());
        long taken = mixJson.path("components").path("long").path("taken").asLong();
        long general = mixJson.path("components").path("general").path("taken").asLong();
        assertThat(taken).isEqualTo(60);
        assertThat(general).isEqualTo(15);
        JsonNode state = JSON.readTree(out.resolve(".granular/recipe-state.json").toFile()).path("units");
        assertThat(state.properties()).extracting(java.util.Map.Entry::getKey).containsExactly("steps.long", "mix", "deliveries.trl");
        state.forEach(u -> assertThat(u.path("done").asBoolean()).isTrue());

        FileTime mixTime = Files.getLastModifiedTime(out.resolve("mix/data/train-00000.jsonl"));
        String mixBytes = files(out.resolve("mix/data"));
        Run again = quickstart(out);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("steps.long: skipped").contains("mix: skipped").contains("deliveries.trl: skipped");
        assertThat(Files.getLastModifiedTime(out.resolve("mix/data/train-00000.jsonl"))).isEqualTo(mixTime);

        // An unfinished mix is made again even when the recipe's text changed in ways that change no key.
        Path stateFile = out.resolve(".granular/recipe-state.json");
        Files.writeString(stateFile, Files.readString(stateFile).replaceAll("\"done\" : true", "\"done\" : false"));
        Run unfinished = quickstart(out, "--set", "long.threads=1");
        assertThat(unfinished.code()).as(unfinished.err()).isZero();
        assertThat(unfinished.err()).contains("mix: resume");
        assertThat(files(out.resolve("mix/data"))).isEqualTo(mixBytes);

        // A changed mix redoes the mix and the delivery, not the step.
        Run dry = quickstart(out, "--set", "mix.seed=7", "--dry-run");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.out()).containsPattern("skip\\s+steps.long").containsPattern("rerun\\s+mix\\s+its options changed")
                .containsPattern("rerun\\s+deliveries.trl\\s+mix is redone");
        Run changed = quickstart(out, "--set", "mix.seed=7");
        assertThat(changed.code()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("steps.long: skipped").contains("mix: rerun").contains("deliveries.trl: rerun");
        assertThat(files(out.resolve("mix/data"))).isNotEqualTo(mixBytes);
        assertThat(JSON.readTree(out.resolve("mix/report/mix.json").toFile()).path("seed").asLong()).isEqualTo(7);
    }

    @Test
    void aStepWritesExactlyWhatItsCommandWrites() throws IOException {
        Path out = tmp.resolve("q");
        Run r = quickstart(out, "--set", "long.examples=30", "--set", "mix.components.long.count=30",
                "--set", "mix.components.long.share=null");
        assertThat(r.code()).as(r.err()).isZero();
        Path cmd = tmp.resolve("cmd");
        Run c = granular("in2", "--out", cmd.toString(), "--examples", "30", "--min-tokens", "1024", "--max-tokens", "4096",
                "--mix", "single=0.7,multi=0.3", "--seed", "42", "--tokenizer", "o200k_base");
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(files(out.resolve("steps/long/data"))).isEqualTo(files(cmd.resolve("data")));
    }

    @Test
    void checkNamesEveryProblemWithItsLine() throws IOException {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, """
                out: %s
                model:
                  tokenizer: o200k_base
                stepz: {}
                steps:
                  long:
                    command: in2
                    exampels: 10
                    corpus: no/such/corpus
                  other:
                    command: erase
                    in: ${steps.later}
                mix:
                  components:
                    long: {from: long, share: 0.5}
                    x: {from: nowhere, share: 0.5}
                deliveries:
                  sft: {format: trll}
                """.formatted(tmp.resolve("o")));
        Run r = granular("run", "--check", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad + ":4: unknown key 'stepz'")
                .contains(bad + ":8: steps.long: unknown option 'exampels' for granular in2 (did you mean examples?)")
                .contains(bad + ":9: steps.long: corpus: no such file or folder 'no/such/corpus'")
                .contains(bad + ":12: ${steps.later}: no earlier step is named later")
                .contains(bad + ":16: mix component x: 'nowhere' is not a step")
                .contains(bad + ":18: delivery sft: unknown format 'trll'");
        assertThat(tmp.resolve("o")).doesNotExist();

        Path good = tmp.resolve("good.yaml");
        Files.writeString(good, "out: " + tmp.resolve("o") + "\nsteps:\n  long: {command: in2, examples: 10}\n");
        Run ok = granular("run", "--check", good.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("is valid: 1 step");
        Run tokens = granular("run", "--check", good.toString(), "--set", "deliveries.t.format=tokens", "--set", "deliveries.t.in=" + good);
        assertThat(tokens.code()).isEqualTo(2);
        assertThat(tokens.err()).contains("format tokens needs a tokenizer folder");
        Run typed = granular("run", "--check", good.toString(), "--set", "long.examples=many");
        assertThat(typed.code()).isEqualTo(2);
        assertThat(typed.err()).contains("good.yaml:3: steps.long (granular in2)").contains("many");
    }

    @Test
    void saveRecipeRoundTripsAnIn2CommandLine() throws IOException {
        Path cmd = tmp.resolve("cmd");
        Path saved = tmp.resolve("in2.yaml");
        Run c = granular("in2", "--out", cmd.toString(), "--examples", "20", "--min-tokens", "1024", "--max-tokens", "4096",
                "--mix", "single=0.7,multi=0.3", "--threads", "2", "--save-recipe", saved.toString());
        assertThat(c.code()).as(c.err()).isZero();
        String text = Files.readString(saved);
        assertThat(text).contains("out: " + cmd + "-run").contains("command: in2").contains("examples:").doesNotContain("save-recipe:");
        Run r = granular("run", saved.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(files(tmp.resolve("cmd-run/steps/in2/data"))).isEqualTo(files(cmd.resolve("data")));
        Run again = granular("run", saved.toString());
        assertThat(again.err()).contains("steps.in2: skipped");
    }

    @Test
    void aChangedStepRedoesItAndWhatReadsItOnlyAndAnInterruptedOneResumes() throws IOException {
        Path recipe = tmp.resolve("two.yaml");
        Files.writeString(recipe, """
                out: %s
                steps:
                  a: {command: in2, examples: 20, min-tokens: 1024, max-tokens: 2048, mix: "single=1"}
                  b: {command: in2, examples: 20, min-tokens: 1024, max-tokens: 2048, mix: "multi=1", seed: 3}
                  c: {command: erase, in: "${steps.b}"}
                mix:
                  validation: 0
                  components:
                    a: {from: a, count: 10}
                    b: {from: c, count: 10}
                """.formatted(tmp.resolve("o")));
        Run first = granular("run", recipe.toString());
        assertThat(first.code()).as(first.err()).isZero();
        String b = files(tmp.resolve("o/steps/b/data"));

        Run changed = granular("run", recipe.toString(), "--set", "a.seed=9");
        assertThat(changed.code()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("steps.a: rerun (its options changed)").contains("steps.b: skipped")
                .contains("steps.c: skipped").contains("mix: rerun (steps.a is redone)");
        assertThat(files(tmp.resolve("o/steps/b/data"))).isEqualTo(b);
        assertThat(JSON.readTree(tmp.resolve("o/steps/a/manifest.json").toFile()).path("seed").asLong()).isEqualTo(9);

        // A step whose own options are unchanged but whose input step was redone is redone too (its command alone
        // would find its folder complete: same options), with the new input.
        String c = files(tmp.resolve("o/steps/c/data"));
        Run upstream = granular("run", recipe.toString(), "--set", "a.seed=9", "--set", "b.seed=4");
        assertThat(upstream.code()).as(upstream.err()).isZero();
        assertThat(upstream.err()).contains("steps.a: skipped").contains("steps.b: rerun (its options changed)")
                .contains("steps.c: rerun (steps.b is redone)");
        assertThat(files(tmp.resolve("o/steps/c/data"))).isNotEqualTo(c);

        // An interrupted step (recorded as started, not finished) is continued by its command, not redone.
        Path state = tmp.resolve("o/.granular/recipe-state.json");
        Files.writeString(state, Files.readString(state).replaceFirst("\"done\" : true", "\"done\" : false"));
        Run resumed = granular("run", recipe.toString(), "--set", "a.seed=9", "--set", "b.seed=4");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("steps.a: resume (not recorded as finished)").contains("steps.b: skipped").contains("mix: skipped");
        assertThat(resumed.out()).contains("already complete");
    }

    @Test
    void theTargetModelIsNamedOnceAndReachesTheStepsTheMixReportAndTokenDeliveries() throws IOException {
        Path qwen3 = ExportCommandTest.qwen3();
        Path out = tmp.resolve("q");
        Run r = quickstart(out, "--set", "model.tokenizer=" + qwen3, "--set", "long.examples=20",
                "--set", "deliveries.tokens.format=tokens", "--set", "deliveries.tokens.tokens-format=jsonl");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(JSON.readTree(out.resolve("steps/long/manifest.json").toFile()).path("tokenizer").asText()).isNotEqualTo("o200k_base");
        assertThat(Files.readString(out.resolve("mix/report/mix-stats.json"))).contains("rendered with the chat template");
        assertThat(out.resolve("deliveries/tokens/manifest.json")).exists();
        assertThat(Files.readString(out.resolve("deliveries/tokens/manifest.json"))).contains("qwen3");
    }
}
