package dev.granular.teacher.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The batch APIs of {@link FakeLlmServer}: OpenAI's ({@code POST /v1/files} multipart with {@code purpose=batch},
 * {@code POST /v1/batches}, {@code GET /v1/batches/ID}, {@code GET /v1/files/ID/content}) and Anthropic's
 * ({@code POST /v1/messages/batches}, {@code GET /v1/messages/batches/ID}, {@code GET .../ID/results}). Each request of
 * a batch is answered by the server's script, as the same request sent on its own would be, when the batch ends.
 *
 * <p>Faults: {@link #pollsBeforeDone} (a slow batch), {@link #expireNext} (a batch that expires with only some requests
 * done), {@link #rejectSubmits} (429 on submit), results in shuffled order (always, seeded), a script's errors (a batch
 * that partly fails), and {@link #stallDownloads} (a results file that stops half way, to kill a client mid-download).
 * {@link #submittedIds()} records every custom id of every accepted batch, so tests can assert none was submitted twice.
 */
public final class FakeBatches {
    private final Function<ReceivedRequest, Reply> script;
    private final CountDownLatch serverClosed;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Batch> batches = new ConcurrentHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<String> submitted = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, String> inputFiles = new ConcurrentHashMap<>();
    private final AtomicInteger rejects = new AtomicInteger();
    private final AtomicInteger dropAnswers = new AtomicInteger();
    private final AtomicInteger expiring = new AtomicInteger();
    private final AtomicInteger batchesAccepted = new AtomicInteger();
    private final AtomicInteger downloadsStarted = new AtomicInteger();
    private final AtomicInteger polls = new AtomicInteger();
    private volatile int expireKeep;
    private volatile int pollsBeforeDone;
    private volatile CountDownLatch stall;
    private final Random random = new Random(42);

    FakeBatches(Function<ReceivedRequest, Reply> script, CountDownLatch serverClosed) {
        this.script = script;
        this.serverClosed = serverClosed;
    }

    private static final class Batch {
        final String id;
        final boolean anthropic;
        final List<JsonNode> items;
        final int keep;
        final int ordinal;
        int polled;
        String outputFile;
        String errorFile;
        byte[] results;

        Batch(String id, boolean anthropic, List<JsonNode> items, int keep, int ordinal) {
            this.id = id;
            this.anthropic = anthropic;
            this.items = items;
            this.keep = keep;
            this.ordinal = ordinal;
        }
    }

    /** Batches answer "in progress" to their first {@code n} polls (a slow batch). */
    public FakeBatches pollsBeforeDone(int n) {
        this.pollsBeforeDone = n;
        return this;
    }

    /**
     * The {@code ordinal}-th accepted batch (1 for the first) and every later one stay in progress until
     * {@link #releaseHeld}.
     */
    public FakeBatches holdBatchesFrom(int ordinal) {
        holdFrom = ordinal;
        return this;
    }

    public FakeBatches releaseHeld() {
        holdFrom = Integer.MAX_VALUE;
        return this;
    }

    private volatile int holdFrom = Integer.MAX_VALUE;

    /** The next {@code batches} batches expire with only their first {@code keep} requests (in submit order) done. */
    public FakeBatches expireNext(int batches, int keep) {
        expireKeep = keep;
        expiring.set(batches);
        return this;
    }

    /** The next {@code n} batches are created but their creation's answer is lost: the connection closes without one. */
    public FakeBatches dropCreateAnswers(int n) {
        dropAnswers.set(n);
        return this;
    }

    /** The next {@code n} submissions get 429 with {@code Retry-After: 0}. */
    public FakeBatches rejectSubmits(int n) {
        rejects.set(n);
        return this;
    }

    /** From now on a results download sends half its bytes, then stalls until {@link #resumeDownloads} or close. */
    public FakeBatches stallDownloads() {
        stall = new CountDownLatch(1);
        return this;
    }

    public FakeBatches resumeDownloads() {
        CountDownLatch s = stall;
        stall = null;
        if (s != null) {
            s.countDown();
        }
        return this;
    }

    /** Every custom id of every accepted batch, in submission order (a request submitted twice is there twice). */
    public List<String> submittedIds() {
        synchronized (submitted) {
            return new ArrayList<>(submitted);
        }
    }

    public int batchesAccepted() {
        return batchesAccepted.get();
    }

    public int downloadsStarted() {
        return downloadsStarted.get();
    }

    public int polls() {
        return polls.get();
    }

    /** Whether {@code r} is a batch API request. */
    static boolean handles(ReceivedRequest r) {
        String p = r.path();
        return p.endsWith("/files") || p.contains("/files/") || p.endsWith("/batches") || p.contains("/batches/");
    }

    /** Answers a batch API request; false when the connection must close. */
    boolean respond(OutputStream out, ReceivedRequest r, boolean keepAlive) throws IOException, InterruptedException {
        String p = r.path();
        boolean anthropic = p.contains("/messages/batches");
        ReceivedRequest.Api api = anthropic ? ReceivedRequest.Api.ANTHROPIC : ReceivedRequest.Api.OPENAI;
        if (r.method().equals("POST") && p.endsWith("/files")) {
            return json(out, keepAlive, 200, upload(r));
        }
        if (r.method().equals("POST") && p.endsWith("/batches")) {
            if (rejects.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                FakeLlmServer.write(out, 429, Reply.errorBody(api, 429, "too many batches").getBytes(StandardCharsets.UTF_8),
                        List.of(Map.entry("Retry-After", "0")), keepAlive, -1);
                return keepAlive;
            }
            List<JsonNode> items = new ArrayList<>();
            if (anthropic) {
                r.json().path("requests").forEach(items::add);
            } else {
                byte[] file = files.get(r.json().path("input_file_id").asText());
                if (file == null) {
                    return error(out, keepAlive, api, 400, "no such input file");
                }
                for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        items.add(Reply.JSON.readTree(line));
                    }
                }
            }
            String id = (anthropic ? "msgbatch_" : "batch_") + ids.incrementAndGet();
            int keep = expiring.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? expireKeep : Integer.MAX_VALUE;
            Batch b = new Batch(id, anthropic, items, keep, batchesAccepted.incrementAndGet());
            batches.put(id, b);
            items.forEach(i -> submitted.add(i.path("custom_id").asText()));
            if (!anthropic) {
                inputFiles.put(id, r.json().path("input_file_id").asText());
            }
            if (dropAnswers.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return false; // created, but the client never hears it
            }
            return json(out, keepAlive, 200, status(b));
        }
        if (r.method().equals("GET") && p.endsWith("/batches")) {
            ObjectNode list = Reply.JSON.createObjectNode();
            var data = list.putArray("data");
            batches.values().stream().filter(b -> !b.anthropic).forEach(b -> data.add(status(b)));
            return json(out, keepAlive, 200, list);
        }
        if (r.method().equals("GET") && p.contains("/batches/") && !p.endsWith("/results")) {
            Batch b = batches.get(p.substring(p.lastIndexOf('/') + 1));
            if (b == null) {
                return error(out, keepAlive, api, 404, "no such batch");
            }
            polls.incrementAndGet();
            synchronized (b) {
                b.polled++;
            }
            return json(out, keepAlive, 200, status(b));
        }
        if (r.method().equals("GET") && (p.endsWith("/results") || p.endsWith("/content"))) {
            byte[] body;
            if (p.endsWith("/results")) {
                String id = p.substring(0, p.length() - "/results".length());
                Batch b = batches.get(id.substring(id.lastIndexOf('/') + 1));
                body = b == null ? null : b.results;
            } else {
                String id = p.substring(0, p.length() - "/content".length());
                body = files.get(id.substring(id.lastIndexOf('/') + 1));
            }
            if (body == null) {
                return error(out, keepAlive, api, 404, "no such results");
            }
            downloadsStarted.incrementAndGet();
            CountDownLatch s = stall;
            if (s != null) {
                FakeLlmServer.write(out, 200, java.util.Arrays.copyOf(body, body.length / 2), List.of(), false, body.length);
                while (!s.await(10, TimeUnit.MILLISECONDS)) {
                    if (serverClosed.getCount() == 0) {
                        return false;
                    }
                }
                out.write(body, body.length / 2, body.length - body.length / 2);
                out.flush();
                return false;
            }
            FakeLlmServer.write(out, 200, body, List.of(), keepAlive, -1);
            return keepAlive;
        }
        return error(out, keepAlive, api, 404, "no such batch endpoint: " + r.method() + " " + p);
    }

    private ObjectNode upload(ReceivedRequest r) {
        String type = r.header("content-type").orElse("");
        String boundary = "--" + type.substring(type.indexOf("boundary=") + "boundary=".length());
        String body = r.body();
        String file = null;
        for (String part : body.split(java.util.regex.Pattern.quote(boundary))) {
            if (part.contains("name=\"file\"")) {
                int start = part.indexOf("\r\n\r\n") + 4;
                file = part.substring(start, part.length() - 2); // the CRLF before the next boundary
            }
        }
        String id = "file-" + ids.incrementAndGet();
        byte[] bytes = file == null ? new byte[0] : file.getBytes(StandardCharsets.UTF_8);
        files.put(id, bytes);
        ObjectNode n = Reply.JSON.createObjectNode();
        n.put("id", id).put("object", "file").put("bytes", bytes.length).put("purpose", "batch");
        return n;
    }

    /** The batch's status object now; the batch ends (and its results are made) after its polls. */
    private ObjectNode status(Batch b) {
        boolean ended;
        synchronized (b) {
            ended = b.polled > pollsBeforeDone && b.ordinal < holdFrom;
            if (ended && b.results == null && b.outputFile == null) {
                finish(b);
            }
        }
        boolean expired = b.keep < b.items.size();
        ObjectNode n = Reply.JSON.createObjectNode();
        n.put("id", b.id);
        int done = ended ? Math.min(b.keep, b.items.size()) : 0;
        if (b.anthropic) {
            n.put("type", "message_batch");
            n.put("processing_status", ended ? "ended" : "in_progress");
            n.putObject("request_counts").put("processing", ended ? 0 : b.items.size()).put("succeeded", done)
                    .put("errored", 0).put("canceled", 0).put("expired", ended ? b.items.size() - done : 0);
            if (ended) {
                n.put("results_url", "http://127.0.0.1:" + port + "/v1/messages/batches/" + b.id + "/results");
            } else {
                n.putNull("results_url");
            }
        } else {
            n.put("object", "batch");
            n.put("input_file_id", inputFiles.get(b.id));
            n.put("status", !ended ? (b.polled == 0 ? "validating" : "in_progress") : expired ? "expired" : "completed");
            n.putObject("request_counts").put("total", b.items.size()).put("completed", done).put("failed", 0);
            n.put("output_file_id", b.outputFile);
            n.put("error_file_id", b.errorFile);
        }
        return n;
    }

    volatile int port;

    /** Answers every request of {@code b} with the script (shuffled), those past its {@code keep} expired. */
    private void finish(Batch b) {
        List<String> ok = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < b.items.size(); i++) {
            JsonNode item = b.items.get(i);
            String customId = item.path("custom_id").asText();
            ObjectNode line = Reply.JSON.createObjectNode();
            if (!b.anthropic) {
                line.put("id", "batch_req_" + b.id + "_" + i);
            }
            line.put("custom_id", customId);
            if (i >= b.keep) {
                if (b.anthropic) {
                    line.putObject("result").put("type", "expired");
                    ok.add(line.toString());
                } else {
                    line.putNull("response");
                    line.putObject("error").put("code", "batch_expired").put("message", "This request could not be executed "
                            + "before the completion window expired.");
                    errors.add(line.toString());
                }
                continue;
            }
            JsonNode body = b.anthropic ? item.path("params") : item.path("body");
            String path = b.anthropic ? "/v1/messages" : "/v1/chat/completions";
            ReceivedRequest inner = new ReceivedRequest(ids.incrementAndGet(), "POST", path, Map.of(), body.toString(), body);
            Reply reply;
            try {
                reply = script.apply(inner);
            } catch (RuntimeException e) {
                reply = Reply.status(500);
            }
            int status = switch (reply.kind) {
                case TEXT, ERROR, RAW -> reply.status;
                default -> 500;
            };
            String text = new String(reply.kind == Reply.Kind.TEXT || reply.kind == Reply.Kind.ERROR || reply.kind == Reply.Kind.RAW
                    ? reply.body(inner) : Reply.errorBody(inner.api(), 500, "fault").getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.UTF_8);
            JsonNode json;
            try {
                json = Reply.JSON.readTree(text);
            } catch (IOException e) {
                json = Reply.JSON.getNodeFactory().textNode(text);
            }
            if (b.anthropic) {
                ObjectNode result = line.putObject("result");
                if (status / 100 == 2) {
                    result.put("type", "succeeded").set("message", json);
                } else {
                    result.put("type", "errored").set("error", json);
                }
                ok.add(line.toString());
            } else {
                ObjectNode response = line.putObject("response");
                response.put("status_code", status).put("request_id", "req_" + i).set("body", json);
                line.putNull("error");
                (status / 100 == 2 ? ok : errors).add(line.toString());
            }
        }
        synchronized (random) {
            Collections.shuffle(ok, random);
            Collections.shuffle(errors, random);
        }
        if (b.anthropic) {
            b.results = lines(ok);
        } else {
            if (!ok.isEmpty()) {
                b.outputFile = "file-" + ids.incrementAndGet();
                files.put(b.outputFile, lines(ok));
            }
            if (!errors.isEmpty()) {
                b.errorFile = "file-" + ids.incrementAndGet();
                files.put(b.errorFile, lines(errors));
            }
        }
    }

    private static byte[] lines(List<String> lines) {
        StringBuilder s = new StringBuilder();
        lines.forEach(l -> s.append(l).append('\n'));
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean json(OutputStream out, boolean keepAlive, int status, JsonNode body) throws IOException {
        FakeLlmServer.write(out, status, body.toString().getBytes(StandardCharsets.UTF_8), List.of(), keepAlive, -1);
        return keepAlive;
    }

    private static boolean error(OutputStream out, boolean keepAlive, ReceivedRequest.Api api, int status, String message)
            throws IOException {
        FakeLlmServer.write(out, status, Reply.errorBody(api, status, message).getBytes(StandardCharsets.UTF_8), List.of(),
                keepAlive, -1);
        return keepAlive;
    }
}
