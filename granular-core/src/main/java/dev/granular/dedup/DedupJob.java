package dev.granular.dedup;

import dev.granular.dedup.job.DedupFiles;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.record.internal.JsonlInput;
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
            return new Spec(in, out, DedupConfig.DEFAULT, 10_000, false, List.of(DedupFiles.COMMAND));
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
        Map<String, Object> identity = DedupFiles.identity(spec, files, "local");
        OutputDirectory dir = OutputDirectory.open(spec.out(), DedupFiles.COMMAND, identity, spec.shardSize(), spec.overwrite(), DedupFiles.inputs(spec));
        if (dir.complete()) {
            return new Result(spec.out(), DedupFiles.counts(dir.manifest()), true, Duration.between(started, Instant.now()));
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
                        case Dedup.Removed r -> removed.write(DedupFiles.removedLine(l.record().id(), l.source(), r));
                    }
                }
                out.finish();
            }
            Path target = dir.dir().resolve("removed.jsonl");
            OutputDirectory.claim(target);
            AtomicFiles.move(removedWork, target);
            Result result = new Result(spec.out(), dedup.counts(), false, Duration.between(started, Instant.now()));
            dir.finish(DedupFiles.manifest(spec, identity, result.counts(), started, dir.fingerprint(), null));
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
}
