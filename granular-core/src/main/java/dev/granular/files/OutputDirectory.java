package dev.granular.files;

import dev.granular.io.BadInputException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The output directory every command writes, and its resume and replace rules.
 *
 * <pre>
 * DIR/data/part-00000.jsonl ...   shards of {@code shardSize} records, cut by record index
 * DIR/manifest.json               written last: its presence means the run finished
 * DIR/README.md                   the dataset card
 * DIR/report/                     summary.json and plots
 * DIR/.granular/run.json          the marker: command, run id, configuration fingerprint, files written
 * DIR/.granular/*.jsonl           journals of paid LLM replies: never deleted by granular
 * DIR/.granular/work/             work files (deleted when the run finishes)
 * </pre>
 *
 * <p>A run's identity is a fingerprint of the options that change its output (never threads,
 * concurrency, rate limits or budgets). Opening a directory that holds a run with the same
 * fingerprint resumes it; a different one is refused unless {@code overwrite}, and then only the
 * files listed in the marker are deleted: never a file granular did not write, never a journal.
 * A non-empty folder without the marker is refused even with {@code overwrite}.
 *
 * <p>Every file written under an open output directory through {@link AtomicFiles} or
 * {@link ShardWriter} is recorded in the marker before it is created ({@link #claim}), so the
 * list holds even for a run that was killed.
 */
public final class OutputDirectory {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper CANONICAL = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final Pattern SHARD = Pattern.compile("part-(\\d{5,})\\.jsonl");
    private static final String WORK = ".granular/work";
    /**
     * Model replies already paid for (dev.granular.teacher.internal.PaidRepliesFile), relative to the folder: a journal
     * ({@code .granular/*.jsonl}), so never deleted, {@code --overwrite} included, and reused by request.
     */
    public static final String PAID_REPLIES = ".granular/replies.jsonl";
    /** Output directories open in this process, by absolute path: where {@link #claim} records files. */
    private static final Map<Path, OutputDirectory> OPEN = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path key;
    private final int shardSize;
    private final boolean complete;
    private final boolean fresh;
    private final boolean created;
    private RunMarker marker;
    private final Set<String> files;

    private OutputDirectory(Path dir, RunMarker marker, int shardSize, boolean complete, boolean fresh, boolean created) {
        this.created = created;
        this.dir = dir;
        this.key = dir.toAbsolutePath().normalize();
        this.marker = marker;
        this.files = new TreeSet<>(marker.files());
        this.shardSize = shardSize;
        this.complete = complete;
        this.fresh = fresh;
    }

