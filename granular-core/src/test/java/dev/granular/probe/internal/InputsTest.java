package dev.granular.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import dev.granular.probe.Needle;
import dev.granular.probe.ProbeTask;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pieces files, predictions files and needles: the formats, and bad input named by file and line. */
class InputsTest {
    @TempDir
    Path tmp;

    Path file(String name, String... lines) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void piecesInThePublicFormatBecomeItems() throws IOException {
        Path code = file("code.jsonl", "{\"function_name\": \"f\", \"function_define\": \"    x = 1\\n    return x\", \"piece\": \"x = 1\"}");
        assertThat(Pieces.read(code, ProbeTask.CODE)).containsExactly(new Item.Function("f", "    x = 1\n    return x", "x = 1"));
        Path db = file("db.jsonl", "{\"id\": \"Q1\", \"label\": \"L\", \"dcpt\": \"d\"}");
        Item e = Pieces.read(db, ProbeTask.DATABASE).get(0);
        assertThat(e.text()).isEqualTo("<id: Q1, label: L, description: d>");
    }

    @Test
    void badPiecesNameFileAndLine() throws IOException {
        Path p = file("doc.jsonl", "{\"sentence\": \"A b c.\", \"piece\": \"b\"}", "{\"sentence\": \"A b c.\"}");
        assertThatThrownBy(() -> Pieces.read(p, ProbeTask.DOCUMENT)).isInstanceOf(BadInputException.class)
                .hasMessage(p + ":2: missing string field \"piece\"");
        Path q = file("doc2.jsonl", "{\"sentence\": \"A b c.\", \"piece\": \"zz\"}");
        assertThatThrownBy(() -> Pieces.read(q, ProbeTask.DOCUMENT)).hasMessageContaining(":1: \"piece\" does not occur");
    }

    @Test
    void predictionsAlignById() throws IOException {
        Path p = file("p.jsonl", "{\"id\": \"b\", \"prediction\": \"B\"}", "{\"id\": \"a\", \"samples\": [\" A\", \"other\"]}");
        assertThat(Predictions.align(p, List.of("a", "b"))).containsExactly(" A", "B");
    }

    @Test
    void badPredictionsFilesNameFileLineAndReason() throws IOException {
        Path lone = file("lone.jsonl", "{\"id\": \"a\", \"prediction\": \"x\"}", "{\"id\": \"b\", \"prediction\": \"\\ud800\"}");
        assertThatThrownBy(() -> Predictions.align(lone, List.of("a", "b"))).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(lone + ":2: prediction: unpaired surrogate U+D800");
        Path latin1 = tmp.resolve("latin1.jsonl");
        Files.write(latin1, "{\"prediction\": \"caf\u00e9\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Predictions.align(latin1, List.of("a"))).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(latin1 + ":1: invalid UTF-8");
        Path twice = file("twice.jsonl", "{\"id\": \"a\", \"prediction\": \"x\"}", "{\"id\": \"a\", \"prediction\": \"y\"}");
        assertThatThrownBy(() -> Predictions.align(twice, List.of("a"))).isInstanceOf(BadInputException.class)
                .hasMessage(twice + ":2: duplicate id \"a\" (first at " + twice + ":1)");
        Path missing = tmp.resolve("missing.jsonl");
        assertThatThrownBy(() -> Predictions.align(missing, List.of("a"))).isInstanceOf(BadInputException.class)
                .hasMessage(missing + ": no such file or directory");
    }

    @Test
    void predictionsWithoutIdsAlignByOrderOnlyWhenTheCountsAgree() throws IOException {
        Path p = file("p.jsonl", "{\"samples\": [\"x\"]}", "{\"prediction\": \"y\"}");
        assertThat(Predictions.align(p, List.of("a", "b"))).containsExactly("x", "y");
        assertThatThrownBy(() -> Predictions.align(p, List.of("a", "b", "c"))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("2 predictions for 3 probes");
        Path bad = file("bad.jsonl", "{\"samples\": [\"x\"]}", "{\"answer\": \"y\"}");
        assertThatThrownBy(() -> Predictions.align(bad, List.of("a", "b"))).hasMessageStartingWith(bad + ":2: ");
    }

    @Test
    void theNeedleSitsAtTheRequestedDepthAndTheHaystackFitsItsLength() {
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            sentences.add("Filler sentence " + i + " tells of nothing in particular.");
        }
        try (Tokenizer tok = Tokenizers.load("o200k_base")) {
            TokenCounter c = new TokenCounter(tok);
            for (int depth : new int[] {0, 50, 100}) {
                NeedleBuilder.Haystack h = NeedleBuilder.build(sentences, Needle.BUILTIN, c, 1000, depth);
                assertThat(h.contextTokens()).isEqualTo(c.midText(h.context())).isLessThanOrEqualTo(1000).isGreaterThan(950);
                assertThat(h.context()).contains(Needle.BUILTIN.sentence());
                assertThat(h.depth()).isCloseTo(depth / 100.0, org.assertj.core.api.Assertions.within(0.03));
            }
        }
    }

    @Test
    void aNeedleWhoseAnswerIsNotInItsSentenceIsRefused() throws IOException {
        Path p = file("needle.json", "{\"sentence\": \"The key is blue.\", \"question\": \"Colour?\", \"answer\": \"red\"}");
        assertThatThrownBy(() -> Needle.read(p)).isInstanceOf(BadInputException.class).hasMessageStartingWith(p + ": ");
    }
}
