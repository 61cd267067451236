package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Anthropic Message Batches: {@code POST BASE/messages/batches} with {@code {requests: [{custom_id, params}]}},
 * polled at {@code GET BASE/messages/batches/ID} until {@code processing_status} is {@code ended}, then its
 * {@code results_url} read as JSONL, each line's {@code result.type} one of {@code succeeded}, {@code errored},
 * {@code canceled}, {@code expired}. Limits: 100,000 requests and 256 MB per batch.
 */
public final class AnthropicBatchApi implements BatchApi {
    static final int MAX_REQUESTS = 100_000;
    static final long MAX_BYTES = 256L * 1024 * 1024;

    private final ModelSpec spec;
    private final Optional<Secret> key;
    private final BatchHttp http;
    private final AnthropicWire wire = new AnthropicWire();

    AnthropicBatchApi(ModelSpec spec, Optional<Secret> key, BatchHttp http) {
        this.spec = spec;
        this.key = key;
        this.http = http;
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
        return "{\"custom_id\":\"" + customId + "\",\"params\":" + body + "}";
    }

    @Override
    public String submit(List<String> items) throws IOException, InterruptedException {
        StringBuilder b = new StringBuilder("{\"requests\":[");
        for (int i = 0; i < items.size(); i++) {
            b.append(i == 0 ? "" : ",").append(items.get(i));
        }
        b.append("]}");
        RawReply r = BatchApi.ok(http.post(uri("/messages/batches"), headers(), "application/json",
                b.toString().getBytes(StandardCharsets.UTF_8)), wire, key);
        String id = OpenAiWire.JSON.readTree(r.body()).path("id").asText("");
        if (id.isEmpty()) {
            throw new IOException("the batch was created without an id");
        }
        return id;
    }

    @Override
    public Status poll(String batchId) throws IOException, InterruptedException {
        JsonNode b = OpenAiWire.JSON.readTree(BatchApi.ok(http.get(uri("/messages/batches/" + batchId), headers()), wire, key).body());
        String state = b.path("processing_status").asText("unknown");
        JsonNode c = b.path("request_counts");
        long done = c.path("succeeded").asLong() + c.path("errored").asLong() + c.path("canceled").asLong() + c.path("expired").asLong();
        String counts = done + "/" + (done + c.path("processing").asLong()) + " done";
        return new Status(batchId, state, state.equals("ended"), counts, Optional.empty(), b);
    }

    @Override
    public void results(Status status, Consumer<Result> sink) throws IOException, InterruptedException {
        String url = status.raw().path("results_url").asText("");
        if (url.isEmpty()) {
            return;
        }
        http.lines(URI.create(url), headers(), line -> sink.accept(result(line)));
    }

    /** One line of the results stream. */
    static Result result(String line) {
        JsonNode n;
        try {
            n = OpenAiWire.JSON.readTree(line);
        } catch (IOException e) {
            return new Result(null, Kind.RETRY, 0, null, "an unreadable result line");
        }
        String id = n.path("custom_id").asText(null);
        JsonNode result = n.path("result");
        return switch (result.path("type").asText("")) {
            case "succeeded" -> new Result(id, Kind.OK, 200, result.path("message").toString(), null);
            case "errored" -> {
                JsonNode e = result.path("error").path("error");
                String type = e.path("type").asText(result.path("error").path("type").asText("error"));
                String message = type + ": " + e.path("message").asText("(no message)");
                // Only a request the API refused is final; overloaded, api_error, rate limits are asked again.
                boolean fatal = switch (type) {
                    case "invalid_request_error", "not_found_error", "permission_error", "authentication_error",
                         "request_too_large" -> true;
                    default -> false;
                };
                yield new Result(id, fatal ? Kind.FAILED : Kind.RETRY, fatal ? 400 : 0, null, message);
            }
            case "canceled", "expired" -> new Result(id, Kind.RETRY, 0, null, "the batch " + result.path("type").asText()
                    + " before this request was processed");
            default -> new Result(id, Kind.RETRY, 0, null, "an unknown result type '" + result.path("type").asText() + "'");
        };
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
