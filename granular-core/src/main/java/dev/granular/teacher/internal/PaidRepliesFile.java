package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.io.BadInputException;
import dev.granular.io.StoppedEarlyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An output folder's paid replies ({@code DIR/.granular/replies.jsonl}, see {@link Journal} for why it outlives the
 * run's own journal): one JSON line per billable reply, appended the moment it arrives,
 * {@code {"run":FINGERPRINT,"key":CACHE_KEY|null,"model":SPEC,"prompt_tokens":N,"completion_tokens":N,"usd":X,"batch":false,"body":RAW}}
 * ({@code batch}: answered through a batch API; absent in older files, read as false).
 *
 * <p>Two uses. Reuse: a valid reply is found again by its request's {@link CacheKey} (the latest line of a key wins),
 * whatever run configuration wrote it. Spend: the lines of one run (its {@link dev.granular.files.OutputDirectory}
 * fingerprint) add up to what all its attempts paid, crashes and Ctrl-C included ({@link #spent()}).
 *
 * <p>Memory: 64 bits of each key and the line's offset ({@link OffsetIndex}); bodies are read back from the file,
 * and the full key on the line is checked, so a collision of the 64 bits is a miss, never a wrong reply. Durability
 * as {@link Journal}: each line is one write before {@link #paid} returns; a torn last line is truncated at open.
 * A write that fails (a full disk) throws a {@link StoppedEarlyException} that says so, and the run stops.
 */
public final class PaidRepliesFile implements PaidReplies, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String run;
    private final FileChannel channel;
    private final FileWrites writes;
    private final OffsetIndex byKey = new OffsetIndex();
    private CostMeter.Spend spent = CostMeter.Spend.ZERO;
    /** This run's spend by model (its spec as written on each line), for jobs that call several models. */
    private final Map<String, CostMeter.Spend> spentByModel = new LinkedHashMap<>();
    /** What earlier attempts paid, by model, as found at open (not what this process adds since). */
    private Map<String, CostMeter.Spend> carriedSpend = Map.of();
    private final java.util.Set<String> carried = new java.util.HashSet<>();
    private long lines;
    private long end;
    private int unforced;

    private PaidRepliesFile(Path file, String run, FileChannel channel, FileWrites writes) {
        this.file = file;
        this.run = run;
        this.channel = channel;
        this.writes = writes;
    }

    /**
     * Opens (creating) {@code file} for run {@code runFingerprint}: indexes the reusable replies, adds up the run's
     * spend, and truncates a torn (unterminated) last line; a damaged complete line is refused
     * ({@link BadInputException} naming the file and line) and nothing is truncated.
     */
    public static PaidRepliesFile open(Path file, String runFingerprint, FileWrites writes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            PaidRepliesFile f = new PaidRepliesFile(file, runFingerprint, ch, writes);
            try {
                f.scan();
                f.carriedSpend = Map.copyOf(f.spentByModel);
                if (f.end < ch.size()) {
                    ch.truncate(f.end);
                    ch.force(false);
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the paid replies " + file + ": " + e.getMessage(), e);
        }
    }

    private void scan() throws IOException {
        end = AppendOnlyJsonLines.scan(channel, file, n -> n.path("body").isTextual(),
                "not a paid reply (damaged file?); granular does not truncate a file with complete lines after it:"
                        + " repair or remove this line, then rerun", this::index);
    }

    private void index(JsonNode n, long at) {
        lines++;
        if (n.path("key").isTextual()) {
            byKey.put(hash(n.get("key").asText()), at);
        }
        if (run.equals(n.path("run").asText())) {
            CostMeter.Spend one = new CostMeter.Spend(0, 1, n.path("prompt_tokens").asLong(), n.path("completion_tokens").asLong(),
                    n.path("usd").asDouble());
            spent = spent.plus(one);
            spentByModel.merge(n.path("model").asText(), one, CostMeter.Spend::plus);
        }
    }

    @Override
    public Optional<String> get(String key) {
        long at;
        synchronized (this) {
            at = byKey.get(hash(key));
        }
        if (at < 0) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(Journal.readLine(channel, at));
            return key.equals(n.path("key").asText()) ? Optional.of(n.path("body").asText()) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the paid replies " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void paid(String key, ModelSpec model, Usage usage, double usd, String raw) {
        paid(key, model, usage, usd, raw, false);
    }

    @Override
    public void paidBatch(String key, ModelSpec model, Usage usage, double usd, String raw) {
        paid(key, model, usage, usd, raw, true);
    }

    private void paid(String key, ModelSpec model, Usage usage, double usd, String raw, boolean batch) {
        ObjectNode n = JSON.createObjectNode();
        n.put("run", run);
        n.put("key", key);
        n.put("model", model.toString());
        n.put("prompt_tokens", usage.promptTokens());
        n.put("completion_tokens", usage.completionTokens());
        n.put("usd", usd);
        n.put("batch", batch); // answered through a batch API (batch prices); see granular cost
        n.put("body", raw);
        byte[] bytes = (n.toString() + "\n").getBytes(StandardCharsets.UTF_8); // Jackson escapes line breaks in strings
        synchronized (this) {
            try {
                long at = end;
                end = writes.writeFully(channel, bytes, at);
                if (++unforced >= Journal.DEFAULT_FORCE_EVERY) {
                    channel.force(false);
                    unforced = 0;
                }
                index(n, at);
            } catch (IOException e) {
                try {
                    channel.truncate(end); // drop a partial line, if the file system allows it
                } catch (IOException ignored) {
                    // the next open truncates a torn line anyway
                }
                throw cannotWrite(file, e);
            }
        }
    }

    /** A journal write failed: the run stops, resumable (what was journalled before is safe), saying why in plain words. */
    public static StoppedEarlyException cannotWrite(Path file, IOException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String hint = why.contains("No space left") || why.contains("Disk quota") ? "the disk is full: " : "";
        return new StoppedEarlyException(hint + "cannot write " + file + " (" + why + "); the run stopped before paying for "
                + "more; every reply journalled before this one is kept, free some space");
    }

    /** What this run's earlier attempts paid (lines of this run found at open), plus what this process paid since. */
    public synchronized CostMeter.Spend spent() {
        return spent;
    }

    /** What this run's earlier attempts (and this process since) paid {@code model}. */
    public synchronized CostMeter.Spend spent(ModelSpec model) {
        return spentByModel.getOrDefault(model.toString(), CostMeter.Spend.ZERO);
    }

    /**
     * Adds what this run's earlier attempts paid {@code model} to {@code meter}, the first time it is asked for that
     * model (a job may open several clients of one model), so that the budget, the progress and the totals cover the
     * whole run. Call before the model's first request.
     */
    public synchronized void carryInto(CostMeter meter, ModelSpec model) {
        if (carried.add(model.toString())) {
            meter.carry(model, carriedSpend.getOrDefault(model.toString(), CostMeter.Spend.ZERO));
        }
    }

    /** The paid-replies file of an output folder, for its run. */
    public static PaidRepliesFile of(dev.granular.files.OutputDirectory dir) {
        return open(dir.dir().resolve(dev.granular.files.OutputDirectory.PAID_REPLIES), dir.fingerprint(), FileWrites.DIRECT);
    }

    /** Lines in the file (all runs). */
    public synchronized long size() {
        return lines;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        try (channel) {
            channel.force(false);
        } catch (IOException e) {
            // Closing after a failure (a full disk) must not hide the failure; the lines written are in the page cache.
        }
    }

    /** 63 bits of a key (a {@link CacheKey} is hex), as {@link OffsetIndex} keys must be >= 0. */
    private static long hash(String key) {
        try {
            return HexFormat.fromHexDigitsToLong(key, 0, 16) & Long.MAX_VALUE;
        } catch (RuntimeException e) {
            return key.hashCode() & Long.MAX_VALUE;
        }
    }
}
