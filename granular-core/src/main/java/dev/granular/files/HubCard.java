package dev.granular.files;

import dev.granular.io.BadInputException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The YAML front matter of a dataset card ({@code README.md}) that makes an output directory load with
 * Hugging Face's {@code datasets.load_dataset(DIR)} as it is, and describes it on the Hub.
 *
 * <p>{@code configs[0].data_files} maps each split to a glob relative to the directory (never an absolute
 * path, so the folder can be moved or uploaded): without it {@code load_dataset} would guess the files
 * from their names and also read {@code rejected.jsonl}, {@code failed.jsonl} or {@code report/*.json}.
 * {@code size_categories} is computed from the row count with the Hub's bins. {@code license} is
 * {@code unknown} unless given: granular cannot know the license of the user's sources.
 *
 * @param prettyName     the card's title
 * @param splits         split name to data-file glob, relative to the directory, in order
 * @param rows           rows in all splits together (for {@code size_categories})
 * @param license        an SPDX-like Hub license id, or {@code unknown}
 * @param taskCategories Hub task categories ({@code text-generation}, {@code question-answering}, ...)
 * @param language       ISO 639-1 codes
 * @param tags           free tags; {@code granular} is always among them
 * @param features       {@code dataset_info.features} ({@link HubFeatures}), or null to let {@code datasets} infer them
 */
public record HubCard(String prettyName, Map<String, String> splits, long rows, String license,
                      List<String> taskCategories, List<String> language, List<String> tags, List<Object> features) {
    /** Where every command's rows are: {@code data/part-NNNNN.jsonl} (see {@link OutputDirectory}). */
    public static final String JSONL_SHARDS = "data/part-*.jsonl";
    /** Pre-tokenized exports: {@code data/part-NNNNN.parquet}. */
    public static final String PARQUET_SHARDS = "data/part-*.parquet";

    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));

    public HubCard {
        Objects.requireNonNull(prettyName, "prettyName");
        if (splits.isEmpty()) {
            throw new IllegalArgumentException("a card needs at least one split");
        }
        for (String glob : splits.values()) {
            if (glob.startsWith("/") || glob.contains("..") || glob.contains("\\")) {
                throw new IllegalArgumentException("data_files must be relative to the folder: " + glob);
            }
        }
        splits = Collections.unmodifiableMap(new LinkedHashMap<>(splits)); // keeps the split order
        license = license == null || license.isBlank() ? "unknown" : license;
        taskCategories = List.copyOf(taskCategories);
        language = List.copyOf(language);
        List<String> t = new ArrayList<>(List.of("granular"));
        tags.stream().filter(x -> !t.contains(x)).forEach(t::add);
        tags = List.copyOf(t);
    }

    /** One {@code train} split of JSONL shards, English, license unknown: what most commands write. */
    public static HubCard train(String prettyName, long rows, List<String> taskCategories, String... tags) {
        return new HubCard(prettyName, Map.of("train", JSONL_SHARDS), rows, "unknown", taskCategories, List.of("en"),
                List.of(tags), null);
    }

    /** One {@code test} split of JSONL shards: evaluation sets and scored results. */
    public static HubCard test(String prettyName, long rows, List<String> taskCategories, String... tags) {
        return new HubCard(prettyName, Map.of("test", JSONL_SHARDS), rows, "unknown", taskCategories, List.of("en"),
                List.of(tags), null);
    }

    /** This card with other splits (split name to glob, in order). */
    public HubCard withSplits(Map<String, String> newSplits) {
        return new HubCard(prettyName, newSplits, rows, license, taskCategories, language, tags, features);
    }

    /** This card with a license id ({@code null} or blank: unknown). */
    public HubCard withLicense(String newLicense) {
        return new HubCard(prettyName, splits, rows, newLicense, taskCategories, language, tags, features);
    }

    /** This card with the features of rows typed where they were written: {@link #withFeaturesOf} without reading them. */
    public HubCard withFeatures(RowTypes types) {
        return new HubCard(prettyName, splits, rows, license, taskCategories, language, tags, types.features().orElse(null));
    }

    /**
     * This card with the features of the JSONL rows its splits name in {@code dir} (see {@link HubFeatures}: so
     * that {@code load_dataset} never meets a key its first block lacked). Reads those files once. Parquet
     * splits carry their own schema: a card with one is returned as it is.
     */
    public HubCard withFeaturesOf(Path dir) {
        List<Path> files = new ArrayList<>();
        for (String glob : splits.values()) {
            if (!glob.endsWith(".jsonl")) {
                return this;
            }
            files.addAll(match(dir, glob));
        }
        return new HubCard(prettyName, splits, rows, license, taskCategories, language, tags,
                HubFeatures.of(files).orElse(null));
    }

    /** The Hub's {@code size_categories} bin for a row count. */
    public static String sizeCategory(long rows) {
        if (rows < 1_000) {
            return "n<1K";
        }
        String[] names = {"1K", "10K", "100K", "1M", "10M", "100M", "1B", "10B", "100B", "1T"};
        long lo = 1_000;
        for (int i = 0; i < names.length - 1; i++) {
            long hi = lo * 10;
            if (rows < hi) {
                return names[i] + "<n<" + names[i + 1];
            }
            lo = hi;
        }
        return "n>1T";
    }

    /** The front matter: {@code ---}, the YAML, {@code ---}, then a blank line. */
    public String frontMatter() {
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("pretty_name", prettyName);
        y.put("license", license);
        y.put("language", language);
        y.put("task_categories", taskCategories);
        y.put("size_categories", List.of(sizeCategory(rows)));
        y.put("tags", tags);
        if (features != null) {
            y.put("dataset_info", Map.of("features", features));
        }
        List<Map<String, String>> files = new ArrayList<>();
        splits.forEach((split, glob) -> {
            Map<String, String> f = new LinkedHashMap<>();
            f.put("split", split);
            f.put("path", glob);
            files.add(f);
        });
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("config_name", "default");
        config.put("data_files", files);
        y.put("configs", List.of(config));
        try {
            return "---\n" + YAML.writeValueAsString(y) + "---\n\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The whole card: the front matter, then {@code markdown}. */
    public String card(String markdown) {
        return frontMatter() + markdown;
    }

    /** The front matter of a card file, parsed; empty when it has none. */
    public static Map<String, Object> readFrontMatter(Path readme) {
        try {
            String text = Files.readString(readme, StandardCharsets.UTF_8);
            if (!text.startsWith("---\n")) {
                return Map.of();
            }
            int end = text.indexOf("\n---\n", 3);
            if (end < 0) {
                throw new BadInputException(readme + ": the front matter opened on line 1 is never closed with ---");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> y = YAML.readValue(text.substring(4, end + 1), Map.class);
            return y == null ? Map.of() : y;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + readme, e);
        }
    }

    /**
     * The files each split of {@code dir}'s card names, as {@code load_dataset(dir)} would read them (the first
     * config's {@code data_files} globs matched against paths relative to {@code dir}, sorted); a split
     * whose glob matches nothing maps to an empty list.
     */
    public static Map<String, List<Path>> dataFiles(Path dir) {
        Map<String, Object> y = readFrontMatter(dir.resolve("README.md"));
        Map<String, List<Path>> out = new LinkedHashMap<>();
        if (!(y.get("configs") instanceof List<?> configs) || configs.isEmpty()
                || !(configs.get(0) instanceof Map<?, ?> config) || !(config.get("data_files") instanceof List<?> files)) {
            return out;
        }
        for (Object f : files) {
            if (f instanceof Map<?, ?> m) {
                out.put(String.valueOf(m.get("split")), match(dir, String.valueOf(m.get("path"))));
            }
        }
        return out;
    }

    /** The regular files under {@code dir} whose path relative to it matches {@code glob}, sorted. */
    public static List<Path> match(Path dir, String glob) {
        PathMatcher matcher = dir.getFileSystem().getPathMatcher("glob:" + glob);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(p -> matcher.matches(dir.relativize(p))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}
