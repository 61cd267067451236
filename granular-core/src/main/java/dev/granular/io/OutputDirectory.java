package dev.granular.io;

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
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The output directory every command writes, and its resume rules.
 *
 * <pre>
 * DIR/data/part-00000.jsonl ...   shards of {@code shardSize} records, cut by record index
 * DIR/manifest.json               written last: its presence means the run finished
 * DIR/README.md                   the dataset card
 * DIR/report/                     summary.json and plots
 * DIR/.granular/run.json          the run's configuration fingerprint (for resume)
 * DIR/.granular/                  work files (deleted when the run finishes)
 * DIR/.granular/replies.jsonl     paid model replies ({@link #PAID_REPLIES}): never deleted, not even by --overwrite
 * </pre>
 *
 * <p>A run's identity is a fingerprint of the options that change its output (never threads,
 * concurrency, rate limits or budgets). Opening a directory that holds a run with the same
 * fingerprint resumes it; a different one is refused unless {@code overwrite}.
 */
public final class OutputDirectory {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper CANONICAL = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final Pattern SHARD = Pattern.compile("part-(\\d{5,})\\.jsonl");
    /**
     * Model replies already paid for (dev.granular.teacher.PaidRepliesFile), relative to the folder. A folder holding
     * them is never cleared without {@code --overwrite}, and clearing keeps them, so they are reused by request.
     */
    public static final String PAID_REPLIES = ".granular/replies.jsonl";

    private final Path dir;
    private final String fingerprint;
    private final int shardSize;
    private final boolean complete;
    private final boolean fresh;
    private final boolean created;

    private OutputDirectory(Path dir, String fingerprint, int shardSize, boolean complete, boolean fresh, boolean created) {
        this.created = created;
        this.dir = dir;
        this.fingerprint = fingerprint;
        this.shardSize = shardSize;
        this.complete = complete;
        this.fresh = fresh;
    }

    /**
     * Opens {@code dir} for a run whose output-changing configuration is {@code config}.
     *
     * @throws BadInputException when {@code dir} holds something else and {@code overwrite} is false
     */
    public static OutputDirectory open(Path dir, String command, Map<String, Object> config, int shardSize, boolean overwrite) {
        if (shardSize < 1) {
            throw new BadInputException("--shard-size must be at least 1, got " + shardSize);
        }
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("command", command);
        identity.put("shard_size", shardSize);
        identity.put("config", config);
        String fp = fingerprint(identity);
        Path state = dir.resolve(".granular").resolve("run.json");
        try {
            if (Files.isRegularFile(dir)) {
                throw new BadInputException(dir.toString(), 0, "--out must be a directory, not a file");
            }
            boolean created = !Files.exists(dir);
            boolean fresh = created || isEmpty(dir);
            if (!fresh) {
                String existing = Files.isRegularFile(state) ? JSON.readTree(state.toFile()).path("fingerprint").asText() : null;
                boolean ours = existing != null || Files.exists(dir.resolve("manifest.json")) || holdsPaidReplies(dir);
                if (!fp.equals(existing) && existing != null && !Files.exists(dir.resolve("manifest.json"))
                        && !hasRecords(dir.resolve("data")) && !holdsPaidReplies(dir)) {
                    // A run that failed before writing any record (bad input, say): nothing to protect.
                    clear(dir);
                    existing = null;
                    ours = false;
                    fresh = true;
                }
                if (!fresh && !fp.equals(existing)) {
                    if (!overwrite) {
                        throw new BadInputException(dir.toString(), 0, ours
                                ? "holds a run with a different configuration; use --overwrite to replace it (replies it paid "
                                        + "for are kept and reused), or another --out"
                                : "is not empty and not a granular output directory; choose another --out");
                    }
                    if (!ours) {
                        throw new BadInputException(dir.toString(), 0,
                                "is not empty and not a granular output directory; --overwrite only replaces granular output");
                    }
                    clear(dir);
                    fresh = true;
                }
            }
            Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(state.getParent());
            if (!Files.isRegularFile(state)) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("fingerprint", fp);
                s.put("identity", identity);
                s.put("created", Instant.now().toString());
                AtomicFiles.write(state, JSON.writeValueAsString(s));
            }
            boolean complete = Files.isRegularFile(dir.resolve("manifest.json"));
            return new OutputDirectory(dir, fp, shardSize, complete, fresh, created);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare output directory " + dir, e);
        }
    }

    /** Whether a previous run with this configuration already finished here. */
    public boolean complete() {
        return complete;
    }

    public String fingerprint() {
        return fingerprint;
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
        return dir.resolve(".granular").resolve("work");
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
        try {
            try (Stream<Path> s = Files.list(dataDir())) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (SHARD.matcher(n).matches() || n.endsWith(".jsonl.partial")) {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dataDir(), e);
        }
        return ShardWriter.resume(dataDir(), shardSize);
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
        }
    }

    /**
     * Cleans up after a run that failed: a directory this run created and wrote no record
     * into is removed entirely, so bad input leaves nothing behind; otherwise only the work
     * files go, and the records stay for a resume.
     */
    public void abandon() {
        try {
            if (fresh && !hasRecords(dataDir()) && !holdsPaidReplies(dir)) {
                if (created) {
                    deleteTree(dir);
                } else {
                    clear(dir);
                }
            } else {
                deleteTree(workDir());
            }
        } catch (IOException e) {
            // Cleanup is best effort: the run already failed, and that error is the one to report.
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

    /** Whether {@code dataDir} holds any record bytes (sealed or in progress). */
    private static boolean hasRecords(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dataDir)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p) && Files.size(p) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void clear(Path dir) throws IOException {
        for (String name : List.of("data", "report", "manifest.json", "README.md", "failed.jsonl", "rejected.jsonl")) {
            deleteTree(dir.resolve(name));
        }
        Path work = dir.resolve(".granular");
        if (Files.isDirectory(work)) {
            try (Stream<Path> s = Files.list(work)) {
                for (Path p : s.toList()) {
                    if (!p.equals(dir.resolve(PAID_REPLIES))) {
                        deleteTree(p);
                    }
                }
            }
            if (isEmpty(work)) {
                Files.delete(work);
            }
        }
    }

    /** Whether {@code dir} holds replies a model was paid for. */
    private static boolean holdsPaidReplies(Path dir) throws IOException {
        Path f = dir.resolve(PAID_REPLIES);
        return Files.isRegularFile(f) && Files.size(f) > 0;
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
