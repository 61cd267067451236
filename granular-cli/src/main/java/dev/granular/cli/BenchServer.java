package dev.granular.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal OpenAI-compatible server on loopback that answers every chat completion after
 * a fixed latency: the stand-in model for {@code granular bench llm-throughput}. One virtual
 * thread per exchange, so latency never queues requests behind each other.
 */
final class BenchServer implements AutoCloseable {
    private static final byte[] REPLY = ("{\"id\":\"bench\",\"object\":\"chat.completion\",\"model\":\"bench\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":1,\"total_tokens\":21}}").getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();

    BenchServer(Duration latency) throws IOException {
        // The JDK server closes idle connections beyond 200 by default, which a client with 1024
        // pooled connections then finds reset; keep them all.
        System.setProperty("sun.net.httpserver.maxIdleConnections", "8192");
        System.setProperty("sun.net.httpserver.idleInterval", "300");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", ex -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            requests.incrementAndGet();
            try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
                in.readAllBytes();
                Thread.sleep(latency);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, REPLY.length);
                out.write(REPLY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    void resetMaxInFlight() {
        maxInFlight.set(0);
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
