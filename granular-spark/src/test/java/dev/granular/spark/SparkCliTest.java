package dev.granular.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code granular spark}'s exit codes and messages for usage errors and bad input. */
class SparkCliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SparkCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void usageErrorsExitWith2NamingTheFlag() {
        Run r = run("export", "--in", "x.jsonl", "--out", tmp.resolve("o").toString(), "--tokenizer", "t", "--format", "axolotl");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--format: expected tokens or trl-tokens, got 'axolotl'");
        Run missing = run("export", "--in", "x.jsonl");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--out").contains("--tokenizer");
    }

    @Test
    void packAndTokensFormatUsageErrorsExitWith2NamingTheFlag() {
        String[] common = {"export", "--in", "x.jsonl", "--out", tmp.resolve("o").toString(), "--tokenizer", "t"};
        Run format = run(concat(common, "--tokens-format", "csv"));
        assertThat(format.code()).isEqualTo(2);
        assertThat(format.err()).contains("--tokens-format: expected parquet or jsonl, got 'csv'");
        Run longer = run(concat(common, "--pack", "1024", "--max-length", "2048"));
        assertThat(longer.code()).isEqualTo(2);
        assertThat(longer.err()).contains("--max-length 2048 > --pack 1024");
        Run negative = run(concat(common, "--pack", "-1"));
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err()).contains("--pack");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void configurationFieldsAreShownAsTheirFlags() {
        assertThat(SparkCli.flag("maxLength")).isEqualTo("--max-length");
        assertThat(SparkCli.flag("truncation")).isEqualTo("--truncation");
    }

    static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void aMissingInputExitsWith2NamingIt() {
        Path absent = tmp.resolve("absent.jsonl");
        Run r = run("export", "--in", absent.toString(), "--out", tmp.resolve("o").toString(),
                "--tokenizer", tmp.resolve("t").toString(), "--master", "local[1]");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(absent.toString());
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void dedupRefusesABadThresholdBeforeStartingSpark() {
        Run r = run("dedup", "--in", "x.jsonl", "--out", tmp.resolve("o").toString(), "--near", "1.5");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--near: a Jaccard threshold in (0, 1], got 1.5");
        Run none = run();
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("name a job: ").contains("export").contains("dedup");
    }
}
