package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * USD per 1M input and output tokens by model name: a built-in table
 * ({@code dev/granular/teacher/prices.json}, with its {@code as_of} date) that {@code --prices FILE}
 * overrides and extends.
 *
 * <p>A model is priced by its exact name, else by the longest table name it starts with followed by
 * {@code -}, so dated snapshots and aliases cost what their family costs
 * ({@code gpt-4o-2024-08-06} and {@code claude-sonnet-4-5-20250929} match {@code gpt-4o} and
 * {@code claude-sonnet-4-5}; {@code gpt-4o-mini-...} matches {@code gpt-4o-mini}, the longer name).
 * A variant priced differently from its family (e.g. {@code o3-pro}) needs its own entry in
 * {@code --prices}. A model with no match, typically one on a local server, costs nothing and is
 * reported as unpriced.
 */
public final class PriceTable {
    private static final String BUILT_IN = "prices.json";

    private final Map<String, Price> prices;
    /** Batch API prices by the same names; a model without one here has no known batch price. */
    private final Map<String, Price> batchPrices;
    private final String asOf;

    private PriceTable(Map<String, Price> prices, Map<String, Price> batchPrices, String asOf) {
        this.prices = Map.copyOf(prices);
        this.batchPrices = Map.copyOf(batchPrices);
        this.asOf = asOf;
    }

    /** The built-in table. */
    /** The built-in table, with {@code overrides} (a JSON or YAML prices file) applied when not null. */
    public static PriceTable builtIn(java.nio.file.Path overrides) {
        return overrides == null ? builtIn() : builtIn().withOverrides(overrides);
    }

