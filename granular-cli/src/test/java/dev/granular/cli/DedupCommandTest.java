package dev.granular.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.dedup.DedupFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.granular.cli.RunCommandTest.granular;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code granular dedup} and the recipe's {@code mix.near_dedup}. */
class DedupCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Chat rows (as mix components take them) or canonical records: story i, and its near duplicate when edited. */
    Path stories(String name, int n, int from, boolean edited, boolean canonical) throws IOException {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> w = DedupFixtures.words(from + i, 120);
            if (edited) {
                w = DedupFixtures.edited(w, 1);
            }
            String train = canonical ? ",\"train\":%b" : "";
            String messages = String.format(Locale.ROOT, "[{\"role\":\"user\",\"content\":\"Tell story %d\"" + train.formatted(false)
                    + "},{\"role\":\"assistant\",\"content\":\"%s\"" + train.formatted(true) + "}]", from + i, String.join(" ", w));
            rows.add(canonical ? String.format(Locale.ROOT, "{\"id\":\"%s%d\",\"messages\":%s,\"meta\":{\"design\":\"general\"}}",
                    name, i, messages) : "{\"messages\":" + messages + "}");
        }
        Path f = tmp.resolve(name + ".jsonl");
        Files.write(f, rows);
        return f;
    }

    @Test
    void dedupWritesKeptRowsAndSaysWhatWasRemoved() throws IOException {
        Path a = stories("a", 10, 0, false, true);
        Path b = stories("b", 10, 5, true, true); // b0..b4 near a5..a9
        Path out = tmp.resolve("out");
        RunCommandTest.Run r = granular("dedup", "--in", a.toString(), b.toString(), "--out", out.toString(), "--near", "0.8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("dedup: 15 of 20 rows kept").contains("5 near duplicates");
        assertThat(Files.readAllLines(out.resolve("data/part-00000.jsonl"))).hasSize(15);
        assertThat(Files.readAllLines(out.resolve("removed.jsonl"))).hasSize(5).allSatisfy(l -> assertThat(l).contains("near_duplicate"));

        RunCommandTest.Run plain = granular("dedup", "--in", a.toString(), b.toString(), "--out", tmp.resolve("plain").toString());
        assertThat(plain.out()).contains("20 of 20 rows kept");
    }

    @Test
    void badValuesExitTwoNamingTheFlag() throws IOException {
        Path a = stories("a", 3, 0, false, true);
        RunCommandTest.Run r = granular("dedup", "--in", a.toString(), "--out", tmp.resolve("o").toString(), "--near", "1.5");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--near");
        RunCommandTest.Run missing = granular("dedup", "--in", tmp.resolve("absent.jsonl").toString(), "--out", tmp.resolve("o").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("absent.jsonl");
    }

    @Test
    void aRecipeMixTakesNearDedup() throws IOException {
        Path a = stories("a", 20, 0, false, false);
        Path b = stories("b", 20, 10, true, false);
        Path recipe = tmp.resolve("recipe.yaml");
        Files.writeString(recipe, """
                out: %s
                mix:
                  validation: 0
                  near_dedup: 0.8
                  components:
                    a: {from: %s, share: 0.5}
                    b: {from: %s, share: 0.5}
                """.formatted(tmp.resolve("o"), a, b));
        RunCommandTest.Run r = granular("run", recipe.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("10 near duplicates");
        JsonNode mix = JSON.readTree(tmp.resolve("o/mix/report/mix.json").toFile());
        assertThat(mix.path("removed_near_duplicates").path("b").asLong()).isEqualTo(10);

        Files.writeString(recipe, Files.readString(recipe).replace("near_dedup: 0.8", "near_dedup: 2"));
        RunCommandTest.Run bad = granular("run", "--check", recipe.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains(recipe + ":4: mix.near_dedup");
    }
}
