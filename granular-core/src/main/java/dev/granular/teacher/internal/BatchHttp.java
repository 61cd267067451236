package dev.granular.teacher.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The HTTP exchanges of the batch APIs: GETs, JSON and multipart POSTs, and result files read line by line as they
 * arrive (a 50,000-reply file is never held whole). {@link Transport} stays the one-POST-per-completion path; this is
 * the few, larger exchanges a batch needs, on the JDK client for the reasons given in {@link HttpTransport}
 * (HTTP/1.1, no redirects, virtual threads). No header value (a key) reaches an exception message.
 */
public final class BatchHttp implements AutoCloseable {
    private final java.util.concurrent.ExecutorService executor =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("granular-batch-http-", 0).factory());
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(HttpTransport.DEFAULT_CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
            .executor(executor).build();
    private final Duration timeout;

    BatchHttp(Duration timeout) {
        this.timeout = timeout;
    }

    /** A non-2xx answer: its status, the server's message (never a header) and Retry-After. */
    static final class StatusException extends IOException {
        final int status;
        final RawReply reply;

        StatusException(int status, String message, RawReply reply) {
            super("HTTP " + status + ": " + message);
            this.status = status;
            this.reply = reply;
        }
    }

    RawReply get(URI uri, Map<String, String> headers) throws IOException, InterruptedException {
        return send(request(uri, headers, null).GET().build());
    }

    RawReply post(URI uri, Map<String, String> headers, String contentType, byte[] body) throws IOException, InterruptedException {
        // The timeout runs until the answer's headers, so it covers the upload: a 200 MB batch gets up to an hour.
        Duration t = body.length > (1 << 20) ? max(timeout, Duration.ofSeconds(body.length / (64 * 1024))) : timeout;
        return send(request(uri, headers, contentType).timeout(t).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /**
     * GETs {@code uri} and hands each line of the body to {@code sink} as it arrives (blank lines skipped).
     *
     * @throws StatusException for a non-2xx answer
     */
    void lines(URI uri, Map<String, String> headers, Consumer<String> sink) throws IOException, InterruptedException {
        // No overall timeout here: a large file takes as long as it takes; the connect timeout still applies.
        HttpRequest req = request(uri, headers, null).timeout(Duration.ofHours(6)).GET().build();
        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() / 100 != 2) {
                String body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                throw new StatusException(r.statusCode(), body.length() > 500 ? body.substring(0, 500) : body,
                        new RawReply(r.statusCode(), body, Map.of(), 0));
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) {
                    sink.accept(line);
                }
            }
        }
    }

    private HttpRequest.Builder request(URI uri, Map<String, String> headers, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).version(HttpClient.Version.HTTP_1_1);
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase("Content-Type")) {
                continue;
            }
            try {
                b.header(h.getKey(), h.getValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid value for HTTP header " + h.getKey());
            }
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return b;
    }

    private RawReply send(HttpRequest req) throws IOException, InterruptedException {
        long start = System.nanoTime();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        Map<String, List<String>> headers = new java.util.HashMap<>();
        r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
        return new RawReply(r.statusCode(), r.body(), headers, (System.nanoTime() - start) / 1_000_000);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public void close() {
        client.shutdownNow();
        executor.shutdownNow();
    }
}
