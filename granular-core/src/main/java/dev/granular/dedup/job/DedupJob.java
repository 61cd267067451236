package dev.granular.dedup.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.record.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * {@code granular dedup}: decontaminates and dedups canonical record files on one machine ({@link Dedup}), writing
 * the kept records, in input order, to {@code OUT/data/part-NNNNN.jsonl}, what was removed and why to
 * {@code OUT/removed.jsonl} (one line per removed record, in input order: {@code id}, {@code source}
 * ({@code FILE:LINE}), {@code reason}, and for a duplicate {@code of} (the kept or earlier record's id) and for a
 * near duplicate {@code jaccard}), and {@code manifest.json} last, with the counts. Nothing half-written is left as
 * finished output; a finished output with the same configuration and inputs is reused.
 */
public final class DedupJob {
    /** The command name manifests give. */
    public static final String COMMAND = "dedup";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DedupJob() {
    }

    /**
     * What to dedup and where.
     *
     * @param in          canonical record files or folders of them, read in order (ids unique across them)
     * @param commandLine as the manifest records it
     */
    public record Spec(List<Path> in, Path out, DedupConfig config, int shardSize, boolean overwrite, List<String> commandLine) {
        public Spec {
            in = List.copyOf(in);
            Objects.requireNonNull(out, "out");
            Objects.requireNonNull(config, "config");
            commandLine = List.copyOf(commandLine);
        }

        /** Exact dedup only, shards of 10,000 rows. */
        public static Spec of(List<Path> in, Path out) {
            return new Spec(in, out, DedupConfig.DEFAULT, 10_000, false, List.of(COMMAND));
        }

        public Spec withConfig(DedupConfig c) {
            return new Spec(in, out, c, shardSize, overwrite, commandLine);
        }

        public Spec withShardSize(int n) {
            return new Spec(in, out, config, n, overwrite, commandLine);
        }

        public Spec withOverwrite(boolean o) {
            return new Spec(in, out, config, shardSize, o, commandLine);
        }

        public Spec withCommandLine(List<String> line) {
            return new Spec(in, out, config, shardSize, overwrite, line);
        }
    }

    /** What a run did. */
    public record Result(Path out, Dedup.Counts counts, boolean alreadyComplete, Duration elapsed) {
    }

    /** The output-changing identity of a run over {@code files} ({@code engine} names who computes it). */
    public static Map<String, Object> identity(Spec spec, List<Path> files, String engine) {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("input", JsonlInput.manifestValue(spec.in()));
        id.put("input_sha256", CorpusReader.fingerprint(files));
        id.putAll(spec.config().describe());
        id.put("engine", engine);
        return id;
    }

    /** Every path a run reads, for the output-overlap check. */
    public static List<Path> inputs(Spec spec) {
        List<Path> all = new ArrayList<>(spec.in());
        all.addAll(spec.config().decontaminate());
        return all;
    }

    /** The line of {@code removed.jsonl} for a removed record (shared by the Spark job, so that both write the same bytes). */
    public static String removedLine(String id, String source, Dedup.Removed r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("source", source);
        m.put("reason", r.reason().wireName());
        if (r.of() != null) {
            m.put("of", r.of());
        }
        if (r.jaccard() != null) {
            m.put("jaccard", r.jaccard());
        }
        try {
            return JSON.writeValueAsString(m) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The counts as the manifest gives them. */
    public static Map<String, Object> countsJson(Dedup.Counts c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("read", c.read());
        m.put("kept", c.kept());
        m.put("removed_contaminated", c.contaminated());
        m.put("removed_duplicates", c.duplicates());
        m.put("removed_near_duplicates", c.nearDuplicates());
        return m;
    }

    /** The counts of a finished run's manifest. */
    public static Dedup.Counts counts(com.fasterxml.jackson.databind.JsonNode manifest) {
        var c = manifest.path("counts");
        return new Dedup.Counts(c.path("read").asLong(), c.path("kept").asLong(), c.path("removed_contaminated").asLong(),
                c.path("removed_duplicates").asLong(), c.path("removed_near_duplicates").asLong());
    }

    /** A record with where it was read, for removed.jsonl. */
    private record Located(TrainingRecord record, String source) {
    }

    private static final JsonlInput.Format<Located> LOCATED = new JsonlInput.Format<>(
            (text, at, ordinal) -> new Located(RecordJson.parse(text, at.file(), at.number()), at.toString()),
            l -> l.record().id(), JsonlInput.Blanks.REFUSE);

    /**
     * Runs the dedup (see the class comment).
     *
     * @throws dev.granular.io.BadInputException for a bad line (file:line), a repeated id, a bad evaluation file, or an
     *                                           output folder that overlaps an input or holds another run
     */
    public static Result run(Spec spec) {
        Instant started = Instant.now();
        List<Path> files = RecordReader.dataFiles(spec.in());
        Map<String, Object> identity = identity(spec, files, "local");
        OutputDirectory dir = OutputDirectory.open(spec.out(), COMMAND, identity, spec.shardSize(), spec.overwrite(), inputs(spec));
        if (dir.complete()) {
            return new Result(spec.out(), counts(dir.manifest()), true, Duration.between(started, Instant.now()));
        }
        try {
            Dedup dedup = Dedup.of(spec.config());
            Path removedWork = dir.workDir().resolve("removed.jsonl");
            Files.createDirectories(removedWork.getParent());
            try (ShardWriter out = dir.rewriter();
                 Writer removed = new BufferedWriter(Files.newBufferedWriter(removedWork, StandardCharsets.UTF_8), 1 << 16);
                 Stream<Located> rows = JsonlInput.stream(spec.in(), LOCATED, 0)) {
                for (var it = rows.iterator(); it.hasNext(); ) {
                    Located l = it.next();
                    switch (dedup.check(l.record())) {
                        case Dedup.Kept k -> out.write(RecordJson.toJson(l.record()));
                        case Dedup.Removed r -> removed.write(removedLine(l.record().id(), l.source(), r));
                    }
                }
                out.finish();
            }
            Path target = dir.dir().resolve("removed.jsonl");
            OutputDirectory.claim(target);
            AtomicFiles.move(removedWork, target);
            Result result = new Result(spec.out(), dedup.counts(), false, Duration.between(started, Instant.now()));
            dir.finish(manifest(spec, identity, result.counts(), started, dir.fingerprint(), null));
            return result;
        } catch (IOException e) {
            UncheckedIOException u = new UncheckedIOException("cannot write " + spec.out(), e);
            dir.abandon(u);
            throw u;
        } catch (RuntimeException | Error e) {
            dir.abandon(e);
            throw e;
        }
    }

    /** The manifest of a finished run (also the Spark job's, with its master). */
    public static Map<String, Object> manifest(Spec spec, Map<String, Object> identity, Dedup.Counts counts, Instant started,
                                               String fingerprint, String sparkMaster) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("command", sparkMaster == null ? COMMAND : "spark " + COMMAND);
        m.put("command_line", spec.commandLine());
        m.putAll(identity);
        if (sparkMaster != null) {
            m.put("spark_master", sparkMaster);
        }
        m.put("fingerprint", fingerprint);
        m.put("counts", countsJson(counts));
        m.put("started", started.toString());
        m.put("ended", Instant.now().toString());
        return m;
    }
}
