package dev.granular.teacher.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An output folder's batches ({@code DIR/.granular/batches.jsonl}): what was submitted to a batch API and what became
 * of it, so that a run killed at any point picks up the same batches instead of paying for their requests again.
 * Append-only JSON lines, each written and fsync'd before the step it records goes on (batches are few, so a sync a
 * line costs nothing that matters):
 * <ul>
 *   <li>{@code {"t":"submitted","model":SPEC,"batch":ID,"ids":[CUSTOM_ID...],"prompt_tokens":N,"max_completion_tokens":N,
 *       "at":MS}}: the provider accepted a batch of these requests (custom id = {@link CacheKey}), booked against the
 *       budget at these tokens;</li>
 *   <li>{@code {"t":"status","batch":ID,"status":WORD,"counts":TEXT,"at":MS}}: it changed status;</li>
 *   <li>{@code {"t":"downloaded","batch":ID,"ok":N,"failed":N,"retry":N,"at":MS}}: every result of it is in the paid
 *       replies (and the cache); the batch is finished with.</li>
 * </ul>
 * A batch submitted and not downloaded is <em>open</em>: a rerun polls it and reads its results, and submits none of
 * its requests again. Like the other journals, a torn last line (a crash mid-write) is dropped at open and a damaged
 * complete line is refused, naming the file and line.
 *
 * <p>One file is shared by every client of a process that names it (a job may open several clients of one model):
 * {@link #acquire} counts them and {@link #release} closes it after the last.
 */
public final class BatchJournal {
    /** An open batch found in the file. */
    record Open(String model, String batchId, List<String> ids, long promptTokens, long maxCompletionTokens) {
    }

    private static final Map<Path, BatchJournal> OPEN = new HashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Open> open = new LinkedHashMap<>();
    private long end;
    private long lines;
    private int users;

    private BatchJournal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** The journal at {@code file}, opened (and scanned) by the first caller in this process. */
    static BatchJournal acquire(Path file) {
        Path key = file.toAbsolutePath().normalize();
        synchronized (OPEN) {
            BatchJournal j = OPEN.get(key);
            if (j == null) {
                j = open(key);
                OPEN.put(key, j);
            }
            j.users++;
            return j;
        }
    }

    /** Closes the file after its last user. */
    void release() {
        synchronized (OPEN) {
            if (--users == 0) {
                OPEN.remove(file);
                try {
                    channel.close();
                } catch (IOException e) {
                    // every line was forced when written
                }
            }
        }
    }

    private static BatchJournal open(Path file) {
        try {
            Files.createDirectories(file.getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            BatchJournal j = new BatchJournal(file, ch);
            try {
                j.scan();
                if (j.end < ch.size()) {
                    ch.truncate(j.end);
                    ch.force(false);
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return j;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the batches journal " + file + ": " + e.getMessage(), e);
        }
    }

    private void scan() throws IOException {
        end = AppendOnlyJsonLines.scan(channel, file, n -> n.path("t").isTextual() && n.path("batch").isTextual(),
                "not a batches journal line (damaged file?); repair or remove this line, then rerun (a batch whose line is"
                        + " lost would be submitted again)", (n, start) -> {
                    lines++;
                    apply(n);
                });
    }

    private void apply(JsonNode n) {
        String batch = n.get("batch").asText();
        switch (n.get("t").asText()) {
            case "submitted" -> {
                List<String> ids = new ArrayList<>(n.path("ids").size());
                n.path("ids").forEach(id -> ids.add(id.asText()));
                open.put(batch, new Open(n.path("model").asText(), batch, List.copyOf(ids), n.path("prompt_tokens").asLong(),
                        n.path("max_completion_tokens").asLong()));
            }
            case "downloaded" -> open.remove(batch);
            default -> {
                // status lines are for people reading the file
            }
        }
    }

    /** The open batches of {@code model} (its spec as written), oldest first. */
    synchronized List<Open> open(String model) {
        return open.values().stream().filter(o -> o.model().equals(model)).toList();
    }

    synchronized void submitted(String model, String batchId, List<String> ids, long promptTokens, long maxCompletionTokens) {
        ObjectNode n = line("submitted", batchId);
        n.put("model", model);
        ArrayNode a = n.putArray("ids");
        ids.forEach(a::add);
        n.put("prompt_tokens", promptTokens);
        n.put("max_completion_tokens", maxCompletionTokens);
        n.put("at", System.currentTimeMillis());
        write(n);
        open.put(batchId, new Open(model, batchId, List.copyOf(ids), promptTokens, maxCompletionTokens));
    }

    synchronized void status(String batchId, String status, String counts) {
        ObjectNode n = line("status", batchId);
        n.put("status", status);
        n.put("counts", counts);
        n.put("at", System.currentTimeMillis());
        write(n);
    }

    synchronized void downloaded(String batchId, long ok, long failed, long retry) {
        ObjectNode n = line("downloaded", batchId);
        n.put("ok", ok);
        n.put("failed", failed);
        n.put("retry", retry);
        n.put("at", System.currentTimeMillis());
        write(n);
        open.remove(batchId);
    }

    Path file() {
        return file;
    }

    /** Lines in the file. */
    synchronized long lines() {
        return lines;
    }

    private static ObjectNode line(String type, String batch) {
        ObjectNode n = OpenAiWire.JSON.createObjectNode();
        n.put("t", type);
        n.put("batch", batch);
        return n;
    }

    private void write(ObjectNode n) {
        byte[] bytes = (n.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            end = FileWrites.DIRECT.writeFully(channel, bytes, end);
            channel.force(false);
            lines++;
        } catch (IOException e) {
            throw PaidRepliesFile.cannotWrite(file, e);
        }
    }
}
