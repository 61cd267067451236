package dev.granular.cli;

import static dev.granular.cli.RunCommandTest.example;
import static dev.granular.cli.RunCommandTest.granular;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two teacher recipes of examples/ against the in-process fake server, the base URLs overridden with --set. */
class RecipeExamplesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SHOP = Pattern.compile("sells (\\d+) boxes with (\\d+) pencils");

    @TempDir
    Path tmp;

    @Test
    void filmMixRunsAgainstALocalServer() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(In2TeacherTest::teacher)) {
            Path out = tmp.resolve("film");
            RunCommandTest.Run r = granular("run", example("film-mix.yaml").toString(), "--out", out.toString(),
                    "--set", "sources.general=" + example("data/general.jsonl"),
                    "--set", "long.teacher=openai:fake-teacher@" + server.baseUrl(),
                    "--set", "long.cache=" + tmp.resolve("c.sqlite"),
                    "--set", "long.examples=24", "--set", "long.min-tokens=600", "--set", "long.max-tokens=2000",
                    "--set", "long.segment-tokens=32", "--set", "long.max-doc-tokens=256");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(server.totalRequests()).isPositive();
            JsonNode mix = JSON.readTree(out.resolve("mix/report/mix.json").toFile());
            long longRows = mix.path("components").path("long").path("taken").asLong();
            long general = mix.path("components").path("general").path("taken").asLong();
            assertThat(longRows).isPositive();
            // the paper's 200K of 1.75M, within one row of rounding
            assertThat((double) general / (longRows + general)).isCloseTo(0.1143, org.assertj.core.data.Offset.offset(1.0 / (longRows + general)));
            assertThat(out.resolve("deliveries/trl/manifest.json")).exists();
        }
    }

    /** A student right on even box counts, a teacher that always verifies and corrects, a distill teacher that multiplies. */
    static Reply reasoning(ReceivedRequest r) {
        Matcher m = SHOP.matcher(r.messages().stream().map(x -> x.content()).reduce("", String::concat));
        long a = 0;
        long right = 0;
        if (m.find()) {
            a = Long.parseLong(m.group(1));
            right = a * Long.parseLong(m.group(2));
        }
        return switch (r.model()) {
            case "student" -> Reply.text("Boxes times pencils.\n#### " + (a % 2 == 0 ? right : right + 1));
            case "teacher" -> Reply.text(r.lastUserMessage().contains("reaches the right result")
                    ? "{\"verification\": \"Multiplying again gives the same; it holds.\"}"
                    : "{\"verification\": \"The product is off.\", \"correction\": \"Boxes times pencils.\\n#### " + right + "\"}");
            default -> Reply.text("Multiply the boxes by the pencils per box.\nFinal answer: " + right);
        };
    }

    @Test
    void reasoningMixRunsAgainstALocalServer() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(RecipeExamplesTest::reasoning)) {
            Path out = tmp.resolve("reasoning");
            String url = server.baseUrl();
            RunCommandTest.Run r = granular("run", example("reasoning-mix.yaml").toString(), "--out", out.toString(),
                    "--set", "sources.tasks=" + example("data/reasoning-tasks.jsonl"),
                    "--set", "erased.teacher=openai:distiller@" + url, "--set", "erased.cache=" + tmp.resolve("c.sqlite"),
                    "--set", "corrected.student=openai:student@" + url, "--set", "corrected.teacher=openai:teacher@" + url,
                    "--set", "corrected.cache=" + tmp.resolve("c.sqlite"));
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode mix = JSON.readTree(out.resolve("mix/report/mix.json").toFile());
            assertThat(mix.path("components").path("erased").path("taken").asLong()).isPositive();
            assertThat(mix.path("components").path("corrected").path("taken").asLong())
                    .isEqualTo(mix.path("components").path("erased").path("taken").asLong());
            assertThat(out.resolve("deliveries/openai/manifest.json")).exists();
            assertThat(Files.readString(out.resolve("mix/README.md"))).contains("erased").contains("corrected");
        }
    }

    @Test
    void everyExampleChecks() {
        assertThat(granular("run", "--check", example("quickstart.yaml").toString(),
                "--set", "sources.general=" + example("data/general.jsonl")).code()).isZero();
        assertThat(granular("run", "--check", example("film-mix.yaml").toString(),
                "--set", "sources.general=" + example("data/general.jsonl")).code()).isZero();
        assertThat(granular("run", "--check", example("reasoning-mix.yaml").toString(),
                "--set", "sources.tasks=" + example("data/reasoning-tasks.jsonl")).code()).isZero();
    }

    @Test
    void aStepStoppedByItsBudgetResumesOnTheNextRun() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(In2TeacherTest::teacher)) {
            Path out = tmp.resolve("film");
            List<String> args = new java.util.ArrayList<>(List.of("run", example("film-mix.yaml").toString(), "--out", out.toString(),
                    "--set", "sources.general=" + example("data/general.jsonl"),
                    "--set", "long.teacher=openai:gpt-4o-mini@" + server.baseUrl(), "--set", "long.no-cache=true",
                    "--set", "long.examples=24", "--set", "long.min-tokens=600", "--set", "long.max-tokens=2000",
                    "--set", "long.segment-tokens=32", "--set", "long.max-doc-tokens=256", "--set", "long.teacher-concurrency=2"));
            List<String> stopped = new java.util.ArrayList<>(args);
            stopped.addAll(List.of("--set", "long.max-cost=0.002"));
            RunCommandTest.Run first = granular(stopped.toArray(String[]::new));
            assertThat(first.code()).as(first.err()).isEqualTo(3);
            assertThat(out.resolve("steps/long/manifest.json")).doesNotExist();
            assertThat(out.resolve("mix")).doesNotExist();
            long paid = server.totalRequests();
            assertThat(paid).isPositive();

            // No budget: the same key (a budget never changes the data), so the step continues where it stopped.
            RunCommandTest.Run second = granular(args.toArray(String[]::new));
            assertThat(second.code()).as(second.err()).isZero();
            assertThat(second.err()).contains("steps.long: resume (interrupted)");
            // Whether the first attempt got as far as writing an example depends on timing; what must hold
            // is that its paid replies carried over: none is paid again, and the step's spend counts them.
            com.fasterxml.jackson.databind.JsonNode cost = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(out.resolve("steps/long/manifest.json").toFile()).path("teacher").path("usage");
            assertThat(cost.path("earlier_attempts").path("billable").asLong()).isEqualTo(paid);
            assertThat(cost.path("billable").asLong()).isEqualTo(server.totalRequests());
            assertThat(out.resolve("mix/manifest.json")).exists();
        }
    }

    @Test
    void aTeacherStepWritesExactlyWhatItsCommandWrites() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(RecipeExamplesTest::reasoning)) {
            Path tasks = example("data/reasoning-tasks.jsonl");
            Path recipe = tmp.resolve("distill.yaml");
            Files.writeString(recipe, """
                    out: %s
                    steps:
                      erased:
                        command: distill
                        tasks: %s
                        teacher: openai:distiller@%s
                        calibration: 4
                        require-correct: true
                        no-cache: true
                    """.formatted(tmp.resolve("r"), tasks, server.baseUrl()));
            RunCommandTest.Run r = granular("run", recipe.toString());
            assertThat(r.code()).as(r.err()).isZero();
            RunCommandTest.Run c = granular("distill", "--tasks", tasks.toString(), "--teacher", "openai:distiller@" + server.baseUrl(),
                    "--calibration", "4", "--require-correct", "--no-cache", "--out", tmp.resolve("cmd").toString());
            assertThat(c.code()).as(c.err()).isZero();
            assertThat(RunCommandTest.files(tmp.resolve("r/steps/erased/data"))).isNotEmpty()
                    .isEqualTo(RunCommandTest.files(tmp.resolve("cmd/data")));
        }
    }

    @Test
    void aDryRunShowsEachTeacherStepsOwnEstimateAndWritesNothing() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(RecipeExamplesTest::reasoning)) {
            Path out = tmp.resolve("reasoning");
            String url = server.baseUrl();
            RunCommandTest.Run r = granular("run", "--dry-run", example("reasoning-mix.yaml").toString(), "--out", out.toString(),
                    "--set", "sources.tasks=" + example("data/reasoning-tasks.jsonl"),
                    "--set", "erased.teacher=openai:gpt-4o-mini@" + url, "--set", "erased.no-cache=true",
                    "--set", "corrected.student=openai:student@" + url, "--set", "corrected.teacher=openai:teacher@" + url,
                    "--set", "corrected.no-cache=true");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).containsPattern("run\\s+steps.erased\\s+new").containsPattern("run\\s+steps.corrected\\s+new")
                    .contains("requests").contains("gpt-4o-mini");
            assertThat(server.totalRequests()).isZero();
            assertThat(out).doesNotExist();
        }
    }
    @Test
    void aTeacherStepRunsThroughTheBatchApiAndSwitchingBatchOffDoesNotRedoIt() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start().script(RecipeExamplesTest::reasoning)) {
            Path tasks = example("data/reasoning-tasks.jsonl");
            Path recipe = tmp.resolve("batch.yaml");
            Files.writeString(recipe, """
                    out: %s
                    steps:
                      erased:
                        command: distill
                        tasks: %s
                        teacher: openai:gpt-4o-mini@%s
                        calibration: 4
                        no-cache: true
                        batch: true
                        batch-poll: 20ms
                        batch-linger: 100ms
                    """.formatted(tmp.resolve("r"), tasks, server.baseUrl()));
            RunCommandTest.Run r = granular("run", recipe.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(server.batches().batchesAccepted()).isPositive();
            long sent = server.totalRequests();
            List<String> submitted = server.batches().submittedIds();
            assertThat(submitted).doesNotHaveDuplicates();
            JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tmp.resolve("r/steps/erased/manifest.json").toFile());
            assertThat(manifest.path("limits").path("batch").asBoolean()).isTrue();

            // The same step without batch: a batch setting never changes the data, so nothing reruns or is paid again.
            RunCommandTest.Run again = granular("run", recipe.toString(), "--set", "erased.batch=false");
            assertThat(again.code()).as(again.err()).isZero();
            assertThat(again.out()).contains("(0 run, 1 unchanged)");
            assertThat(server.totalRequests()).isEqualTo(sent);
        }
    }
}
