package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.granular.io.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriceTableTest {
    @TempDir
    Path tmp;

    static final PriceTable BUILT_IN = PriceTable.builtIn();

    @Test
    void builtInListsEveryCommonModelWithADate() {
        assertThat(BUILT_IN.asOf()).matches("\\d{4}-\\d{2}-\\d{2}");
        for (String m : List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o3-mini", "o4-mini",
                "gpt-5", "gpt-5-mini", "gpt-5-nano", "claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-5", "claude-sonnet-4",
                "claude-3-7-sonnet", "claude-3-5-haiku", "claude-haiku-4-5")) {
            assertThat(BUILT_IN.entries()).containsKey(m);
        }
        assertThat(BUILT_IN.price("gpt-4o-mini")).contains(new Price(0.15, 0.60));
    }

    @Test
    void snapshotsMatchTheirLongestFamilyName() {
        assertThat(BUILT_IN.price("gpt-4o-2024-08-06")).isEqualTo(BUILT_IN.price("gpt-4o"));
        assertThat(BUILT_IN.price("gpt-4o-mini-2024-07-18")).isEqualTo(BUILT_IN.price("gpt-4o-mini"));
        assertThat(BUILT_IN.price("o3-mini-2025-01-31")).isEqualTo(BUILT_IN.price("o3-mini"));
        assertThat(BUILT_IN.price("claude-opus-4-1-20250805")).isEqualTo(BUILT_IN.price("claude-opus-4-1"));
        assertThat(BUILT_IN.price("claude-opus-4-20250514")).isEqualTo(BUILT_IN.price("claude-opus-4"));
        assertThat(BUILT_IN.price(ModelSpec.parse("anthropic:claude-sonnet-4-5-20250929", null))).contains(new Price(3, 15));
    }

    @Test
    void unknownModelsAndNamesThatOnlyShareLettersAreUnpriced() {
        assertThat(BUILT_IN.price("gpt-4omni")).isEmpty();
        assertThat(BUILT_IN.price(ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", null))).isEmpty();
    }

    @Test
    void overridesFromJsonAndYamlReplaceAndExtend() throws Exception {
        Path json = Files.writeString(tmp.resolve("p.json"), "{\"gpt-4o\": {\"input\": 1, \"output\": 2}, \"qwen3-8b\": {\"input\": 0.01, \"output\": 0.02}}");
        PriceTable t = BUILT_IN.withOverrides(json);
        assertThat(t.price("gpt-4o-2024-08-06")).contains(new Price(1, 2));
        assertThat(t.price(ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", null))).contains(new Price(0.01, 0.02));
        assertThat(t.price("gpt-4o-mini")).isEqualTo(BUILT_IN.price("gpt-4o-mini"));
        assertThat(t.asOf()).contains(json.toString());

        Path yaml = Files.writeString(tmp.resolve("p.yaml"), "o3-pro:\n  input: 20\n  output: 80\n");
        assertThat(t.withOverrides(yaml).price("o3-pro-2025-06-10")).contains(new Price(20, 80));
    }

    @Test
    void aCopyOfTheBuiltInFileIsAcceptedAsPrices() throws Exception {
        String builtIn;
        try (var in = PriceTable.class.getResourceAsStream("prices.json")) {
            builtIn = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Path copy = Files.writeString(tmp.resolve("prices.json"), builtIn.replace("\"gpt-4o\": {\"input\": 2.50", "\"gpt-4o\": {\"input\": 2.00"));
        PriceTable t = BUILT_IN.withOverrides(copy);
        assertThat(t.price("gpt-4o")).contains(new Price(2.00, 10.00));
        assertThat(t.entries()).doesNotContainKeys("models", "as_of", "note");
        assertThat(t.asOf()).contains("(as of 20");

        Path yaml = Files.writeString(tmp.resolve("p.yaml"), "as_of: 2026-01-01\nmodels:\n  my-model:\n    input: 1\n    output: 3\n");
        assertThat(BUILT_IN.withOverrides(yaml).price("my-model")).contains(new Price(1, 3));
        // a model that happens to be called "models" is still a plain mapping
        Path named = Files.writeString(tmp.resolve("n.json"), "{\"models\": {\"input\": 1, \"output\": 2}}");
        assertThat(BUILT_IN.withOverrides(named).price("models")).contains(new Price(1, 2));
    }

    @Test
    void badPriceFilesNameTheFileAndTheModel() throws Exception {
        Path notNumber = Files.writeString(tmp.resolve("a.json"), "{\"gpt-4o\": {\"input\": \"cheap\", \"output\": 2}}");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(notNumber)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("a.json").hasMessageContaining("gpt-4o").hasMessageContaining("input");
        Path unknownField = Files.writeString(tmp.resolve("b.yml"), "gpt-x:\n  input: 1\n  output: 2\n  cached: 0.5\n");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(unknownField)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("b.yml").hasMessageContaining("gpt-x").hasMessageContaining("cached");
        Path negative = Files.writeString(tmp.resolve("c.json"), "{\"m\": {\"input\": -1, \"output\": 2}}");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(negative)).hasMessageContaining("'m'").hasMessageContaining(">= 0");
        Path missing = Files.writeString(tmp.resolve("d.json"), "{\"m\": {\"input\": 1}}");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(missing)).hasMessageContaining("'m'").hasMessageContaining("output");
        Path notMap = Files.writeString(tmp.resolve("e.json"), "[1, 2]");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(notMap)).isInstanceOf(BadInputException.class).hasMessageContaining("e.json");
        Path malformed = Files.writeString(tmp.resolve("f.json"), "{\n\"m\": {\"input\": 1,,}}");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(malformed)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("f.json:2:");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(tmp.resolve("none.json"))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("none.json");
    }

    @Test
    void everyBuiltInModelHasABatchPriceAtHalfItsListPrice() {
        assertThat(BUILT_IN.batchEntries().keySet()).isEqualTo(BUILT_IN.entries().keySet());
        BUILT_IN.entries().forEach((model, list) -> {
            Price batch = BUILT_IN.batchPrice(model).orElseThrow();
            assertThat(batch.inputPerMillion()).as(model).isCloseTo(list.inputPerMillion() / 2, within(1e-12));
            assertThat(batch.outputPerMillion()).as(model).isCloseTo(list.outputPerMillion() / 2, within(1e-12));
        });
        assertThat(BUILT_IN.batchPrice("claude-sonnet-4-5-20250929")).contains(new Price(1.5, 7.5));
        assertThat(BUILT_IN.batchPrice("llama-3-8b")).isEmpty();
    }

    @Test
    void anOverrideReplacesTheBatchPriceToo() throws Exception {
        Path file = tmp.resolve("prices.yaml");
        Files.writeString(file, """
                gpt-4o: {input: 2.0, output: 8.0}
                gpt-4o-mini: {input: 0.2, output: 0.8, batch_input: 0.09, batch_output: 0.35}
                my-model: {input: 1, output: 2, batch_input: 0.5, batch_output: 1}
                """);
        PriceTable table = BUILT_IN.withOverrides(file);
        // a new list price without batch fields must not keep the old (now stale) batch price
        assertThat(table.batchPrice("gpt-4o")).isEmpty();
        assertThat(table.batchPrice("gpt-4o-mini")).contains(new Price(0.09, 0.35));
        assertThat(table.batchPrice("my-model-v2")).contains(new Price(0.5, 1));
        assertThat(table.batchPrice("gpt-5")).isEqualTo(BUILT_IN.batchPrice("gpt-5"));
    }

    @Test
    void aBatchPriceNeedsBothFields() throws Exception {
        Path file = tmp.resolve("prices.json");
        Files.writeString(file, "{\"m\": {\"input\": 1, \"output\": 2, \"batch_input\": 0.5}}");
        assertThatThrownBy(() -> BUILT_IN.withOverrides(file)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("prices.json").hasMessageContaining("'m'").hasMessageContaining("batch_output");
    }

    @Test
    void priceComputesUsd() {
        assertThat(new Price(2.5, 10).usd(new Usage(1_000_000, 100_000))).isCloseTo(3.5, within(1e-12));
        assertThatThrownBy(() -> new Price(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Price(Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
