package dev.granular.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ValidateCommandTest {
    static final String GOOD = "{\"id\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\",\"train\":false},"
            + "{\"role\":\"assistant\",\"content\":\"Hello\",\"train\":true}],\"meta\":{\"design\":\"in2\"}}\n";

    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cli = new CommandLine(new ValidateCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void validDirectoryPrintsSummaryAndExitsZero() throws IOException {
        Path data = Files.createDirectories(dir.resolve("demo/data"));
        Files.writeString(data.resolve("part-00000.jsonl"), GOOD.formatted("a") + GOOD.formatted("b"));

        int code = run(dir.resolve("demo").toString());

        assertThat(code).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(out.toString().strip()).isEqualTo(dir.resolve("demo") + ": 2 records in 1 file, all valid (in2: 2)");
    }

    @Test
    void errorsGoToStderrAndExitTwo() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, GOOD.formatted("a") + "[]\n[]\n[]\n");

        int code = run("--max-errors", "2", file.toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(
                file + ":2: expected a JSON object, found array",
                file + ":3: expected a JSON object, found array");
        assertThat(out.toString().strip())
                .isEqualTo(file + ": 3 errors (first 2 shown); 1 valid record in 1 file (in2: 1)");
    }

    @Test
    void missingPathIsAnError() {
        int code = run(dir.resolve("nope").toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("nope: no such file or directory");
    }
}
