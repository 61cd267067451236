package dev.granular.teacher.testserver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * An in-process LLM server for tests: OpenAI Chat Completions ({@code POST /v1/chat/completions})
 * and Anthropic Messages ({@code POST /v1/messages}) on 127.0.0.1, on a free port, and both
 * providers' batch APIs ({@link #batches()}, see {@link FakeBatches}).
 *
 * <p>It is written on raw sockets, not on the JDK's {@code HttpServer}, because the faults the
 * client layer must survive need control of the connection that {@code HttpServer} does not give:
 * a real TCP reset ({@code SO_LINGER 0} then close), a {@code Content-Length} the body never
 * reaches, a body that stalls. It speaks just enough HTTP/1.1 for HTTP clients: request line,
 * headers, a {@code Content-Length} body, keep-alive, {@code Connection: close}. Every connection
 * gets a virtual thread and the accept backlog is 4096, so it holds thousands of concurrent
 * requests, and a {@link Reply#delay} on one never holds up another.
 *
 * <p>What it replies is scripted: {@link #script} sets a function from {@link ReceivedRequest}
 * to {@link Reply} (default {@link Scripts#echo()}); {@link #enqueue} queues replies for one
 * model, served before the script. Requests it cannot parse get 400, unknown paths 404, other
 * methods 405, JSON it cannot parse 400 in the provider's error shape; a script that throws
 * gives 500. Counters ({@link #totalRequests()}, {@link #maxInFlight()},
 * {@link #requestsPerPath()}) and the requests themselves ({@link #requests()}) are kept for
 * assertions.
 *
 * <p>{@link #close()} stops accepting, closes every connection and wakes every delayed or hanging
 * reply, so no thread outlives the server. All its threads are daemon or virtual threads.
 */
public final class FakeLlmServer implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_BODY_BYTES = 512 * 1024 * 1024; // a batch file of 100K requests

    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Map<String, Queue<Reply>> queues = new ConcurrentHashMap<>();
    private volatile Function<ReceivedRequest, Reply> script = Scripts.echo();
    /** The batch APIs; their requests are answered by the current script. */
    private final FakeBatches batches = new FakeBatches(r -> script.apply(r), closed);

    private final AtomicLong seq = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong badRequests = new AtomicLong();
    private final Map<String, LongAdder> perPath = new ConcurrentHashMap<>();
    private final Queue<ReceivedRequest> log = new ConcurrentLinkedQueue<>();

    private FakeLlmServer() throws IOException {
        server = new ServerSocket(0, 4096, InetAddress.getByName("127.0.0.1"));
        acceptor = Thread.ofPlatform().daemon().name("fake-llm-accept-" + server.getLocalPort()).unstarted(this::acceptLoop);
        acceptor.start();
        batches.port = server.getLocalPort();
    }

    /** The batch APIs (OpenAI files and batches, Anthropic message batches) and their fault injection. */
    public FakeBatches batches() {
        return batches;
    }

    /** A server listening on 127.0.0.1 on a free port, replying with {@link Scripts#echo()}. */
    public static FakeLlmServer start() throws IOException {
        return new FakeLlmServer();
    }

    /** {@code http://127.0.0.1:PORT/v1}, the base URL a {@code ModelSpec} takes after {@code @}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** {@code baseUrl() + path}, e.g. {@code uri("/chat/completions")}. */
    public URI uri(String path) {
        return URI.create(baseUrl() + path);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Replies to every request (not served from a queue) with {@code script}'s reply. */
    public FakeLlmServer script(Function<ReceivedRequest, Reply> script) {
        this.script = Objects.requireNonNull(script, "script");
        return this;
    }

    /** Queues replies for requests whose {@code model} is {@code model}, in order; when they run out, the script answers. */
    public FakeLlmServer enqueue(String model, Reply... replies) {
        queues.computeIfAbsent(model, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /** Requests parsed so far (malformed ones, answered 400 before parsing finished, are in {@link #badRequests()}). */
    public long totalRequests() {
        return seq.get();
    }

    /** Requests rejected with 400 because they were not HTTP this server understands. */
    public long badRequests() {
        return badRequests.get();
    }

    /** The most requests that were between "fully received" and "reply finished" at one time. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** Requests between "fully received" and "reply finished" now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** TCP connections accepted so far. */
    public long connectionsAccepted() {
        return connections.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return sockets.size();
    }

    /** Request count per path, sorted by path. */
    public Map<String, Long> requestsPerPath() {
        Map<String, Long> m = new TreeMap<>();
        perPath.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Every request parsed so far, in arrival order. */
    public List<ReceivedRequest> requests() {
        return new ArrayList<>(log);
    }

    /** The request with the highest sequence number, or null when none came. */
    public ReceivedRequest lastRequest() {
        ReceivedRequest last = null;
        for (ReceivedRequest r : log) {
            if (last == null || r.seq() > last.seq()) {
                last = r;
            }
        }
        return last;
    }

    /** Sets the in-flight high-water mark to the current in-flight count, e.g. between phases of a test. */
    public void resetMaxInFlight() {
        maxInFlight.set(inFlight.get());
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            sockets.add(s);
            if (closed.getCount() == 0) {
                closeQuietly(s);
                return;
            }
            Thread.ofVirtual().name("fake-llm-conn").start(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            while (closed.getCount() > 0) {
                Parsed p;
                try {
                    p = readRequest(in);
                } catch (BadRequest e) {
                    badRequests.incrementAndGet();
                    write(out, 400, Reply.errorBody(ReceivedRequest.Api.OTHER, 400, e.getMessage()).getBytes(StandardCharsets.UTF_8),
                            List.of(), false, -1);
                    return;
                }
                if (p == null) {
                    return;
                }
                JsonNode json = null;
                String body = new String(p.body, StandardCharsets.UTF_8);
                try {
                    json = body.isEmpty() ? null : Reply.JSON.readTree(body);
                } catch (JsonProcessingException e) {
                    json = null;
                }
                ReceivedRequest r = new ReceivedRequest(seq.incrementAndGet(), p.method, p.path, p.headers, body, json);
                log.add(r);
                perPath.computeIfAbsent(p.path, k -> new LongAdder()).increment();
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                boolean again;
                try {
                    again = respond(s, in, out, r, p.keepAlive);
                } finally {
                    inFlight.decrementAndGet();
                }
                if (!again) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // The client went away or the server is closing: nothing to answer.
        } finally {
            sockets.remove(s);
        }
    }

    /** Answers one request; false when the connection must close afterwards. */
    private boolean respond(Socket s, InputStream in, OutputStream out, ReceivedRequest r, boolean keepAlive)
            throws IOException, InterruptedException {
        ReceivedRequest.Api api = r.api();
        if (api == ReceivedRequest.Api.OTHER && FakeBatches.handles(r)) {
            return batches.respond(out, r, keepAlive);
        }
        if (api == ReceivedRequest.Api.OTHER) {
            return error(out, api, 404, keepAlive, "no such endpoint: " + r.path());
        }
        if (!r.method().equals("POST")) {
            return error(out, api, 405, keepAlive, r.method() + " is not allowed here: use POST");
        }
        if (r.json() == null || !r.json().isObject()) {
            return error(out, api, 400, keepAlive, "the request body is not a JSON object");
        }
        Reply reply;
        try {
            Queue<Reply> q = queues.get(r.model());
            reply = q == null ? null : q.poll();
            if (reply == null) {
                reply = script.apply(r);
            }
            Objects.requireNonNull(reply, "the script returned null");
        } catch (RuntimeException e) {
            return error(out, api, 500, keepAlive, "script failed: " + e);
        }
        if (!reply.delay.isZero() && closed.await(reply.delay.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        byte[] body = reply.body(r);
        switch (reply.kind) {
            case RESET -> {
                s.setSoLinger(true, 0);
                s.close();
                return false;
            }
            case HANG -> {
                drainUntilClosed(in);
                return false;
            }
            case TRUNCATED -> {
                write(out, reply.status, Arrays.copyOf(body, body.length / 2), reply.headers, false, body.length);
                return false;
            }
            case STALLED_BODY -> {
                write(out, reply.status, Arrays.copyOf(body, body.length / 2), reply.headers, true, body.length);
                drainUntilClosed(in);
                return false;
            }
            case TEXT, ERROR, RAW, MALFORMED_JSON -> {
                boolean open = keepAlive && !reply.closeConnection;
                write(out, reply.status, body, reply.headers, open, -1);
                return open;
            }
        }
        throw new AssertionError(reply.kind);
    }

    private static boolean error(OutputStream out, ReceivedRequest.Api api, int status, boolean keepAlive, String message)
            throws IOException {
        write(out, status, Reply.errorBody(api, status, message).getBytes(StandardCharsets.UTF_8), List.of(), keepAlive, -1);
        return keepAlive;
    }

    /** Blocks until the client closes the connection (or the server closes it). */
    private static void drainUntilClosed(InputStream in) throws IOException {
        byte[] buf = new byte[1024];
        while (in.read(buf) >= 0) {
            // discard: an HTTP/1.1 client sends nothing more while it waits for this reply
        }
    }

    /**
     * Writes a response. {@code contentLength} is the length to announce, or -1 for the body's
     * own; announcing more than the body is how {@link Reply#truncated()} lies.
     */
    static void write(OutputStream out, int status, byte[] body, List<Map.Entry<String, String>> headers,
                              boolean keepAlive, int contentLength) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        h.append("Content-Type: application/json\r\n");
        h.append("Content-Length: ").append(contentLength >= 0 ? contentLength : body.length).append("\r\n");
        h.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n");
        for (Map.Entry<String, String> e : headers) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        h.append("\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Payload Too Large";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 529 -> "Overloaded";
            default -> "Status";
        };
    }

    private record Parsed(String method, String path, Map<String, String> headers, byte[] body, boolean keepAlive) {
    }

    /** A request this server cannot understand; answered 400, then the connection closes. */
    private static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    /** Reads one request; null on a clean end of stream before its first byte. */
    private static Parsed readRequest(InputStream in) throws IOException, BadRequest {
        String head = readHead(in);
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r?\n");
        String[] start = lines[0].split(" ");
        if (start.length != 3 || !start[2].startsWith("HTTP/1.") || start[0].isEmpty() || !start[1].startsWith("/")) {
            throw new BadRequest("malformed request line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new BadRequest("malformed header line " + i);
            }
            headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        if (headers.containsKey("transfer-encoding")) {
            throw new BadRequest("Transfer-Encoding is not supported: send Content-Length");
        }
        int length = 0;
        String cl = headers.get("content-length");
        if (cl != null) {
            try {
                length = Integer.parseInt(cl);
            } catch (NumberFormatException e) {
                throw new BadRequest("bad Content-Length");
            }
            if (length < 0 || length > MAX_BODY_BYTES) {
                throw new BadRequest("bad Content-Length");
            }
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new IOException("client closed the connection mid-body");
        }
        String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        boolean keepAlive = start[2].equals("HTTP/1.1") ? !connection.contains("close") : connection.contains("keep-alive");
        String path = start[1];
        int q = path.indexOf('?');
        return new Parsed(start[0], q >= 0 ? path.substring(0, q) : path, headers, body, keepAlive);
    }

    /** The request line and headers up to the blank line (ISO-8859-1), or null on end of stream before any byte. */
    private static String readHead(InputStream in) throws IOException, BadRequest {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(512);
        int prev3 = -1, prev2 = -1, prev1 = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (buf.size() == 0) {
                    return null;
                }
                throw new IOException("client closed the connection mid-headers");
            }
            if (buf.size() == 0 && (b == '\r' || b == '\n')) {
                continue; // tolerated before a request line (RFC 9112 2.2)
            }
            buf.write(b);
            if (buf.size() > MAX_HEADER_BYTES) {
                throw new BadRequest("headers too large");
            }
            boolean crlfcrlf = prev3 == '\r' && prev2 == '\n' && prev1 == '\r' && b == '\n';
            boolean lflf = prev1 == '\n' && b == '\n';
            if (crlfcrlf || lflf) {
                return buf.toString(StandardCharsets.ISO_8859_1).strip();
            }
            prev3 = prev2;
            prev2 = prev1;
            prev1 = b;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Stops accepting, closes every connection and wakes delayed replies; waits for the accept thread. */
    @Override
    public void close() {
        closed.countDown();
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        try {
            acceptor.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FakeLlmServer[" + baseUrl() + "]";
    }
}
