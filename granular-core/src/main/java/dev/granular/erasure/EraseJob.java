package dev.granular.erasure;

import dev.granular.erasure.internal.ErasedRecords;
import dev.granular.erasure.internal.EraseInput;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.report.Charts;
import dev.granular.report.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code granular erase}: Prompt Erasure as a pure transform of existing data. No model is
 * called, so a rerun simply rewrites the same bytes; the report counts how often each distinct
 * erased prompt occurred, which shows how many strategy families the source data mixed.
 */
public final class EraseJob {
    /**
     * What to run. Start from {@link #of} and change what differs with the withers.
     *
     * @param in            the input rows: JSONL files or directories of them, read in order
     * @param format        how the rows are written ({@link EraseFormat#AUTO} tells by the first row)
     * @param systemMessage the generic system message every record gets
     * @param limit         take only the first rows (0 = all)
     * @param top           how many of the most frequent erased prompts the report lists and plots
     * @param out           the output directory
     * @param shardSize     records per data file
     * @param overwrite     replace a different run in {@code out}
     * @param commandLine   what the manifest and the card record as the command that made the data
     */
    public record Spec(List<Path> in, EraseFormat format, String systemMessage, long limit, int top, Path out, int shardSize,
                       boolean overwrite, List<String> commandLine) {
        public Spec {
            // Named by field, not flag: the CLI shows --top, a recipe its key (InvalidConfigException#message).
            if (systemMessage == null || systemMessage.isBlank()) {
                throw new InvalidConfigException("${systemMessage} must not be empty");
            }
            if (top < 1) {
                throw new InvalidConfigException("${top} must be at least 1, got " + top);
            }
            if (limit < 0) {
                throw new InvalidConfigException("${limit} must be 0 (all rows) or more, got " + limit);
            }
            if (shardSize < 1) {
                throw new InvalidConfigException("${shardSize} must be at least 1, got " + shardSize);
            }
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
        }

        /**
         * {@code in} erased into {@code out} with the defaults of {@code granular erase}: the format told by the first
         * row, {@link Erasure#DEFAULT_SYSTEM_MESSAGE}, every row, the 20 most frequent erased prompts in the report,
         * shards of 10,000 records, no overwrite. The command line the manifest records is {@code ["erase"]}; the CLI
         * gives its own ({@link #withCommandLine}).
         *
         * <pre>{@code
         * EraseJob.run(EraseJob.Spec.of(List.of(Path.of("openorca.jsonl")), Path.of("out/erased"))
         *         .withFormat(EraseFormat.OPENORCA).withTop(5));
         * }</pre>
         */
        public static Spec of(List<Path> in, Path out) {
            return new Spec(in, EraseFormat.AUTO, Erasure.DEFAULT_SYSTEM_MESSAGE, 0, 20, out, 10_000, false, List.of("erase"));
        }

        /** How the rows are written ({@code --input-format}). */
        public Spec withFormat(EraseFormat v) {
            return new Spec(in, v, systemMessage, limit, top, out, shardSize, overwrite, commandLine);
        }

        /** The generic system message every record gets ({@code --system-message}). */
        public Spec withSystemMessage(String v) {
            return new Spec(in, format, v, limit, top, out, shardSize, overwrite, commandLine);
        }

        /** Only the first {@code v} rows; 0 reads all ({@code --limit}). */
        public Spec withLimit(long v) {
            return new Spec(in, format, systemMessage, v, top, out, shardSize, overwrite, commandLine);
        }

        /** How many erased prompts the report lists ({@code --top}). */
        public Spec withTop(int v) {
            return new Spec(in, format, systemMessage, limit, v, out, shardSize, overwrite, commandLine);
        }

        /** Records per data file ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(in, format, systemMessage, limit, top, out, v, overwrite, commandLine);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(in, format, systemMessage, limit, top, out, shardSize, v, commandLine);
        }

        /** The command line the manifest and card record. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(in, format, systemMessage, limit, top, out, shardSize, overwrite, v);
        }
    }

    /** One distinct erased prompt and how often it occurred. */
    public record PromptCount(String sha256, String label, long count) {
    }

    /** What a run did. */
    public record Result(Path out, long records, List<PromptCount> prompts) {
    }

    private EraseJob() {
    }

    public static Result run(Spec spec) {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.in());
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("format", spec.format().name());
        identity.put("system_message_sha256", Json.sha256Hex(spec.systemMessage()));
        identity.put("limit", spec.limit());
        identity.put("input", JsonlInput.manifestValue(spec.in()));
        identity.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.in())));
        // a first pass only checks every row, so bad input stops the run before the output folder is touched
        JsonlInput.check(spec.in(), EraseInput.format(spec.format()), spec.limit());
        OutputDirectory dir = OutputDirectory.open(spec.out(), "erase", identity, spec.shardSize(), spec.overwrite(),
                spec.in());
        Map<String, PromptCount> counts = new LinkedHashMap<>();
        long[] records = {0};
        try (ShardWriter w = dir.rewriter()) {
            forEachRow(spec, row -> {
                var rec = ErasedRecords.erase(row, spec.systemMessage());
                w.write(RecordJson.toJson(rec));
                records[0]++;
                String sha = (String) rec.meta().get("erased_sha256");
                String key = sha == null ? "none" : sha;
                PromptCount old = counts.get(key);
                counts.put(key, new PromptCount(sha, ErasedRecords.label(row.erased()), old == null ? 1 : old.count() + 1));
            });
            w.finish();
        }
        List<PromptCount> ranked = new ArrayList<>(counts.values());
        ranked.sort(Comparator.comparingLong(PromptCount::count).reversed()
                .thenComparing(p -> p.sha256() == null ? "" : p.sha256()));
        writeReport(dir, spec, records[0], ranked, started);
        return new Result(spec.out(), records[0], ranked);
    }

    /** Parses the rows in order, checking ids are unique; stops at the first bad row with file:line. */
    private static void forEachRow(Spec spec, java.util.function.Consumer<EraseInput.Row> consumer) {
        try (Stream<EraseInput.Row> rows = JsonlInput.stream(spec.in(), EraseInput.format(spec.format()), spec.limit())) {
            rows.forEach(consumer);
        }
    }

    private static void writeReport(OutputDirectory dir, Spec spec, long records, List<PromptCount> ranked, Instant started) {
        List<PromptCount> top = ranked.subList(0, Math.min(spec.top(), ranked.size()));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("records", records);
        summary.put("distinct_erased_prompts", ranked.stream().filter(p -> p.sha256() != null).count());
        summary.put("rows_without_system_prompt", ranked.stream().filter(p -> p.sha256() == null)
                .mapToLong(PromptCount::count).sum());
        List<Object> list = new ArrayList<>();
        for (PromptCount p : top) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", p.label());
            m.put("sha256", p.sha256());
            m.put("count", p.count());
            list.add(m);
        }
        summary.put("top_erased_prompts", list);
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
            if (!top.isEmpty()) {
                List<String> labels = new ArrayList<>();
                for (int i = 0; i < top.size(); i++) {
                    String l = top.get(i).label();
                    labels.add((i + 1) + ". " + (l.length() > 40 ? l.substring(0, 37) + "..." : l));
                }
                Charts.barChartPng(dir.reportDir().resolve("erased_prompts.png"), "Most frequent erased system prompts",
                        "erased prompt (first words)", "rows", labels, top.stream().map(PromptCount::count).toList());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder card = new StringBuilder("# Erased data\n\nMade by granular with `granular ")
                .append(String.join(" ", spec.commandLine())).append("`.\n\nEach record of `").append(JsonlInput.names(spec.in()))
                .append("` had its system prompt replaced by one generic system message, so a model trained on it must ")
                .append("choose how to answer from the task alone. `meta.erased_sha256` and `meta.erased_label` (its first ")
                .append(ErasedRecords.LABEL_WORDS).append(" words) keep track of what was erased. Nothing else changed: training masks, tools and the rows' own ")
                .append("meta are kept (a row's own `design` or `source` moves to `original_design`, `original_source`).\n\n")
                .append("System message of every record:\n\n> ").append(spec.systemMessage().replace("\n", "\n> "))
                .append("\n\n| | |\n|---|---|\n| records | ").append(records).append(" |\n| distinct erased prompts | ")
                .append(summary.get("distinct_erased_prompts")).append(" |\n| rows without a system prompt | ")
                .append(summary.get("rows_without_system_prompt")).append(" |\n\n## Most frequent erased prompts\n\n")
                .append("| rows | label | sha256 |\n|---|---|---|\n");
        for (PromptCount p : top) {
            card.append("| ").append(p.count()).append(" | ").append(p.label().replace("|", "\\|")).append(" | ")
                    .append(p.sha256() == null ? "" : p.sha256().substring(0, 12)).append(" |\n");
        }
        AtomicFiles.write(dir.dir().resolve("README.md"),
                HubCard.train("granular erase", records, List.of("text-generation"), "prompt-erasure").withFeaturesOf(dir.dir()).card(card.toString()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", "erase");
        m.put("command_line", spec.commandLine());
        m.put("input", JsonlInput.manifestValue(spec.in()));
        m.put("input_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.in())));
        m.put("fingerprint", dir.fingerprint());
        m.put("complete", true);
        m.put("counts", Map.of("records", records));
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        dir.finish(m);
    }
}