    /**
     * Opens {@code dir} for a run whose output-changing configuration is {@code config}.
     *
     * @param inputs every file or folder the run reads: {@code dir} may not be, contain or lie inside one
     * @throws BadInputException when {@code dir} overlaps an input, is not granular's, or holds another run and
     *                           {@code overwrite} is false
     */
    public static OutputDirectory open(Path dir, String command, Map<String, Object> config, int shardSize, boolean overwrite,
                                       Collection<Path> inputs) {
        if (shardSize < 1) {
            throw new dev.granular.io.InvalidConfigException("${shardSize} must be at least 1, got " + shardSize);
        }
        OutputOverlap.check(dir, inputs);
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("command", command);
        identity.put("shard_size", shardSize);
        identity.put("config", config);
        String fp = fingerprint(identity);
        try {
            if (Files.isRegularFile(dir)) {
                throw new BadInputException(dir.toString(), 0, "the output must be a directory, not a file");
            }
            boolean created = !Files.exists(dir);
            RunMarker previous = null;
            if (!created && !isEmpty(dir)) {
                previous = RunMarker.read(dir);
                if (previous == null) {
                    throw new BadInputException(dir.toString(), 0, "is not empty and not a granular output directory (it has no "
                            + RunMarker.PATH + "); granular never deletes files it did not write, "
                            + (overwrite ? "so --overwrite does not apply: " : "") + "choose an empty or new --out");
                }
                if (!fp.equals(previous.fingerprint())) {
                    if (!holdsNothingOfValue(dir, previous)) {
                        if (!overwrite) {
                            throw new BadInputException(dir.toString(), 0, "holds a run with a different configuration; use --overwrite to replace the"
                                    + " files it wrote (paid replies in .granular/*.jsonl are kept), or another --out (it holds granular "
                                    + previous.command() + " run " + previous.runId() + ", started " + previous.created() + ")");
                        }
                    }
                    // A run that failed before writing anything worth keeping (bad input, say), or --overwrite.
                    deleteOwn(dir, previous.files());
                    previous = null;
                }
            }
            boolean fresh = previous == null;
            RunMarker marker = fresh
                    ? new RunMarker(command, UUID.randomUUID().toString(), fp, identity, Instant.now().toString(), List.of())
                    : previous;
            Files.createDirectories(dir.resolve("data"));
            if (fresh) {
                marker.write(dir);
            }
            boolean complete = marker.files().contains("manifest.json") && Files.isRegularFile(dir.resolve("manifest.json"));
            OutputDirectory out = new OutputDirectory(dir, marker, shardSize, complete, fresh, created);
            OPEN.put(out.key, out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare output directory " + dir, e);
        }
    }

    /**
     * Records {@code file} as written by granular, before it is created, when it lies in an output
     * directory open in this process (otherwise does nothing). {@link AtomicFiles} and
     * {@link ShardWriter} call this; code that creates files in an output directory some other way
     * must call it first, or {@code --overwrite} will leave those files alone.
     */
    public static void claim(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        for (Path p = abs.getParent(); p != null; p = p.getParent()) {
            OutputDirectory d = OPEN.get(p);
            if (d != null) {
                d.claimRelative(relative(p, abs));
                return;
            }
        }
    }

    private synchronized void claimRelative(String rel) {
        if (rel.equals(RunMarker.PATH) || rel.startsWith(WORK + "/") || files.contains(rel)) {
            return;
        }
        if (Files.exists(dir.resolve(rel), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // Someone else's file where granular would write: replacing it would destroy it.
            throw new BadInputException(dir.resolve(rel).toString(), 0, "exists and was not written by granular;"
                    + " granular never replaces files it did not write: move it away or choose another --out");
        }
        if (files.add(rel)) {
            marker = marker.withFiles(List.copyOf(files));
            marker.write(dir);
        }
    }

    /** The run id in the marker: new for each fresh run, kept by resumes. */
    public String runId() {
        return marker.runId();
    }

    /** Whether a previous run with this configuration already finished here. */
    public boolean complete() {
        return complete;
    }

    public String fingerprint() {
        return marker.fingerprint();
    }

    public Path dir() {
        return dir;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    public Path reportDir() {
        return dir.resolve("report");
    }

    /** A scratch folder for the run's work files, removed by {@link #finish}. */
    public Path workDir() {
        return dir.resolve(WORK);
    }

    public int shardSize() {
        return shardSize;
    }

    /**
     * A writer that appends after the records already on disk. Records must be written in
     * index order; {@link ShardWriter#start()} is the index of the first one to write.
     */
    public ShardWriter writer() {
        return ShardWriter.resume(dataDir(), shardSize);
    }

    /**
     * A writer that replaces all records, for commands whose records are derived from a
     * journal at the end of each run (rows finish out of order there). The old shards are
     * removed first; a crash during the rewrite is repaired by the next run's rewrite.
     */
    public ShardWriter rewriter() {
        clearData();
        return ShardWriter.resume(dataDir(), shardSize);
    }

    /** Deletes the record files granular wrote in {@code data/} (any format); files others put there stay. */
    public void clearData() {
        try {
            for (String rel : ownFiles()) {
                if (rel.startsWith("data/")) {
                    Files.deleteIfExists(dir.resolve(rel));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dataDir(), e);
        }
    }

    /** The files this run and its resumed predecessors wrote here (relative, '/'-separated). */
    public synchronized List<String> ownFiles() {
        return List.copyOf(files);
    }

    /** The finished shards, in order. */
    public List<Path> shards() {
        try (Stream<Path> s = Files.list(dataDir())) {
            List<Path> out = new ArrayList<>();
            s.filter(p -> SHARD.matcher(p.getFileName().toString()).matches()).forEach(out::add);
            out.sort(Comparator.comparing(p -> p.getFileName().toString()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dataDir(), e);
        }
    }

    /** Writes the manifest (last, atomically: it marks the run finished) and removes work files. */
    public void finish(Map<String, Object> manifest) {
        try {
            AtomicFiles.write(dir.resolve("manifest.json"), JSON.writeValueAsString(manifest) + "\n");
            deleteTree(workDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest in " + dir, e);
        } finally {
            OPEN.remove(key, this);
        }
    }

    /**
     * Cleans up after a run that failed with {@code cause}. A fresh run (nothing of an earlier run
     * of this configuration was here) that failed on bad input, or wrote no record, removes every
     * file it wrote, so that the corrected rerun (another configuration: the input changed) finds
     * nothing to protect; a folder it created and left empty goes too. Otherwise only the work files
     * go, and the records stay for a resume. Journals of paid replies always stay.
     */
    public void abandon(Throwable cause) {
        try {
            if (fresh && (cause instanceof BadInputException || !hasRecords(dir, ownFiles()))) {
                List<String> written = ownFiles();
                synchronized (this) {
                    files.clear();
                    marker = marker.withFiles(List.of());
                }
                deleteOwn(dir, written);
                marker.write(dir);
                removeIfNothingLeft();
            } else {
                deleteTree(workDir());
            }
        } catch (IOException | RuntimeException e) {
            // Cleanup is best effort: the run already failed, and that error is the one to report.
        } finally {
            OPEN.remove(key, this);
        }
    }

    /** After {@link #abandon}: a folder holding nothing but the marker (and empty journals) returns to how it was. */
    private void removeIfNothingLeft() throws IOException {
        List<Path> left;
        try (Stream<Path> s = Files.walk(dir)) {
            left = s.filter(Files::isRegularFile).toList();
        }
        for (Path p : left) {
            String rel = relative(dir, p);
            if (!rel.equals(RunMarker.PATH) && !(isJournal(rel) && Files.size(p) == 0)) {
                return;
            }
        }
        if (created) {
            deleteTree(dir);
        } else {
            for (Path p : left) {
                Files.delete(p);
            }
            pruneEmptyDirectories(dir, List.of(RunMarker.PATH, "data/x", "report/x"));
        }
    }

    /**
     * Marks the run in {@code dir} as no longer matching any configuration, so that the next run opened there with
     * {@code overwrite} replaces it even when its own configuration is unchanged (an input it reads changed: a
     * recipe's upstream step was rerun). The files it wrote stay until then; paid replies always stay. Nothing
     * happens when {@code dir} holds no run.
     */
    public static void invalidate(Path dir) {
        RunMarker previous = RunMarker.read(dir);
        if (previous != null) {
            new RunMarker(previous.command(), previous.runId(), "invalidated", previous.identity(), previous.created(),
                    previous.files()).write(dir);
        }
    }

    /** Reads the manifest of a finished run. */
    public JsonNode manifest() {
        try {
            return JSON.readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("manifest.json"), e);
        }
    }

    static int shardIndex(Path p) {
        Matcher m = SHARD.matcher(p.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a shard: " + p);
        }
        return Integer.parseInt(m.group(1));
    }

    /** sha256 (hex) of the canonical JSON of {@code value}. */
    public static String fingerprint(Object value) {
        try {
            // Keys sorted at every level: a Map.of(...) anywhere in a configuration iterates in a
            // different order in each JVM, and a fingerprint must not depend on that.
            byte[] bytes = CANONICAL.writeValueAsBytes(value);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the run listed as {@code files} left nothing anyone would miss: no finished manifest,
     * no record bytes, no paid reply. Such a folder (a run that failed at once) is reused without
     * {@code --overwrite}.
     */
    private static boolean holdsNothingOfValue(Path dir, RunMarker run) throws IOException {
        return !(run.files().contains("manifest.json") && Files.exists(dir.resolve("manifest.json")))
                && !hasRecords(dir, run.files()) && !hasPaidReplies(dir);
    }

    /** Whether any of {@code files} under {@code data/} holds bytes (sealed or in progress). */
    private static boolean hasRecords(Path dir, List<String> files) throws IOException {
        for (String rel : files) {
            Path p = dir.resolve(rel);
            if (rel.startsWith("data/") && Files.isRegularFile(p) && Files.size(p) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a journal in {@code .granular/} holds any reply. */
    private static boolean hasPaidReplies(Path dir) throws IOException {
        Path state = dir.resolve(".granular");
        if (!Files.isDirectory(state)) {
            return false;
        }
        try (Stream<Path> s = Files.list(state)) {
            for (Path p : s.toList()) {
                if (isJournal(relative(dir, p)) && Files.size(p) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Journals ({@code .granular/NAME.jsonl}): the paid replies ({@link #PAID_REPLIES}, by request identity) and
     * the run's own progress journals (which row is done: {@code journal.jsonl}, {@code calibration.jsonl},
     * {@code student.jsonl}, {@code teacher.jsonl}). While any holds a reply the folder is never cleared silently.
     */
    static boolean isJournal(String rel) {
        return rel.startsWith(".granular/") && rel.indexOf('/', ".granular/".length()) < 0 && rel.endsWith(".jsonl");
    }

    /**
     * The run's progress journals say which row of THIS configuration is done, by row: replacing the run
     * (another configuration) deletes them, or the new run would take the old run's rows as its own. The
     * replies themselves stay in {@link #PAID_REPLIES}, which is never deleted and serves them by request.
     */
    private static void deleteRunJournals(Path dir) throws IOException {
        Path state = dir.resolve(".granular");
        if (!Files.isDirectory(state)) {
            return;
        }
        try (Stream<Path> s = Files.list(state)) {
            for (Path p : s.toList()) {
                String rel = relative(dir, p);
                if (isJournal(rel) && !rel.equals(PAID_REPLIES) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(p);
                }
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /**
     * Deletes the files granular listed as written (with the temporary siblings {@link AtomicFiles}
     * may have left when killed), the run's progress journals and the work folder, then the folders this
     * leaves empty. The paid replies and every file not listed stay.
     */
    private static void deleteOwn(Path dir, List<String> files) throws IOException {
        deleteRunJournals(dir);
        for (String rel : files) {
            if (isJournal(rel) || rel.equals(RunMarker.PATH)) {
                continue;
            }
            Path p = dir.resolve(rel).normalize();
            if (!p.startsWith(dir.normalize()) || Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue; // a hand-edited marker cannot make granular delete outside the folder, or a folder
            }
            Files.deleteIfExists(p);
            Path parent = p.getParent();
            if (Files.isDirectory(parent)) {
                String tmpPrefix = "." + p.getFileName() + ".";
                try (Stream<Path> s = Files.list(parent)) {
                    for (Path t : s.toList()) {
                        String n = t.getFileName().toString();
                        if (n.startsWith(tmpPrefix) && n.endsWith(".tmp")) {
                            Files.deleteIfExists(t);
                        }
                    }
                }
            }
        }
        deleteTree(dir.resolve(WORK));
        pruneEmptyDirectories(dir, files);
    }

    /** Removes the folders of {@code files} (deepest first, never {@code dir} itself) that are now empty. */
    private static void pruneEmptyDirectories(Path dir, List<String> files) throws IOException {
        Set<Path> folders = new TreeSet<>(Comparator.comparingInt(Path::getNameCount).reversed().thenComparing(Path::toString));
        for (String rel : files) {
            for (Path p = dir.resolve(rel).getParent(); p != null && p.startsWith(dir) && !p.equals(dir); p = p.getParent()) {
                folders.add(p);
            }
        }
        for (Path f : folders) {
            if (Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && isEmpty(f)) {
                Files.delete(f);
            }
        }
    }

    private static String relative(Path dir, Path file) {
        return dir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    /** Removes {@code p} and everything under it; nothing when it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }
}
