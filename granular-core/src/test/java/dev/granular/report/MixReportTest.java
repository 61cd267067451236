package dev.granular.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.export.Labeler;
import dev.granular.export.LossMask;
import dev.granular.io.BadInputException;
import dev.granular.files.HubCard;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of a mix folder made here: two components, one of them IN2-like (with key-segment depths). */
class MixReportTest {
    @TempDir
    Path tmp;

    static String row(String id, String component, String source, String user, String answer, String depth) {
        return String.format(Locale.ROOT, "{\"id\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"%s\",\"train\":true}],\"meta\":{\"design\":\"%s\",\"component\":\"%s\","
                + "\"source\":\"%s\"%s}}", id, user, answer, component.startsWith("long") ? "in2" : "general", component, source,
                depth == null ? "" : ",\"depth\":[" + depth + "]");
    }

    /** 30 IN2-like rows (long, depths spread over [0, 1)) and 20 general rows, split 40 train / 10 validation. */
    Path mix(boolean withMixJson) throws IOException {
        Path dir = tmp.resolve("mix");
        Files.createDirectories(dir.resolve("data"));
        Random rnd = new Random(7);
        List<String> train = new ArrayList<>();
        List<String> validation = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String context = ("The harbour of town " + i + " was rebuilt in spring. ").repeat(20 + rnd.nextInt(40));
            String r = row("l" + i, "long-context", "sotu/doc" + (i % 3) + ".txt", context + "Which town?", "Town " + i + ".",
                    String.format(Locale.ROOT, "%.4f", (i + 0.5) / 30.0));
            (i < 25 ? train : validation).add(r);
        }
        for (int i = 0; i < 20; i++) {
            String r = row("g" + i, "general", "alpaca.jsonl", "Say hello " + i + ".", "Hello " + i + ", a long friendly answer.", null);
            (i < 15 ? train : validation).add(r);
        }
        Files.write(dir.resolve("data/train-00000.jsonl"), train);
        Files.write(dir.resolve("data/validation-00000.jsonl"), validation);
        Files.writeString(dir.resolve("recipe.yaml"), "model: {tokenizer: models/qwen3}\nmix:\n  long-context: 0.6\n  general: 0.4\n");
        if (withMixJson) {
            Files.createDirectories(dir.resolve("report"));
            Files.writeString(dir.resolve("report/mix.json"), """
                    {"removed_duplicates": {"general": 4, "long-context": 0},
                     "components": {"general": {"removed_contaminated": 2}, "eval-only": {"removed_contaminated": 7}}}
                    """);
        }
        return dir;
    }

    @Test
    void reportsEveryComponentInO200kWhenNoTokenizerIsGiven() throws IOException {
        Path dir = mix(true);
        MixReport.Result r = MixReport.write(dir, null, null);

        assertThat(r.rows()).isEqualTo(50);
        assertThat(r.counting()).contains("o200k_base");
        assertThat(r.components()).containsOnlyKeys("general", "long-context", "eval-only");
        MixReport.ComponentStats general = r.components().get("general");
        MixReport.ComponentStats in2 = r.components().get("long-context");
        assertThat(general.rows()).isEqualTo(20);
        assertThat(general.rowsBySplit()).containsEntry("train", 15L).containsEntry("validation", 5L);
        assertThat(in2.sources()).containsOnlyKeys("sotu/doc0.txt", "sotu/doc1.txt", "sotu/doc2.txt");
        // The counts are o200k's, row by row: the message texts' tokens, the trained ones the answer's.
        try (Tokenizer o200k = Tokenizers.load("o200k_base")) {
            long tokens = 0;
            long trained = 0;
            for (TrainingRecord rec : RecordReader.readAll(dir.resolve("data"))) {
                if (rec.meta().get("component").equals("general")) {
                    tokens += o200k.count(rec.messages().get(0).content()) + o200k.count(rec.messages().get(1).content());
                    trained += o200k.count(rec.messages().get(1).content());
                }
            }
            assertThat(general.tokens()).isEqualTo(tokens);
            assertThat(general.trainedTokens()).isEqualTo(trained);
        }
        assertThat(in2.tokens()).isGreaterThan(10 * general.tokens());
        assertThat(general.removedDuplicates()).isEqualTo(4);
        assertThat(general.removedContaminated()).isEqualTo(2);
        assertThat(in2.removedDuplicates()).isZero();
        assertThat(in2.removedContaminated()).as("not reported is not zero").isNull();
        assertThat(r.components().get("eval-only").rows()).isZero();

        JsonNode stats = Json.mapper().readTree(dir.resolve("report/mix-stats.json").toFile());
        assertThat(stats.path("rows").asLong()).isEqualTo(50);
        assertThat(stats.path("components").path("general").path("token_share").asDouble())
                .isCloseTo((double) general.tokens() / r.tokens(), org.assertj.core.data.Offset.offset(1e-9));
        JsonNode depth = stats.path("in2_depth");
        assertThat(depth.path("rows").asLong()).isEqualTo(30);
        assertThat(depth.path("bins")).hasSize(10).allSatisfy(b -> assertThat(b.asLong()).isEqualTo(3));
        assertThat(depth.path("chi_square_p").asDouble()).isEqualTo(1.0);

        for (String png : List.of("tokens.png", "trained-share.png", "lengths.png", "depth.png", "removed.png")) {
            BufferedImage img = ImageIO.read(dir.resolve("report").resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(Files.readString(dir.resolve("report/index.html"))).contains("src=\"" + png + "\"");
        }
        String html = Files.readString(dir.resolve("report/index.html"));
        assertThat(html).contains("<td>general</td><td>20</td>").contains("not reported");

        String card = Files.readString(dir.resolve("README.md"));
        assertThat(card).contains("## Composition").contains("| general | 20 |").contains("![tokens per component](report/tokens.png)")
                .contains("## Recipe").contains("  long-context: 0.6").contains("| long-context | `sotu/doc0.txt` | 10 |")
                .contains("| general | `alpaca.jsonl` | 20 |");
        assertThat(HubCard.dataFiles(dir)).containsExactly(
                Map.entry("train", List.of(dir.resolve("data/train-00000.jsonl"))),
                Map.entry("validation", List.of(dir.resolve("data/validation-00000.jsonl"))));
    }

    @Test
    void withTheTargetTokenizerAndTemplateLengthsAreTheRenderedExamples() throws IOException {
        Path dir = mix(false);
        Path qwen = Reference.tokenizerDir("qwen3");
        try (Tokenizer tok = Tokenizers.load(qwen.toString())) {
            ChatTemplate template = ChatTemplate.load(qwen);
            MixReport.Result r = MixReport.write(dir, tok, template);
            Labeler labeler = new Labeler(template, tok, true);
            long tokens = 0;
            long trained = 0;
            for (TrainingRecord rec : RecordReader.readAll(dir.resolve("data"))) {
                LossMask m = (LossMask) labeler.label(rec);
                tokens += m.size();
                trained += m.trainedTokens();
            }
            assertThat(r.tokens()).isEqualTo(tokens);
            assertThat(r.trainedTokens()).isEqualTo(trained);
            assertThat(r.counting()).contains("chat template").contains(tok.name());
        }
        assertThat(Files.readString(dir.resolve("report/index.html"))).contains("Not reported: the folder has no report/mix.json");
        assertThat(dir.resolve("report/removed.png")).doesNotExist();
    }

    @Test
    void aFolderWithoutSplitsOrWithBadMixJsonIsBadInput() throws IOException {
        Files.createDirectories(tmp.resolve("empty/data"));
        assertThatThrownBy(() -> MixReport.write(tmp.resolve("empty"), null, null)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("not a mix folder");
        Path dir = mix(true);
        Files.writeString(dir.resolve("report/mix.json"), "{\n\"removed_duplicates\": {oops}\n}");
        assertThatThrownBy(() -> MixReport.write(dir, null, null)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("mix.json:2");
    }
}
