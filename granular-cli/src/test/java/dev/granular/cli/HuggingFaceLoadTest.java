package dev.granular.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.files.HubCard;
import dev.granular.report.MixReport;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command's output folder loads with Hugging Face {@code datasets.load_dataset(DIR)} as it is, checked
 * twice: in Java (the card's front matter parses and its {@code data_files} globs name exactly the data
 * files) and with the real library ({@code scripts/hf_load_check.py} in the Python of
 * {@code GRANULAR_HF_PYTHON}, else {@code .hf-venv/bin/python} made by {@code scripts/hf-venv}; the
 * Python half is skipped, saying so, when neither exists).
 */
class HuggingFaceLoadTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ITEM = Pattern.compile("item (\\d+)");

    @TempDir
    static Path tmp;
    static FakeLlmServer server;
    /** Output folder by command. */
    static final Map<String, Path> OUTPUTS = new LinkedHashMap<>();

    static void granular(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Granular.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        assertThat(code).as(String.join(" ", args) + "\n" + err).isZero();
    }

    static Path write(String name, List<String> lines) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, lines);
        return p;
    }

    @BeforeAll
    static void runEveryCommand() throws IOException {
        server = FakeLlmServer.start().script(r -> {
            String user = r.lastUserMessage();
            Matcher m = ITEM.matcher(user);
            if (r.model().equals("student")) {
                return Reply.text(user.startsWith("1+1") ? "One and one.\n#### 2" : "Guess.\n#### 5");
            }
            if (r.model().equals("judge")) {
                return Reply.text(user.contains("reaches the right result") ? "{\"verification\": \"Checked; it holds.\"}"
                        : "{\"verification\": \"Wrong; 2+2 is four.\", \"correction\": \"Two and two.\\n#### 4\"}");
            }
            return Reply.text(m.find() ? "Final answer: " + (3 * Integer.parseInt(m.group(1))) : "A reply.");
        });
        Path corpus = In2Fixtures.corpus(tmp.resolve("corpus"), 300, 7);
        Path general = In2Fixtures.general(tmp.resolve("general.jsonl"));
        Path in2 = out("in2");
        granular(In2Fixtures.in2(corpus, general, in2, "--threads", "1").toArray(String[]::new));

        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            prompts.add("{\"id\":\"r" + i + "\",\"prompt\":\"question item " + i + "\"}");
        }
        granular("generate", "--in", write("prompts.jsonl", prompts).toString(), "--model", "openai:t@" + server.baseUrl(),
                "--out", out("generate").toString(), "--no-cache");

        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            tasks.add("{\"id\":\"m" + i + "\",\"category\":\"math\",\"question\":\"[math] item " + i + "\",\"answer\":\"" + (3 * i) + "\"}");
        }
        granular("distill", "--tasks", write("tasks.jsonl", tasks).toString(), "--teacher", "openai:t@" + server.baseUrl(),
                "--out", out("distill").toString(), "--no-cache", "--calibration", "4");

        String sys = "You are an AI assistant. You must generate a detailed and long answer.";
        granular("erase", "--in", write("erase.jsonl", List.of(
                "{\"id\":\"o1\",\"system_prompt\":\"" + sys + "\",\"question\":\"Q1\",\"response\":\"R1\"}",
                "{\"id\":\"o3\",\"system_prompt\":\"\",\"question\":\"Q3\",\"response\":\"R3\"}",
                "{\"id\":\"s1\",\"conversations\":[{\"from\":\"system\",\"value\":\"Think step by step.\"},"
                        + "{\"from\":\"human\",\"value\":\"H\"},{\"from\":\"gpt\",\"value\":\"G0\",\"weight\":0},"
                        + "{\"from\":\"human\",\"value\":\"H2\"},{\"from\":\"gpt\",\"value\":\"G1\",\"weight\":1}]}",
                "{\"id\":\"m1\",\"messages\":[{\"role\":\"system\",\"content\":\"Think step by step.\"},"
                        + "{\"role\":\"user\",\"content\":\"U\"},{\"role\":\"assistant\",\"content\":\"A\"}]}")).toString(),
                "--out", out("erase").toString());

        granular("self-correct", "--tasks", write("sc.jsonl", List.of("{\"id\":\"a\",\"question\":\"1+1?\",\"answer\":\"2\"}",
                        "{\"id\":\"b\",\"question\":\"2+2?\",\"answer\":\"4\"}")).toString(),
                "--student", "openai:student@" + server.baseUrl(), "--teacher", "openai:judge@" + server.baseUrl(),
                "--out", out("self-correct").toString(), "--no-cache", "--samples", "2");

        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String piece = "entry " + i + " records that the " + (char) ('a' + i % 26) + " gate";
            pieces.add(JSON.writeValueAsString(Map.of("sentence", "The " + piece + " was painted in spring.", "piece", piece)));
        }
        Path probes = out("probe");
        granular("probe", "--task", "document", "--pieces", write("pieces.jsonl", pieces).toString(), "--out", probes.toString(),
                "--context-tokens", "2000", "--positions", "20", "--bin", "10", "--sets", "1");
        granular("eval", "--probes", probes.toString(), "--model", "openai:m@" + server.baseUrl(), "--out", out("eval").toString(),
                "--no-cache");

        for (String format : List.of("openai", "axolotl", "trl", "llamafactory")) {
            granular("export", "--in", in2.toString(), "--format", format, "--out", out("export-" + format).toString());
        }
        String qwen3 = ChatTemplateFixtures.qwen3().toString();
        granular("export", "--in", in2.toString(), "--format", "tokens", "--tokenizer", qwen3, "--out", out("export-tokens").toString());
        granular("export", "--in", in2.toString(), "--format", "trl-tokens", "--tokens-format", "jsonl", "--tokenizer", qwen3,
                "--out", out("export-trl-tokens-jsonl").toString());

        // A mix folder as the mixer writes it, carded by MixReport.
        Path mix = out("mix");
        Files.createDirectories(mix.resolve("data"));
        List<String> rows = Files.readAllLines(in2.resolve("data/part-00000.jsonl"));
        Files.write(mix.resolve("data/train-00000.jsonl"), rows.subList(0, rows.size() - 5));
        Files.write(mix.resolve("data/validation-00000.jsonl"), rows.subList(rows.size() - 5, rows.size()));
        MixReport.write(mix, null, null);

        // A key the first ~10 MB never has (datasets infers the schema from the first block): the card's declared
        // features make the late rows load; without them datasets fails with a cast error.
        Path drift = out("mix-late-keys");
        Files.createDirectories(drift.resolve("data"));
        String filler = "word ".repeat(2_000);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 1_300; i++) {
            lines.add("{\"id\":\"a" + i + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + filler + "\",\"train\":false},"
                    + "{\"role\":\"assistant\",\"content\":\"ok\",\"train\":true}],\"meta\":{\"design\":\"in2\",\"component\":\"long\","
                    + "\"depth\":[0.5]}}");
        }
        for (int i = 0; i < 3; i++) {
            lines.add("{\"id\":\"b" + i + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"train\":false},"
                    + "{\"role\":\"assistant\",\"content\":\"hello\",\"train\":true,\"train_detail\":[{\"begin_offset\":0,\"end_offset\":5,\"train\":true}]}],"
                    + "\"meta\":{\"design\":\"general\",\"component\":\"general\",\"score\":" + (i == 0 ? "1" : "2.5") + "}}");
        }
        Files.write(drift.resolve("data/train-00000.jsonl"), lines);
        MixReport.write(drift, null, null);
    }

    static Path out(String command) {
        Path p = tmp.resolve("out-" + command);
        OUTPUTS.put(command, p);
        return p;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static long jsonlRows(List<Path> files) throws IOException {
        long n = 0;
        for (Path f : files) {
            assertThat(f.toString()).endsWith(".jsonl");
            n += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        }
        return n;
    }

    @Test
    void everyCardsGlobsNameExactlyItsDataFiles() throws IOException {
        for (var e : OUTPUTS.entrySet()) {
            Path dir = e.getValue();
            Map<String, Object> front = HubCard.readFrontMatter(dir.resolve("README.md"));
            assertThat(front).as(e.getKey()).containsKeys("configs", "license", "task_categories", "size_categories", "language", "tags");
            Map<String, List<Path>> files = HubCard.dataFiles(dir);
            assertThat(files).as(e.getKey()).isNotEmpty();
            List<Path> all = new ArrayList<>();
            files.values().forEach(all::addAll);
            assertThat(all).as(e.getKey() + ": each split names files").allSatisfy(f -> assertThat(f).startsWith(dir.resolve("data")));
            files.values().forEach(l -> assertThat(l).as(e.getKey()).isNotEmpty());
            try (var s = Files.list(dir.resolve("data"))) {
                assertThat(s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()).as(e.getKey())
                        .containsExactlyInAnyOrderElementsOf(all);
            }
            assertThat(Files.readString(dir.resolve("README.md"))).as(e.getKey() + ": no absolute paths in data_files")
                    .doesNotContain("path: /");
        }
        assertThat(HubCard.dataFiles(OUTPUTS.get("eval"))).containsOnlyKeys("test");
        assertThat(HubCard.dataFiles(OUTPUTS.get("mix"))).containsOnlyKeys("train", "validation");
    }

    /** The Python with datasets, or null. */
    static Path hfPython() {
        String env = System.getenv("GRANULAR_HF_PYTHON");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path root = repoRoot();
        Path venv = root == null ? null : root.resolve(".hf-venv/bin/python");
        return venv != null && Files.isExecutable(venv) ? venv : null;
    }

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/hf_load_check.py"))) {
                return p;
            }
        }
        return null;
    }

    @Test
    void everyOutputLoadsWithHuggingFaceDatasets() throws Exception {
        Path python = hfPython();
        Assumptions.assumeTrue(python != null, "no Python with Hugging Face datasets: set GRANULAR_HF_PYTHON or run scripts/hf-venv "
                + "(.ci/run does)");
        List<String> cmd = new ArrayList<>(List.of(python.toString(), repoRoot().resolve("scripts/hf_load_check.py").toString()));
        OUTPUTS.values().forEach(p -> cmd.add(p.toString()));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String stdout = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(300, TimeUnit.SECONDS)).isTrue();
        Map<String, JsonNode> byDir = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                byDir.put(n.path("dir").asText(), n);
            }
        }
        for (var e : OUTPUTS.entrySet()) {
            JsonNode r = byDir.get(e.getValue().toString());
            assertThat(r).as(e.getKey() + "\n" + stdout + stderr).isNotNull();
            assertThat(r.has("error")).as(e.getKey() + ": " + r.path("error").asText()).isFalse();
            Map<String, List<Path>> files = HubCard.dataFiles(e.getValue());
            assertThat(r.path("splits").properties().stream().map(Map.Entry::getKey).toList()).as(e.getKey())
                    .containsExactlyElementsOf(files.keySet());
            for (var split : files.entrySet()) {
                long loaded = r.path("splits").path(split.getKey()).asLong();
                if (split.getValue().get(0).toString().endsWith(".jsonl")) {
                    assertThat(loaded).as(e.getKey() + " " + split.getKey()).isEqualTo(jsonlRows(split.getValue()));
                } else {
                    JsonNode summary = JSON.readTree(e.getValue().resolve("report/summary.json").toFile());
                    assertThat(loaded).as(e.getKey()).isEqualTo(summary.path("rows").asLong()).isPositive();
                }
            }
        }
        assertThat(proc.exitValue()).as(stdout + stderr).isZero();
        assertThat(byDir.get(OUTPUTS.get("export-tokens").toString()).path("columns").path("train"))
                .extracting(JsonNode::asText).containsExactly("input_ids", "attention_mask", "labels");
    }
}
