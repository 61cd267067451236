package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code granular generate} in a child JVM: killed with SIGKILL mid-run, and run with a key in its environment. */
class GenerateResumeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sk-test-SECRET123";

    @TempDir
    Path tmp;

    FakeLlmServer server;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    Process child(Path log, Map<String, String> env, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Granular.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static int granular(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args.toArray(String[]::new));
        assertThat(code).as(out + "\n" + err).isZero();
        return code;
    }

    Path prompts(int n) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"id\":\"r").append(i).append("\",\"prompt\":\"question ").append(i).append("\"}\n");
        }
        Path p = tmp.resolve("in.jsonl");
        Files.writeString(p, sb);
        return p;
    }

    static long lines(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void ctrlCExits130AndSaysARerunResumes() throws Exception {
        server.script(r -> Reply.text("answer to " + r.lastUserMessage()).delay(Duration.ofMillis(50)));
        Path in = prompts(400);
        Path out = tmp.resolve("out");
        Path journal = out.resolve(".granular").resolve("journal.jsonl");
        Path log = tmp.resolve("child.log");
        Process p = child(log, Map.of(), List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", out.toString(), "--no-cache", "--concurrency", "4"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lines(journal) < 10 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(p.isAlive()).as("still running; log: %s", Files.readString(log)).isTrue();
        // SIGINT is what Ctrl-C sends
        assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor()).isZero();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(Files.readString(log)).contains("granular: interrupted; rerun the same command to resume");
    }

    @Test
    void killedWithSigkillTheSameCommandCompletesWithoutAskingTwice() throws Exception {
        int rows = 400;
        int concurrency = 8;
        server.script(r -> Reply.text("answer to " + r.lastUserMessage()).delay(Duration.ofMillis(50)));
        Path in = prompts(rows);
        Path out = tmp.resolve("out");
        List<String> args = List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", out.toString(), "--no-cache", "--concurrency", String.valueOf(concurrency));
        Path journal = out.resolve(".granular").resolve("journal.jsonl");

        Process p = child(tmp.resolve("child.log"), Map.of(), args);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lines(journal) < 40 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(p.isAlive()).as("still running when killed; log: %s", Files.readString(tmp.resolve("child.log"))).isTrue();
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long firstRun = server.totalRequests();
        assertThat(firstRun).isLessThan(rows);
        assertThat(out.resolve("manifest.json")).doesNotExist();

        granular(args);

        List<String> ids = new ArrayList<>();
        long recordTokens = 0;
        try (Stream<Path> s = Files.list(out.resolve("data"))) {
            for (Path shard : s.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(shard)) {
                    JsonNode rec = JSON.readTree(line);
                    ids.add(rec.path("id").asText());
                    JsonNode usage = rec.path("meta").path("generation").path("usage");
                    recordTokens += usage.path("prompt_tokens").asLong() + usage.path("completion_tokens").asLong();
                    String prompt = rec.path("messages").get(0).path("content").asText();
                    assertThat(rec.path("messages").get(1).path("content").asText()).isEqualTo("answer to " + prompt);
                }
            }
        }
        assertThat(ids).hasSize(rows);
        assertThat(new HashSet<>(ids)).hasSize(rows);

        Map<String, Long> perPrompt = server.requests().stream().collect(Collectors.groupingBy(ReceivedRequest::lastUserMessage,
                TreeMap::new, Collectors.counting()));
        assertThat(perPrompt).hasSize(rows);
        long repeated = perPrompt.values().stream().filter(c -> c > 1).count();
        assertThat(perPrompt.values()).allSatisfy(c -> assertThat(c).isBetween(1L, 2L));
        // only requests in flight at the kill (at most --concurrency of them) may have been asked again
        assertThat(repeated).isLessThanOrEqualTo(concurrency);
        assertThat(server.totalRequests()).isLessThanOrEqualTo(rows + concurrency);

        // Issue 11.4: the killed attempt's spend is part of the run's: every reply in the records was paid for once,
        // by one attempt or the other, and the manifest counts them all (it used to count the last attempt only).
        JsonNode cost = JSON.readTree(out.resolve("manifest.json").toFile()).path("cost");
        assertThat(cost.path("billable").asLong()).isBetween((long) rows, server.totalRequests());
        assertThat(cost.path("prompt_tokens").asLong() + cost.path("completion_tokens").asLong())
                .isGreaterThanOrEqualTo(recordTokens);

        long before = server.totalRequests();
        granular(args);
        assertThat(server.totalRequests()).as("a finished job sends nothing").isEqualTo(before);
    }

    @Test
    void theKeyNeverReachesTheOutputsTheCacheOrTheMessages() throws Exception {
        server.script(r -> switch (r.lastUserMessage()) {
            case "question 1" -> Reply.status(400).message("bad request from key " + KEY);
            default -> Reply.text("fine");
        });
        Path in = prompts(3);
        Path out = tmp.resolve("out");
        Path log = tmp.resolve("child.log");
        List<String> args = List.of("generate", "--in", in.toString(), "--model", "openai:test@" + server.baseUrl(),
                "--out", out.toString(), "--cache", tmp.resolve("c.sqlite").toString(), "--max-retries", "0");

        Process p = child(log, Map.of("OPENAI_API_KEY", KEY), args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(log)).isEqualTo(3);
        assertThat(server.requests()).allSatisfy(r -> assertThat(r.header("authorization")).contains("Bearer " + KEY));

        server.script(r -> Reply.status(401).message("Incorrect API key provided: " + KEY));
        Process auth = child(tmp.resolve("auth.log"), Map.of("OPENAI_API_KEY", KEY), args);
        assertThat(auth.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(auth.exitValue()).isEqualTo(1);
        assertThat(Files.readString(tmp.resolve("auth.log"))).contains("OPENAI_API_KEY");

        List<Path> files;
        try (Stream<Path> s = Files.walk(tmp)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).extracting(f -> f.getFileName().toString()).contains("manifest.json", "failed.jsonl", "c.sqlite");
        for (Path f : files) {
            assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain("SECRET123");
        }
        Set<String> names = new HashSet<>();
        files.forEach(f -> names.add(f.getFileName().toString()));
        assertThat(names).contains("child.log", "auth.log");
    }
}
