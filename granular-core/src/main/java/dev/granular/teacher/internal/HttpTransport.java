package dev.granular.teacher.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link Transport} on the JDK's {@link HttpClient}.
 *
 * <p><b>Why not the vendors' SDKs.</b> The OpenAI and Anthropic Java SDKs bring their own
 * dispatchers, which cap requests in flight per host, and retry on their own. This layer must own
 * concurrency (AIMD, rate limits) and retries (backoff, Retry-After, the circuit breaker), and a
 * second, hidden cap or retry loop underneath would make both wrong: a request the engine counts
 * as in flight would sit in the SDK's queue, and one the engine counts as one attempt would be
 * several. This class sends exactly one HTTP exchange per {@link #post} and never retries a request
 * the server may have seen.
 *
 * <p><b>Threads.</b> {@link #post} blocks; it is meant for virtual threads, thousands at once. One
 * {@link HttpClient} is shared by all of them. Its executor runs on virtual threads, so the client's
 * own work (completing futures, reading bodies) never waits for a small platform pool. The client
 * follows no redirects: a redirect from an API is a misconfigured base URL, reported as its status.
 *
 * <p><b>Protocol.</b> {@code http://} always speaks HTTP/1.1 (local servers: vLLM, llama.cpp,
 * Ollama). An HTTP/2 client would first try an {@code h2c} upgrade on each new connection, which
 * some of them mishandle. {@code https://} speaks HTTP/1.1 too unless {@code http2} is set.
 * The reason is what the JDK does (JDK 21 to 25, {@code Http2Connection.reserveStream0}): once
 * the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS} streams are open on its one connection to a
 * host, the next request fails at once with {@code IOException("too many concurrent streams")}.
 * It does not queue and does not open a second connection. With the hundreds of requests in
 * flight this layer runs, HTTP/2 would turn concurrency into spurious failures unless the engine
 * kept in-flight requests per host under the server's limit (often 100 to 250). HTTP/1.1 opens one
 * connection per request in flight instead. The JDK has no per-host connection cap
 * ({@code jdk.httpclient.connectionPoolSize}, default 0, only bounds the idle keep-alive cache), so
 * 1024 concurrent requests make 1024 connections. Idle connections close after
 * {@code jdk.httpclient.keepalive.timeout} (30 s).
 *
 * <p><b>Deadlines.</b> {@link HttpRequest.Builder#timeout} alone covers only the wait for the
 * response headers: the JDK cancels its timer when they arrive, so a server that stalls mid-body
 * would hold the caller forever. Here {@code timeout} is a deadline for the whole exchange,
 * headers and body, and missing it throws {@link HttpTimeoutException}.
 *
 * <p><b>Short bodies.</b> When a server closes the connection before sending the
 * {@code Content-Length} it announced, the JDK fails the exchange with an {@link IOException}
 * ({@code "fixed content-length: N, bytes received: M"}). It never returns a short body as if it
 * were complete. Tests in {@code HttpTransportTest} pin this down.
 *
 * <p><b>Secrets.</b> Header values (API keys) never appear in this class's exception messages. The
 * JDK's own {@code IllegalArgumentException} for an invalid header value quotes the value, so it is
 * replaced by one that names only the header.
 */
public final class HttpTransport implements Transport {
    /** Default time to open a TCP (and TLS) connection. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final ExecutorService executor;
    private final HttpClient client;
    private final boolean http2;

    /** HTTP/1.1 everywhere, {@link #DEFAULT_CONNECT_TIMEOUT}. */
    public HttpTransport() {
        this(DEFAULT_CONNECT_TIMEOUT, false);
    }

    /**
     * @param connectTimeout time to open a connection (a refused or unreachable host fails sooner or at this)
     * @param http2          whether {@code https://} may negotiate HTTP/2 (see the class comment for why the
     *                       default is no)
     */
    public HttpTransport(Duration connectTimeout, boolean http2) {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.http2 = http2;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("granular-http-", 0).factory());
        this.client = HttpClient.newBuilder()
                .version(http2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
    }

    @Override
    public RawReply post(URI uri, Map<String, String> headers, String body, Duration timeout)
            throws IOException, InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (!http2 || !"https".equalsIgnoreCase(uri.getScheme())) {
            b.version(HttpClient.Version.HTTP_1_1);
        }
        for (Map.Entry<String, String> h : headers.entrySet()) {
            try {
                b.header(h.getKey(), h.getValue());
            } catch (IllegalArgumentException e) {
                // The JDK's message quotes the value, which may be a key: name the header only.
                throw new IllegalArgumentException("invalid value for HTTP header " + h.getKey()
                        + " (a control character or line break?)");
            }
        }
        HttpRequest request = b.build();
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> f =
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        HttpResponse<String> response;
        try {
            response = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new HttpTimeoutException("no complete reply from " + uri + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        } catch (CancellationException e) {
            throw new IOException("request to " + uri + " was cancelled", e);
        } catch (ExecutionException e) {
            throw unwrap(uri, e.getCause());
        }
        long latencyMs = (System.nanoTime() - start) / 1_000_000;
        return new RawReply(response.statusCode(), response.body(), lowerCase(response.headers().map()), latencyMs);
    }

    /**
     * The exchange's own exception, so callers can tell a {@link HttpTimeoutException} or a
     * {@link java.net.ConnectException} apart; anything else becomes an {@link IOException}.
     */
    private static IOException unwrap(URI uri, Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IOException("request to " + uri + " failed: " + cause, cause);
    }

    private static Map<String, List<String>> lowerCase(Map<String, List<String>> in) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : in.entrySet()) {
            out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(e.getValue());
        }
        out.replaceAll((k, v) -> List.copyOf(v));
        return Map.copyOf(out);
    }

    /**
     * Aborts exchanges still in flight and releases the client's connections and threads. Waits
     * at most a few seconds, so a hung server cannot hold a run's shutdown.
     */
    @Override
    public void close() {
        client.shutdownNow();
        try {
            client.awaitTermination(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }
}
