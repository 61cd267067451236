package dev.granular.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.io.InvalidConfigException;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.OutputOverlap;
import dev.granular.files.ShardWriter;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * {@code granular export}: canonical records → a trainer's format, exact or refused.
 * Refused records go to {@code DIR/rejected.jsonl} with the reason and are counted; the
 * files a trainer needs beside the rows (axolotl's dataset stanza, LLaMA-Factory's
 * dataset_info.json) are written too.
 *
 * <pre>{@code
 * ExportJob.Result r = ExportJob.run(ExportJob.Spec.of(List.of(Path.of("out/in2")), ExportFormat.AXOLOTL,
 *         Path.of("out/in2-axolotl")));
 * }</pre>
 */
public final class ExportJob {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What to export. Start from {@link #of} and change what differs with the withers.
     *
     * @param in          canonical records: JSONL files, or directories of them (another command's output folder)
     * @param format      the trainer's format
     * @param out         the output directory
     * @param shardSize   rows per data file
     * @param overwrite   replace a different run in {@code out}
     * @param commandLine what the manifest and the card record as the command that made the data
     */
    public record Spec(List<Path> in, ExportFormat format, Path out, int shardSize, boolean overwrite, List<String> commandLine) {
        public Spec {
            if (shardSize < 1) {
                throw new InvalidConfigException("${shardSize} must be at least 1, got " + shardSize);
            }
            in = List.copyOf(in);
            commandLine = List.copyOf(commandLine);
        }

        /**
         * {@code in} delivered as {@code format} into {@code out} with the defaults of {@code granular export}: shards
         * of 10,000 rows, no overwrite, the command line {@code ["export"]} in the manifest.
         */
        public static Spec of(List<Path> in, ExportFormat format, Path out) {
            return new Spec(in, format, out, 10_000, false, List.of("export"));
        }

        /** Rows per data file ({@code --shard-size}). */
        public Spec withShardSize(int v) {
            return new Spec(in, format, out, v, overwrite, commandLine);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean v) {
            return new Spec(in, format, out, shardSize, v, commandLine);
        }

        /** The command line the manifest and card record. */
        public Spec withCommandLine(List<String> v) {
            return new Spec(in, format, out, shardSize, overwrite, v);
        }
    }

    /** What an export did. */
    public record Result(long records, long exported, long rejected, Map<String, Long> rejectedByReason) {
    }

    private ExportJob() {
    }

    public static Result run(Spec spec) {
        return run(spec, n -> { });
    }

    /**
     * The identity of an export run that every export format shares (its output folder refuses another run with a
     * different one): the format, the inputs as given and a fingerprint of their data files.
     */
    static Map<String, Object> identity(String format, List<Path> in) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("format", format);
        identity.put("input", JsonlInput.manifestValue(in));
        identity.put("input_sha256", CorpusReader.fingerprint(RecordReader.dataFiles(in)));
        return identity;
    }

    /** As {@link #run(Spec)}, telling {@code progress} how many more records were read, as they are. */
    public static Result run(Spec spec, LongConsumer progress) {
        Instant started = Instant.now();
        // --out inside (or holding) an input is refused before the input is read: cheapest first, and the clearest reason
        OutputOverlap.check(spec.out(), spec.in());
        Map<String, Object> identity = identity(spec.format().wireName(), spec.in());
        OutputDirectory dir = OutputDirectory.open(spec.out(), "export", identity, spec.shardSize(), spec.overwrite(),
                spec.in());
        try {
            return write(spec, dir, identity, started, progress);
        } catch (RuntimeException e) {
            dir.abandon(e);
            throw e;
        }
    }

