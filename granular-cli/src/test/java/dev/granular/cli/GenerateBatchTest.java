package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@code granular generate --batch} in process against both batch APIs of {@link FakeLlmServer}. */
class GenerateBatchTest {
    static final ObjectMapper JSON = new ObjectMapper();

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

    GenerateCommandTest.Run generate(String model, int n, String... extra) throws IOException {
        return generate(model, n, true, extra);
    }

    GenerateCommandTest.Run generate(String model, int n, boolean batch, String... extra) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"prompt\":\"question " + i + "\"}");
        }
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, String.join("\n", lines) + "\n");
        List<String> a = new ArrayList<>(List.of("generate", "--in", in.toString(), "--model", model + "@" + server.baseUrl(),
                "--out", tmp.resolve("out").toString(), "--cache", tmp.resolve("c.sqlite").toString(), "--max-tokens", "100"));
        if (batch) {
            a.addAll(List.of("--batch", "--batch-poll", "20ms", "--batch-linger", "100ms"));
        }
        a.addAll(Arrays.asList(extra));
        return GenerateCommandTest.granular(a);
    }

    List<JsonNode> records() throws IOException {
        List<JsonNode> r = new ArrayList<>();
        try (Stream<Path> s = Files.list(tmp.resolve("out/data"))) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                    r.add(JSON.readTree(line));
                }
            }
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai:gpt-4o-mini", "anthropic:claude-haiku-4-5"})
    void everyRowComesFromABatchAndTheRunIsPricedAtBatchPrices(String model) throws Exception {
        GenerateCommandTest.Run r = generate(model, 30, "--batch-size", "12");

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(records()).hasSize(30).allSatisfy(rec -> assertThat(rec.path("messages").toString()).contains("question"));
        assertThat(server.batches().batchesAccepted()).isEqualTo(3);
        assertThat(server.batches().submittedIds()).hasSize(30).doesNotHaveDuplicates();
        assertThat(server.requestsPerPath()).doesNotContainKeys("/v1/chat/completions", "/v1/messages");
        Path journal = tmp.resolve("out/.granular/batches.jsonl");
        assertThat(Files.readAllLines(journal)).filteredOn(l -> l.contains("\"t\":\"submitted\"")).hasSize(3);
        assertThat(Files.readAllLines(journal)).filteredOn(l -> l.contains("\"t\":\"downloaded\"")).hasSize(3);
        assertThat(Files.readAllLines(tmp.resolve("out/.granular/replies.jsonl"))).hasSize(30)
                .allSatisfy(l -> assertThat(JSON.readTree(l).path("batch").asBoolean()).isTrue());

        // granular cost sees them as batch replies, and the manifest's cost is the batch price
        GenerateCommandTest.Run cost = GenerateCommandTest.granular(List.of("cost", tmp.resolve("out").toString(), "--json"));
        assertThat(cost.code()).as(cost.err()).isZero();
        JsonNode m = JSON.readTree(cost.out()).path("steps").get(0).path("models").path(model + "@" + server.baseUrl());
        assertThat(m.path("batch_replies").asLong()).isEqualTo(30);
        assertThat(m.path("realtime_replies").asLong()).isZero();
        assertThat(m.path("batch_usd").asDouble()).isPositive().isEqualTo(m.path("usd").asDouble());
        JsonNode manifest = JSON.readTree(tmp.resolve("out/manifest.json").toFile()).path("cost");
        assertThat(JSON.readTree(tmp.resolve("out/manifest.json").toFile()).path("limits").path("batch").asBoolean()).isTrue();
        assertThat(manifest.path("usd").asDouble()).isCloseTo(m.path("usd").asDouble(), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void theBudgetStopsBeforeABatchThatWouldExceedItAndARerunContinues() throws Exception {
        // gpt-4o-mini at batch prices: a batch of 5 is booked at about 5 x (5 prompt + 100 completion tokens), $0.00015
        GenerateCommandTest.Run first = generate("openai:gpt-4o-mini", 10, "--batch-size", "5", "--max-cost", "0.0002");

        assertThat(first.code()).as(first.err()).isEqualTo(3);
        assertThat(first.err()).contains("--max-cost");
        assertThat(server.batches().batchesAccepted()).isEqualTo(1);
        assertThat(records()).hasSize(5);

        GenerateCommandTest.Run second = generate("openai:gpt-4o-mini", 10, "--batch-size", "5", "--max-cost", "1");

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(records()).hasSize(10);
        assertThat(server.batches().submittedIds()).hasSize(10).doesNotHaveDuplicates();
    }

    @Test
    void aRunStartedInBatchModeResumesInRealTime() throws Exception {
        GenerateCommandTest.Run first = generate("openai:gpt-4o-mini", 10, "--batch-size", "5", "--max-cost", "0.0002");
        assertThat(first.code()).as(first.err()).isEqualTo(3);

        GenerateCommandTest.Run second = generate("openai:gpt-4o-mini", 10, false);

        assertThat(second.code()).as(second.err()).isZero();
        assertThat(records()).hasSize(10);
        assertThat(server.batches().submittedIds()).hasSize(5);
        assertThat(server.requestsPerPath().get("/v1/chat/completions")).isEqualTo(5L); // only the rows the batch did not answer
    }
}
