package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.granular;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same classes of bad input given to every command that reads rows or records: each is
 * exit 2 with the file, the line and the reason, and no model request is made (the model URLs
 * point at a closed port, so a request would end as exit 1).
 */
class BadInputAcrossCommandsTest {
    private static final String NOWHERE = "@http://127.0.0.1:9/v1";
    /** A JSON string with an escaped lone high surrogate: valid JSON, but no UTF-8 form. */
    private static final String LONE = "\\ud800";

    @TempDir
    static Path shared;
    /** One row whose string is one character over the limit: the same file for every command. */
    static Path oversized;

    @TempDir
    Path tmp;

    /**
     * A command reading rows: a name, a valid row of its kind with {@code %s} where a string goes,
     * and its command line given the input and a scratch directory.
     */
    record Command(String name, String row, BiFunction<Path, Path, List<String>> args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final String RECORD = "{\"id\":\"r1\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\",\"train\":false},"
            + "{\"role\":\"assistant\",\"content\":\"an answer\",\"train\":true}],\"meta\":{\"design\":\"test\"}}";

    static List<Command> commands() {
        return List.of(
                new Command("generate", "{\"prompt\":\"%s\"}", (in, t) -> List.of("generate", "--in", in.toString(),
                        "--model", "openai:m" + NOWHERE, "--out", t.resolve("out").toString(), "--no-cache")),
                new Command("erase", "{\"question\":\"%s\",\"response\":\"r\",\"system_prompt\":\"s\"}", (in, t) -> List.of("erase",
                        "--in", in.toString(), "--out", t.resolve("out").toString())),
                new Command("distill", "{\"id\":\"a\",\"question\":\"%s\"}", (in, t) -> List.of("distill", "--tasks", in.toString(),
                        "--teacher", "openai:m" + NOWHERE, "--out", t.resolve("out").toString(), "--no-cache")),
                new Command("self-correct", "{\"id\":\"a\",\"question\":\"%s\",\"answer\":\"1\"}", (in, t) -> List.of("self-correct",
                        "--tasks", in.toString(), "--student", "openai:s" + NOWHERE, "--teacher", "openai:t" + NOWHERE,
                        "--out", t.resolve("out").toString(), "--no-cache")),
                new Command("export", RECORD, (in, t) -> List.of("export", "--in", in.toString(), "--format", "openai",
                        "--out", t.resolve("out").toString())),
                new Command("inspect", RECORD, (in, t) -> List.of("inspect", in.toString(), "--tokenizer", ExportCommandTest.qwen3().toString(),
                        "--color", "never")),
                new Command("validate", RECORD, (in, t) -> List.of("validate", in.toString())),
                new Command("probe --pieces", "{\"sentence\":\"%s and more\",\"piece\":\"and more\"}", (in, t) -> List.of("probe",
                        "--task", "document", "--pieces", in.toString(), "--out", t.resolve("out").toString())),
                new Command("in2 --corpus", "{\"id\":\"d\",\"text\":\"%s\"}", (in, t) -> In2Fixtures.in2(in, null,
                        t.resolve("out"))));
    }

    @BeforeAll
    static void oversizedRow() throws IOException {
        oversized = shared.resolve("big.jsonl");
        try (OutputStream out = Files.newOutputStream(oversized)) {
            out.write("{\"text\":\"".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'a');
            int left = 20_000_001;
            while (left > 0) {
                int n = Math.min(left, chunk.length);
                out.write(chunk, 0, n);
                left -= n;
            }
            out.write("\"}\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Command c : commands()) {
            out.add(Arguments.of(c, "an unpaired surrogate", ":1: ", "unpaired surrogate"));
            out.add(Arguments.of(c, "invalid UTF-8", ":1: ", "invalid UTF-8"));
            out.add(Arguments.of(c, "a truncated gzip file", ":1: ", "Unexpected end of ZLIB input stream"));
            out.add(Arguments.of(c, "a missing file", ": ", "no such file"));
            out.add(Arguments.of(c, "a string over the limit", ":1: ", "20,000,000"));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void exits2NamingFileLineAndReason(Command command, String kind, String where, String reason) throws IOException {
        Path in = switch (kind) {
            case "an unpaired surrogate" -> write("rows.jsonl", command.row().formatted(LONE).getBytes(StandardCharsets.UTF_8));
            case "invalid UTF-8" -> write("rows.jsonl", bytes(command.row().formatted("caf"), (byte) 0xE9));
            case "a truncated gzip file" -> write("rows.jsonl.gz", truncatedGzip(command.row().formatted(noise())));
            case "a missing file" -> tmp.resolve("missing.jsonl");
            case "a string over the limit" -> oversized;
            default -> throw new IllegalArgumentException(kind);
        };

        In2Fixtures.Run run = granular(command.args().apply(in, tmp));

        assertThat(run.code()).as(run.all()).isEqualTo(2);
        assertThat(run.err()).as(run.all()).contains(in + where).contains(reason);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    /** {@code row} with {@code bad} put inside its first string value's text, before the closing quote. */
    private static byte[] bytes(String row, byte bad) {
        byte[] text = row.getBytes(StandardCharsets.UTF_8);
        int at = row.indexOf("caf") + 3;
        byte[] out = new byte[text.length + 1];
        System.arraycopy(text, 0, out, 0, at);
        out[at] = bad;
        System.arraycopy(text, at, out, at + 1, text.length - at);
        return out;
    }

    /** 20,000 hex digits that do not compress away, so half the gzip stream is half the row. */
    private static String noise() {
        Random random = new Random(7);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            b.append(Character.forDigit(random.nextInt(16), 16));
        }
        return b.toString();
    }

    /** A gzip stream of one {@code row} cut in half: the row breaks off inside line 1. */
    private static byte[] truncatedGzip(String row) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write((row + "\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] all = bytes.toByteArray();
        return Arrays.copyOf(all, all.length / 2);
    }
}
