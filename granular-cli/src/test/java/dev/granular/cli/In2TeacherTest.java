package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code in2 --qa teacher}: questions written by a (fake) teacher model, checked for verbatim
 * evidence, repeats and parse errors, and the run stays reproducible and resumable.
 */
class In2TeacherTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The opening of a text up to the first sentence end after at least 12 characters (the schema wants 8). */
    private static final Pattern FIRST_SENTENCE = Pattern.compile("^(.{12,}?[.!?])(\\s|$)", Pattern.DOTALL);

    @TempDir
    static Path shared;
    static Path corpus;
    static Path general;
    static FakeLlmServer server;
    /** TeacherQuestions.SCHEMA's minLength for "evidence". */
    private static final int SCHEMA_MIN_EVIDENCE = 8;

    @BeforeAll
    static void setUp() throws IOException {
        corpus = In2Fixtures.corpus(shared.resolve("corpus"), 200, 21);
        general = In2Fixtures.general(shared.resolve("general.jsonl"));
        server = FakeLlmServer.start().script(In2TeacherTest::teacher);
    }

    @AfterAll
    static void tearDown() {
        server.close();
    }

    /**
     * A teacher that quotes the first sentence of the passage (or of pieces 1 and 2). About every 5th
     * prompt gets its evidence misquoted, about every 7th an answer in prose instead of JSON (then, asked
     * again, JSON), and questions about the same opening repeat, as a real model's would.
     *
     * <p>Every reply is a function of the request alone, like a model at temperature 0: a fault chosen by
     * arrival order (a counter) would make which candidates a run asks depend on thread timing. And every
     * reply, once re-asked, satisfies the schema: a reply still invalid after the re-asks is, by design,
     * never cached (the report counts it as an {@code invalid} candidate), so a second run sharing the
     * cache would ask for it again. That was this test's flake: a segment cut down to "road." got a
     * 5-character quote, short of the schema's 8, on every re-ask.
     */
    static Reply teacher(ReceivedRequest req) {
        String prompt = req.messages().get(0).content();
        boolean reask = req.messages().size() > 1;
        int h = prompt.hashCode();
        if (!reask && Math.floorMod(h, 7) == 0) {
            return Reply.text("Sure! Here is a question about the passage.");
        }
        List<String> quotes = new ArrayList<>();
        if (prompt.contains("Passage:\n")) {
            quotes.add(first(prompt.substring(prompt.indexOf("Passage:\n") + 9)));
        } else {
            for (int p = 1; p <= 2; p++) {
                int at = prompt.indexOf("Piece " + p + ":\n");
                int end = prompt.indexOf("\n\nPiece " + (p + 1) + ":", at);
                quotes.add(first(prompt.substring(at + ("Piece " + p + ":\n").length(), end < 0 ? prompt.length() : end)));
            }
        }
        String evidence = String.join("\n", quotes);
        if (Math.floorMod(h / 7, 5) == 0 || evidence.length() < SCHEMA_MIN_EVIDENCE) {
            // Misquoted, and a passage too short to quote 8 characters of gets a longer, made-up quote: either way
            // valid JSON (cached) that the evidence check rejects.
            evidence = evidence.toUpperCase() + " (paraphrased)";
        }
        String[] words = quotes.get(0).split("\\s+");
        String question = "What is said right after the words '" + String.join(" ", List.of(words).subList(0, Math.min(4, words.length)))
                + "'?";
        var reply = Map.of("question", question, "answer", "It says: " + quotes.get(0), "evidence", evidence);
        try {
            return Reply.text(JSON.writeValueAsString(reply));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String first(String text) {
        Matcher m = FIRST_SENTENCE.matcher(text.strip());
        return m.find() ? m.group(1) : text.strip();
    }

    private List<String> teacherArgs(Path out, Path cache, String... extra) {
        List<String> extras = new ArrayList<>(List.of("--qa", "teacher", "--teacher", "openai:fake-teacher@" + server.baseUrl(),
                "--cache", cache.toString(), "--teacher-concurrency", "8"));
        extras.addAll(List.of(extra));
        return in2(corpus, general, out, extras.toArray(String[]::new));
    }

    @Test
    void teacherQuestionsAreGroundedUniqueAndCounted() throws IOException {
        Path out = shared.resolve("t1");
        Path cache = shared.resolve("cache1.sqlite");
        In2Fixtures.Run run = granular(teacherArgs(out, cache));
        assertThat(run.code()).as(run.all()).isZero();

        List<TrainingRecord> records = RecordReader.readAll(out);
        List<TrainingRecord> byTeacher = records.stream().filter(r -> r.meta().get("teacher") != null).toList();
        assertThat(byTeacher).isNotEmpty();
        assertThat(byTeacher).allSatisfy(r -> {
            assertThat((String) r.meta().get("qa_kind")).startsWith("teacher_");
            String user = r.messages().stream().filter(m -> m.role() == dev.granular.record.Role.USER).findFirst().orElseThrow().content();
            // Every evidence span cuts out exactly its evidence line, in code points.
            String[] lines = ((String) r.meta().get("evidence")).split("\n");
            @SuppressWarnings("unchecked")
            List<List<Number>> spans = (List<List<Number>>) r.meta().get("evidence_spans");
            assertThat(spans).hasSize(lines.length);
            int[] cps = user.codePoints().toArray();
            for (int i = 0; i < lines.length; i++) {
                String cut = new String(cps, spans.get(i).get(0).intValue(), spans.get(i).get(1).intValue() - spans.get(i).get(0).intValue());
                assertThat(cut).isEqualTo(lines[i]);
            }
        });
        assertThat(byTeacher).anySatisfy(r -> assertThat(r.meta().get("qa_kind")).isEqualTo("teacher_multi"));
        Set<String> questions = new HashSet<>();
        for (TrainingRecord r : byTeacher) {
            assertThat(questions.add(((String) r.meta().get("question")).toLowerCase())).as("repeated question").isTrue();
        }
        JsonNode summary = JSON.readTree(out.resolve("report/summary.json").toFile());
        JsonNode rejected = summary.path("teacher").path("rejected_candidates");
        assertThat(rejected.path("evidence").asLong()).isPositive();
        assertThat(summary.path("teacher").path("questions").asLong()).isEqualTo(byTeacher.size());
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.path("teacher").path("model").asText()).startsWith("openai:fake-teacher@");
    }

    @Test
    void sameSeedSameDataWhateverTheThreadsAndARerunSendsNothing() throws IOException {
        Path cache = shared.resolve("cache2.sqlite");
        Path a = shared.resolve("t2a");
        Path b = shared.resolve("t2b");
        int start = server.requests().size();
        assertThat(granular(teacherArgs(a, cache, "--threads", "1")).code()).isZero();
        int before = server.requests().size();
        List<ReceivedRequest> firstRun = server.requests().subList(start, before);
        // The premise of "served from the cache": no candidate of the first run ended without a cacheable reply
        // (invalid after the re-asks, or failed after the retries); such a candidate is asked again by design.
        JsonNode rejected = JSON.readTree(a.resolve("report/summary.json").toFile()).path("teacher").path("rejected_candidates");
        assertThat(rejected.path("invalid").asLong() + rejected.path("failed").asLong())
                .as("candidates of the first run that no cache keeps: %s", rejected).isZero();

        assertThat(granular(teacherArgs(b, cache, "--threads", "3")).code()).isZero();
        assertThat(server.requests().size()).as(() -> "the second run is served from the cache, yet it sent:\n"
                + describe(server.requests().subList(before, server.requests().size()), firstRun)).isEqualTo(before);
        assertThat(Files.readString(b.resolve("data/part-00000.jsonl"))).isEqualTo(Files.readString(a.resolve("data/part-00000.jsonl")));

        In2Fixtures.Run again = granular(teacherArgs(a, cache, "--threads", "1"));
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("already complete");
        assertThat(server.requests().size()).as(() -> "a finished run rerun sends nothing, yet it sent:\n"
                + describe(server.requests().subList(before, server.requests().size()), firstRun)).isEqualTo(before);
    }

    /**
     * One line per request in {@code sent}: its number, its messages (1 for a first ask, more for a re-ask of an invalid
     * reply), how often {@code earlier} asked the same prompt, and the opening of its passage. The wire holds no
     * candidate number, so the count tells apart a prompt never asked before from one asked as another candidate.
     */
    private static String describe(List<ReceivedRequest> sent, List<ReceivedRequest> earlier) {
        StringBuilder sb = new StringBuilder();
        for (ReceivedRequest r : sent) {
            String prompt = r.messages().get(0).content();
            long times = earlier.stream().filter(e -> e.promptKey().equals(r.promptKey())).count();
            int at = prompt.contains("Passage:\n") ? prompt.indexOf("Passage:\n") + 9 : Math.max(0, prompt.indexOf("Piece 1:\n"));
            String opening = prompt.substring(at, Math.min(prompt.length(), at + 100)).replace("\n", "\\n");
            sb.append("  #").append(r.seq()).append(" messages=").append(r.messages().size()).append(" asked by the first run ")
                    .append(times).append("x: ").append(opening).append('\n');
        }
        return sb.toString();
    }

    @Test
    void aTeacherIsRequiredAndItsKeyChecked() {
        In2Fixtures.Run noTeacher = granular(in2(corpus, general, shared.resolve("t3"), "--qa", "teacher"));
        assertThat(noTeacher.code()).isEqualTo(2);
        assertThat(noTeacher.err()).contains("--teacher");
        In2Fixtures.Run noKey = granular(in2(corpus, general, shared.resolve("t4"), "--qa", "teacher", "--teacher",
                "openai:gpt-4o-mini", "--api-key-env", "GRANULAR_TEST_SURELY_UNSET_KEY"));
        assertThat(noKey.code()).isEqualTo(2);
        assertThat(noKey.err()).contains("GRANULAR_TEST_SURELY_UNSET_KEY");
        assertThat(shared.resolve("t4")).doesNotExist();
    }

    @Test
    void aBudgetStopsTheRunResumably() throws IOException {
        Path out = shared.resolve("t5");
        Path cache = shared.resolve("cache5.sqlite");
        List<String> args = in2(corpus, general, out, "--qa", "teacher", "--teacher", "openai:gpt-4o-mini@" + server.baseUrl(),
                "--cache", cache.toString(), "--max-cost", "0.0005", "--teacher-concurrency", "2");
        In2Fixtures.Run run = granular(args);
        assertThat(run.code()).as(run.all()).isEqualTo(3);
        assertThat(run.err()).contains("--max-cost");
        assertThat(out.resolve("manifest.json")).doesNotExist();

        List<String> more = new ArrayList<>(args);
        more.set(more.indexOf("0.0005"), "100");
        In2Fixtures.Run resumed = granular(more);
        assertThat(resumed.code()).as(resumed.all()).isZero();
        assertThat(RecordReader.readAll(out)).hasSize(40);
    }

    @Test
    void aDryRunCountsTheTeacherQuestionsAndWritesNothing() throws IOException {
        Path out = shared.resolve("dry");
        long before = server.totalRequests();
        In2Fixtures.Run r = granular(teacherArgs(out, shared.resolve("dry.sqlite"), "--dry-run-json"));

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out).doesNotExist();
        assertThat(server.totalRequests()).isEqualTo(before);
        JsonNode e = JSON.readTree(r.out());
        // 40 examples: single 20 + short 8 ask about one segment, multi 8 about a document; general 4 ask nothing
        assertThat(e.path("lines").get(0).path("step").asText()).isEqualTo("teacher questions (single)");
        assertThat(e.path("lines").get(0).path("requests").asLong()).isEqualTo(28);
        assertThat(e.path("lines").get(1).path("requests").asLong()).isEqualTo(8);
        assertThat(e.path("lines").get(0).path("prompt_tokens_exact").asBoolean()).isFalse();
        assertThat(e.path("lines").get(0).path("completion_tokens").asLong()).isEqualTo(28 * 1024);

        In2Fixtures.Run missing = granular(in2(shared.resolve("no-such-corpus"), general, out, "--qa", "teacher",
                "--teacher", "openai:fake-teacher@" + server.baseUrl(), "--dry-run"));
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("no-such-corpus");

        In2Fixtures.Run none = granular(in2(corpus, general, out, "--dry-run"));
        assertThat(none.code()).as(none.err()).isZero();
        assertThat(none.out()).contains("no model calls");
        assertThat(out).doesNotExist();
    }
}