    private static Result write(Spec spec, OutputDirectory dir, Map<String, Object> identity, Instant started,
                                LongConsumer progress) {
        long records = 0;
        long exported = 0;
        Map<String, Long> byReason = new TreeMap<>();
        StringBuilder rejected = new StringBuilder();
        // Exporting is a pure transform of the input: each run rewrites the whole output.
        try (ShardWriter w = dir.rewriter(); Stream<TrainingRecord> in = RecordReader.read(spec.in())) {
            for (var it = in.iterator(); it.hasNext(); ) {
                TrainingRecord r = it.next();
                records++;
                progress.accept(1);
                switch (spec.format().export(r)) {
                    case Exported.Row row -> {
                        w.write(JSON.writeValueAsString(row.row()));
                        exported++;
                    }
                    case Exported.Rejected rej -> {
                        byReason.merge(rej.reason(), 1L, Long::sum);
                        rejected.append(JSON.writeValueAsString(Map.of("id", r.id(), "reason", rej.reason()))).append('\n');
                    }
                }
            }
            w.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + spec.out(), e);
        }
        long nRejected = records - exported;
        if (nRejected > 0) {
            AtomicFiles.write(dir.dir().resolve("rejected.jsonl"), rejected.toString());
        }
        writeTrainerFiles(dir, spec);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("format", spec.format().wireName());
        summary.put("records", records);
        summary.put("exported", exported);
        summary.put("rejected", nRejected);
        summary.put("rejected_by_reason", byReason);
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.train("granular export: " + spec.format().wireName(), exported, List.of("text-generation"),
                "sft", spec.format().wireName()).withFeaturesOf(dir.dir()).card(card(spec, records, exported, nRejected, byReason)));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("tool", "granular");
        manifest.put("command", "export");
        manifest.put("command_line", spec.commandLine());
        manifest.put("format", spec.format().wireName());
        manifest.put("input", identity.get("input"));
        manifest.put("input_sha256", identity.get("input_sha256"));
        manifest.put("fingerprint", dir.fingerprint());
        manifest.put("counts", summary);
        manifest.put("started", started.toString());
        manifest.put("ended", Instant.now().toString());
        dir.finish(manifest);
        return new Result(records, exported, nRejected, byReason);
    }

    /**
     * The config a trainer needs to read the rows exactly as granular marked them. Its paths are
     * relative to the output folder, so the folder can be moved or copied to the training machine.
     */
    private static void writeTrainerFiles(OutputDirectory dir, Spec spec) {
        String dataPath = "data";
        switch (spec.format()) {
            case AXOLOTL -> AtomicFiles.write(dir.dir().resolve("axolotl.yaml"), """
                    # Dataset stanza for axolotl: merge it into your config.
                    # train / train_detail carry granular's loss masks; train_detail end offsets are inclusive
                    # code points (axolotl's convention). roles_to_train is empty on purpose: the per-message
                    # flags decide. train_on_eos: turn trains the end-of-turn token of each trained turn.
                    # path is relative to this folder (granular writes no absolute paths): run axolotl from
                    # this folder, or put the folder's location in front of it.
                    datasets:
                      - path: %s
                        type: chat_template
                        field_messages: messages
                        message_field_training: train
                        message_field_training_detail: train_detail
                        roles_to_train: []
                        train_on_eos: turn
                    """.formatted(dataPath));
            case LLAMAFACTORY -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("file_name", dataPath);
                entry.put("formatting", "sharegpt");
                Map<String, Object> columns = new LinkedHashMap<>();
                columns.put("messages", "conversations");
                columns.put("system", "system");
                columns.put("tools", "tools");
                entry.put("columns", columns);
                Map<String, Object> tags = new LinkedHashMap<>();
                tags.put("role_tag", "from");
                tags.put("content_tag", "value");
                tags.put("user_tag", "human");
                tags.put("assistant_tag", "gpt");
                entry.put("tags", tags);
                try {
                    AtomicFiles.write(dir.dir().resolve("dataset_info.json"),
                            PRETTY.writeValueAsString(Map.of(dir.dir().getFileName().toString(), entry)) + "\n");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            case OPENAI, TRL -> {
                // The rows are all these trainers need.
            }
        }
    }

    private static String card(Spec spec, long records, long exported, long rejected, Map<String, Long> byReason) {
        StringBuilder md = new StringBuilder("# Export: " + spec.format().wireName() + "\n\n");
        md.append("Made by granular with `granular ").append(String.join(" ", spec.commandLine())).append("` from `")
                .append(JsonlInput.names(spec.in())).append("`.\n\n");
        md.append("| | |\n|---|---|\n| records read | ").append(records).append(" |\n| exported | ").append(exported)
                .append(" |\n| rejected (rejected.jsonl) | ").append(rejected).append(" |\n\n");
        if (!byReason.isEmpty()) {
            md.append("Rejected because the format cannot carry their loss mask exactly:\n\n");
            byReason.forEach((k, v) -> md.append("- ").append(v).append(" × ").append(k).append('\n'));
            md.append('\n');
        }
        md.append(switch (spec.format()) {
            case OPENAI -> "Upload `data/*.jsonl` as an OpenAI fine-tuning file; `weight` 0/1 marks which assistant messages are trained.\n";
            case AXOLOTL -> "Merge `axolotl.yaml` into your axolotl config (type `chat_template`, per-message `train` and `train_detail`). "
                    + "Its `path: data` is relative to this folder: run axolotl from here, or put the folder's location in front.\n";
            case TRL -> "Load with `datasets.load_dataset(\"json\", data_files=\"data/*.jsonl\")` and train with TRL's SFTTrainer: "
                    + "prompt/completion rows train the completion only; messages rows need `assistant_only_loss=True`.\n";
            case LLAMAFACTORY -> "Point LLaMA-Factory's `dataset_dir` at this folder (the entry's `file_name: data` is relative to it), "
                    + "or copy the entry into your own `dataset_info.json` with the folder's location in front of `data`; keep "
                    + "`mask_history: false` and `train_on_prompt: false` (the defaults).\n";
        });
        return md.toString();
    }
}