    public static PriceTable builtIn() {
        try (InputStream in = PriceTable.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("the built-in price table " + BUILT_IN + " is missing from the jar");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Parsed parsed = parse(root.path("models"), BUILT_IN);
            return new PriceTable(parsed.list(), parsed.batch(), root.path("as_of").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in price table", e);
        }
    }

    /** A table of exactly these prices, with no batch prices (for tests and embedding). */
    public static PriceTable of(Map<String, Price> prices, String asOf) {
        return new PriceTable(prices, Map.of(), asOf);
    }

    /** A table of exactly these list and batch prices (for tests and embedding). */
    public static PriceTable of(Map<String, Price> prices, Map<String, Price> batchPrices, String asOf) {
        return new PriceTable(prices, batchPrices, asOf);
    }

    /**
     * This table with {@code file}'s prices added or replacing the same names. {@code file} is YAML
     * when it ends in {@code .yaml} or {@code .yml}, else JSON, shaped {@code {MODEL: {input: USD, output: USD}}}
     * (USD per 1M tokens), each entry optionally with {@code batch_input} and {@code batch_output}
     * (both or neither: the batch API price), or shaped like the built-in file: that mapping under
     * {@code models}, beside an optional {@code as_of} date and {@code note}, so a copy of the built-in
     * file can be edited. An entry replaces the model's batch price too: one without batch fields has
     * no batch price, rather than a stale one from the table it overrides.
     *
     * @throws BadInputException naming the file and the offending model for a malformed file
     */
    public PriceTable withOverrides(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? new YAMLMapper() : new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new BadInputException(file, 0, "no such price file");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new BadInputException(file, at == null ? 0 : Math.max(0, at.getLineNr()), "not valid "
                    + (mapper instanceof YAMLMapper ? "YAML" : "JSON") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException("cannot read the price file " + file + ": " + e.getMessage(), e);
        }
        boolean wrapped = isBuiltInShape(root);
        Parsed parsed = parse(wrapped ? root.get("models") : root, file.toString());
        Map<String, Price> merged = new LinkedHashMap<>(prices);
        merged.putAll(parsed.list());
        Map<String, Price> mergedBatch = new LinkedHashMap<>(batchPrices);
        mergedBatch.keySet().removeAll(parsed.list().keySet());
        mergedBatch.putAll(parsed.batch());
        String fileAsOf = wrapped && root.hasNonNull("as_of") ? " (as of " + root.get("as_of").asText() + ")" : "";
        return new PriceTable(merged, mergedBatch, asOf + " + " + file + fileAsOf);
    }

    /** The price of {@code spec}'s model, if the table knows it. */
    public Optional<Price> price(ModelSpec spec) {
        return price(spec.model());
    }

    /** The price of {@code model}: exact name, else the longest name it extends with {@code -}. */
    public Optional<Price> price(String model) {
        return matchedName(model).map(prices::get);
    }

    /**
     * The batch API price of {@code model} (OpenAI Batch, Anthropic Message Batches), matched by name
     * as {@link #price(String)} matches; empty when the table has no batch price for it.
     */
    public Optional<Price> batchPrice(String model) {
        return matchedName(model).map(batchPrices::get);
    }

    /** The batch API price of {@code spec}'s model, if the table knows it. */
    public Optional<Price> batchPrice(ModelSpec spec) {
        return batchPrice(spec.model());
    }

    /** The table name that prices {@code model}: the exact name, else the longest one it extends with {@code -}. */
    private Optional<String> matchedName(String model) {
        if (prices.containsKey(model)) {
            return Optional.of(model);
        }
        String best = null;
        for (String name : prices.keySet()) {
            if (model.length() > name.length() && model.startsWith(name) && model.charAt(name.length()) == '-'
                    && (best == null || name.length() > best.length())) {
                best = name;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Where the prices come from: the built-in date, plus override files. */
    public String asOf() {
        return asOf;
    }

    /** Every listed model and its price. */
    public Map<String, Price> entries() {
        return prices;
    }

    /** Every model with a batch price, and that price. */
    public Map<String, Price> batchEntries() {
        return batchPrices;
    }

    /**
     * Whether {@code root} is shaped like the built-in file: {@code models} holding the mapping, and
     * nothing else but {@code as_of} and {@code note}. A model named {@code models} (an object with
     * {@code input} and {@code output}) is a plain mapping.
     */
    private static boolean isBuiltInShape(JsonNode root) {
        if (root == null || !root.isObject() || !root.path("models").isObject() || root.path("models").has("input")) {
            return false;
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!e.getKey().equals("models") && !e.getKey().equals("as_of") && !e.getKey().equals("note")) {
                return false;
            }
        }
        return true;
    }

    /** A price file's list prices, and the batch prices of the entries that give them. */
    private record Parsed(Map<String, Price> list, Map<String, Price> batch) {
    }

    private static Parsed parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new BadInputException(source, 0, "expected a mapping {MODEL: {input: USD_per_1M, output: USD_per_1M}}");
        }
        Map<String, Price> list = new LinkedHashMap<>();
        Map<String, Price> batch = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String model = e.getKey();
            JsonNode v = e.getValue();
            list.put(model, entry(model, v, source));
            if (v.has("batch_input") || v.has("batch_output")) {
                String where = "model '" + model + "': ";
                if (!v.has("batch_input") || !v.has("batch_output")) {
                    throw new BadInputException(source, 0, where + "give both batch_input and batch_output, or neither");
                }
                batch.put(model, new Price(usd(v, "batch_input", where, source), usd(v, "batch_output", where, source)));
            }
        }
        return new Parsed(list, batch);
    }

    private static final java.util.Set<String> FIELDS = java.util.Set.of("input", "output", "batch_input", "batch_output");

    private static Price entry(String model, JsonNode v, String source) {
        String where = "model '" + model + "': ";
        if (model.isBlank()) {
            throw new BadInputException(source, 0, "a model name is empty");
        }
        if (!v.isObject()) {
            throw new BadInputException(source, 0, where + "expected {input: USD_per_1M, output: USD_per_1M}");
        }
        for (Map.Entry<String, JsonNode> f : v.properties()) {
            if (!FIELDS.contains(f.getKey())) {
                throw new BadInputException(source, 0, where + "unknown field '" + f.getKey()
                        + "' (input, output, batch_input, batch_output)");
            }
        }
        return new Price(usd(v, "input", where, source), usd(v, "output", where, source));
    }

    private static double usd(JsonNode v, String field, String where, String source) {
        JsonNode n = v.get(field);
        if (n == null || !n.isNumber()) {
            throw new BadInputException(source, 0, where + "'" + field + "' must be a number (USD per 1M tokens)");
        }
        double d = n.asDouble();
        if (!(d >= 0) || Double.isInfinite(d)) {
            throw new BadInputException(source, 0, where + "'" + field + "' must be >= 0, got " + n.asText());
        }
        return d;
    }
}
