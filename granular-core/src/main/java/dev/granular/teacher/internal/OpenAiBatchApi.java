package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The OpenAI Batch API: the requests go up as a JSONL file ({@code POST BASE/files}, {@code purpose=batch}, one
 * {@code {custom_id, method, url, body}} line per request), a batch is created on it ({@code POST BASE/batches},
 * 24 h window), polled ({@code GET BASE/batches/ID}), and its output and error files read
 * ({@code GET BASE/files/ID/content}). An expired batch's output file holds what finished in time; the rest is asked
 * again. Limits: 50,000 requests and 200 MB per file.
 */
public final class OpenAiBatchApi implements BatchApi {
    static final int MAX_REQUESTS = 50_000;
    static final long MAX_BYTES = 200L * 1024 * 1024;

    private final ModelSpec spec;
    private final Optional<Secret> key;
    private final BatchHttp http;
    private final OpenAiWire wire = new OpenAiWire();
    /** The path every request line names, e.g. {@code /v1/chat/completions}: the endpoint under the base URL. */
    private final String endpoint;

    OpenAiBatchApi(ModelSpec spec, Optional<Secret> key, BatchHttp http) {
        this.spec = spec;
        this.key = key;
        this.http = http;
        this.endpoint = spec.baseUrl().getPath() + "/chat/completions";
    }

    @Override
    public int maxRequests() {
        return MAX_REQUESTS;
    }

    @Override
    public long maxBytes() {
        return MAX_BYTES;
    }

    @Override
    public String item(String customId, String body) {
        // body is the wire's compact JSON (no line breaks), spliced in as it is
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + endpoint + "\",\"body\":" + body + "}";
    }

    @Override
    public String submit(List<String> items) throws IOException, InterruptedException {
        String boundary = "granular-" + UUID.randomUUID();
        long size = 1024;
        for (String item : items) {
            size += item.length() + 1; // a good guess of the UTF-8 length: one allocation, not a doubling series
        }
        ByteArrayOutputStream form = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, size));
        form.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"granular-batch.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        for (String item : items) {
            form.writeBytes(item.getBytes(StandardCharsets.UTF_8));
            form.write('\n');
        }
        form.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        RawReply file = BatchApi.ok(http.post(uri("/files"), headers(), "multipart/form-data; boundary=" + boundary,
                form.toByteArray()), wire, key);
        String fileId = OpenAiWire.JSON.readTree(file.body()).path("id").asText();
        ObjectNode create = OpenAiWire.JSON.createObjectNode();
        create.put("input_file_id", fileId);
        create.put("endpoint", endpoint);
        create.put("completion_window", "24h");
        RawReply batch;
        try {
            batch = BatchApi.ok(http.post(uri("/batches"), headers(), "application/json",
                    create.toString().getBytes(StandardCharsets.UTF_8)), wire, key);
        } catch (BatchHttp.StatusException e) {
            throw e;
        } catch (IOException e) {
            // The answer was lost, not necessarily the batch: one created on this file is adopted, not submitted twice.
            Optional<String> created = createdOn(fileId);
            if (created.isPresent()) {
                return created.get();
            }
            throw e;
        }
        String id = OpenAiWire.JSON.readTree(batch.body()).path("id").asText("");
        if (id.isEmpty()) {
            throw new IOException("the batch was created without an id");
        }
        return id;
    }

    /** The batch created on input file {@code fileId}, among the most recent ones, if any. */
    private Optional<String> createdOn(String fileId) throws InterruptedException {
        try {
            JsonNode list = OpenAiWire.JSON.readTree(BatchApi.ok(http.get(uri("/batches?limit=100"), headers()), wire, key).body());
            for (JsonNode b : list.path("data")) {
                if (fileId.equals(b.path("input_file_id").asText())) {
                    return Optional.of(b.path("id").asText());
                }
            }
        } catch (IOException e) {
            // cannot tell: the caller submits again
        }
        return Optional.empty();
    }

    @Override
    public Status poll(String batchId) throws IOException, InterruptedException {
        JsonNode b = OpenAiWire.JSON.readTree(BatchApi.ok(http.get(uri("/batches/" + batchId), headers()), wire, key).body());
        String state = b.path("status").asText("unknown");
        boolean ended = switch (state) {
            case "completed", "failed", "expired", "cancelled" -> true;
            default -> false;
        };
        JsonNode c = b.path("request_counts");
        String counts = c.path("completed").asLong() + c.path("failed").asLong() + "/" + c.path("total").asLong() + " done";
        Optional<String> failure = Optional.empty();
        if (state.equals("failed")) {
            JsonNode e = b.path("errors").path("data").path(0);
            failure = Optional.of(e.path("message").asText("the batch failed validation")
                    + (e.path("code").isTextual() ? " (" + e.path("code").asText() + ")" : ""));
        }
        return new Status(batchId, state, ended, counts, failure, b);
    }

    @Override
    public void results(Status status, Consumer<Result> sink) throws IOException, InterruptedException {
        for (String field : List.of("output_file_id", "error_file_id")) {
            String file = status.raw().path(field).asText("");
            if (!file.isEmpty()) {
                http.lines(uri("/files/" + file + "/content"), headers(), line -> sink.accept(result(line)));
            }
        }
    }

    /** One line of an output or error file. */
    static Result result(String line) {
        JsonNode n;
        try {
            n = OpenAiWire.JSON.readTree(line);
        } catch (IOException e) {
            return new Result(null, Kind.RETRY, 0, null, "an unreadable result line");
        }
        String id = n.path("custom_id").asText(null);
        JsonNode response = n.path("response");
        if (response.isObject() && response.has("status_code")) {
            int status = response.path("status_code").asInt();
            if (status / 100 == 2) {
                return new Result(id, Kind.OK, status, response.path("body").toString(), null);
            }
            String message = "HTTP " + status + ": " + response.path("body").path("error").path("message").asText("(no message)");
            return new Result(id, RetryPolicy.classify(status) == Classification.RETRY ? Kind.RETRY : Kind.FAILED, status, null,
                    message);
        }
        JsonNode error = n.path("error");
        String message = error.path("message").asText("no response") + (error.path("code").isTextual()
                ? " (" + error.path("code").asText() + ")" : "");
        return new Result(id, Kind.RETRY, 0, null, message);
    }

    private URI uri(String path) {
        return URI.create(spec.baseUrl() + path);
    }

    private Map<String, String> headers() {
        return wire.headers(spec, key);
    }

    @Override
    public void close() {
        http.close();
    }
}
