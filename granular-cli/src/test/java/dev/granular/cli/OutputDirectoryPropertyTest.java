package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.files;
import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random sequences of runs into one --out (seeded, so a failure names a reproducible sequence):
 * generate and export with changing configurations, with and without --overwrite, runs stopped
 * part way (the teacher starts refusing at a random request), bad input at a random line, outputs
 * that overlap their inputs, and files a person puts into the folder, data/ and report/. After every
 * step: no file granular did not write is changed or gone, the inputs are intact, and the journal of
 * paid replies only ever grows.
 */
class OutputDirectoryPropertyTest {
    private static final int SEQUENCES = 5;
    private static final int STEPS = 12;
    private static final int ROWS = 6;

    @TempDir
    Path tmp;

    @Test
    void noRunSequenceChangesFilesGranularDidNotWriteOrLosesAPaidReply() throws IOException {
        try (FakeLlmServer server = FakeLlmServer.start()) {
            for (long seed = 1; seed <= SEQUENCES; seed++) {
                sequence(server, seed, tmp.resolve("seq-" + seed));
            }
        }
    }

    private static void sequence(FakeLlmServer server, long seed, Path root) throws IOException {
        Random rnd = new Random(seed);
        Path inputs = Files.createDirectories(root.resolve("inputs"));
        Path prompts = prompts(inputs.resolve("prompts.jsonl"));
        Path records = records(inputs.resolve("records.jsonl"), -1);
        Path bad = records(inputs.resolve("bad.jsonl"), rnd.nextInt(ROWS));
        Path out = root.resolve("out");
        Path journal = out.resolve(".granular/replies.jsonl"); // the paid replies (run journals go with their run)
        TreeMap<String, byte[]> inputsBefore = files(inputs);
        Map<Path, String> userFiles = new LinkedHashMap<>();
        byte[] paid = new byte[0];
        List<String> log = new ArrayList<>();

        for (int step = 0; step < STEPS; step++) {
            boolean overwrite = rnd.nextBoolean();
            String did;
            switch (rnd.nextInt(6)) {
                case 0, 1 -> {
                    double temperature = rnd.nextBoolean() ? 0.1 : 0.2;
                    int stopAfter = rnd.nextInt(3) == 0 ? rnd.nextInt(ROWS) : Integer.MAX_VALUE;
                    AtomicLong asked = new AtomicLong();
                    server.script(r -> asked.incrementAndGet() > stopAfter ? Reply.status(401).message("stopped")
                            : Reply.text("answer to " + r.lastUserMessage()));
                    In2Fixtures.Run run = granular(args(List.of("generate", "--in", prompts.toString(), "--model",
                            "openai:test@" + server.baseUrl(), "--out", out.toString(), "--no-cache", "--concurrency", "1",
                            "--temperature", String.valueOf(temperature)), overwrite));
                    did = "generate t=" + temperature + " stopAfter=" + stopAfter + " overwrite=" + overwrite + " -> " + run.code();
                    assertThat(run.code()).as(did + "\n" + run.all()).isIn(0, 1, 2);
                }
                case 2 -> {
                    boolean badInput = rnd.nextInt(3) == 0;
                    String format = rnd.nextBoolean() ? "openai" : "trl";
                    In2Fixtures.Run run = granular(args(List.of("export", "--in", (badInput ? bad : records).toString(), "--format",
                            format, "--out", out.toString()), overwrite));
                    did = "export " + format + " bad=" + badInput + " overwrite=" + overwrite + " -> " + run.code();
                    assertThat(run.code()).as(did + "\n" + run.all()).isIn(0, 2);
                }
                case 3 -> {
                    // an output that is, or contains, an input: refused, and nothing anywhere changes
                    boolean intoItself = rnd.nextBoolean() && Files.isDirectory(out.resolve("data"));
                    Path in = intoItself ? out : records;
                    Path target = intoItself ? out : inputs;
                    TreeMap<String, byte[]> before = files(root);
                    In2Fixtures.Run run = granular(args(List.of("export", "--in", in.toString(), "--format", "openai", "--out",
                            target.toString()), overwrite));
                    did = "export into its input " + target + " overwrite=" + overwrite + " -> " + run.code();
                    assertThat(run.code()).as(did + "\n" + run.all()).isEqualTo(2);
                    assertThat(run.err()).as(did).contains("never writes into");
                    assertSame(before, files(root), did);
                }
                default -> {
                    String[] where = {"", "data/", "report/", ""};
                    String[] names = {"NOTES.md", "customers.csv", "q3.txt", "README.md", "summary.json", "manifest.json"};
                    Path file = out.resolve(where[rnd.nextInt(where.length)] + names[rnd.nextInt(names.length)]);
                    if (Files.exists(file) && !userFiles.containsKey(file)) {
                        did = "(" + file + " is granular's; not touched)";
                    } else {
                        Files.createDirectories(file.getParent());
                        String content = "user " + seed + "/" + step;
                        Files.writeString(file, content);
                        userFiles.put(file, content);
                        did = "user writes " + root.relativize(file);
                    }
                }
            }
            log.add(did);
            String history = "seed " + seed + ": " + String.join(" | ", log);
            userFiles.forEach((f, content) -> assertThat(f).as(history).hasContent(content));
            assertSame(inputsBefore, files(inputs), history);
            byte[] now = Files.exists(journal) ? Files.readAllBytes(journal) : new byte[0];
            assertThat(now.length).as(history + ": journal shrank").isGreaterThanOrEqualTo(paid.length);
            assertThat(Arrays.copyOf(now, paid.length)).as(history + ": journal rewritten").isEqualTo(paid);
            paid = now;
        }
    }

    private static void assertSame(TreeMap<String, byte[]> before, TreeMap<String, byte[]> after, String what) {
        assertThat(after.keySet()).as(what).isEqualTo(before.keySet());
        before.forEach((k, v) -> assertThat(new String(after.get(k), StandardCharsets.UTF_8)).as(what + ": " + k)
                .isEqualTo(new String(v, StandardCharsets.UTF_8)));
    }

    private static List<String> args(List<String> args, boolean overwrite) {
        List<String> a = new ArrayList<>(args);
        if (overwrite) {
            a.add("--overwrite");
        }
        return a;
    }

    private static Path prompts(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ROWS; i++) {
            sb.append("{\"id\":\"p").append(i).append("\",\"prompt\":\"question ").append(i).append("\"}\n");
        }
        return Files.writeString(file, sb.toString());
    }

    /** Canonical records; with {@code badLine} >= 0 that line is not JSON. */
    private static Path records(Path file, int badLine) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ROWS; i++) {
            sb.append(i == badLine ? "{not json" : RecordJson.toJson(new TrainingRecord("r" + i,
                    List.of(Message.user("q" + i), Message.assistant("a" + i)), null, Map.of("design", "test")))).append('\n');
        }
        return Files.writeString(file, sb.toString());
    }
}
