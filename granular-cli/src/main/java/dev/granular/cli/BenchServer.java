package dev.granular.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal OpenAI-compatible server on loopback that answers every chat completion after
 * a fixed latency: the stand-in model for {@code granular bench llm-throughput}.
 *
 * <p>Blocking sockets with one virtual thread per connection and HTTP/1.1 keep-alive. Why not
 * the JDK's HttpServer: its single dispatcher thread parses every request, and at thousands
 * of requests a second on two cores that queue, not the client, set the measured rate.
 */
final class BenchServer implements AutoCloseable {
    private static final byte[] BODY = ("{\"id\":\"bench\",\"object\":\"chat.completion\",\"model\":\"bench\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":1,\"total_tokens\":21}}").getBytes(StandardCharsets.UTF_8);
    private static final byte[] HEAD = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket socket;
    private final Duration latency;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();

    BenchServer(Duration latency) throws IOException {
        this.latency = latency;
        this.socket = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                s.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = new BufferedInputStream(s.getInputStream(), 8192); OutputStream out = s.getOutputStream()) {
            while (true) {
                int length = readHeaders(in);
                if (length < 0) {
                    return;
                }
                in.readNBytes(length);
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                requests.incrementAndGet();
                try {
                    Thread.sleep(latency);
                } finally {
                    inFlight.decrementAndGet();
                }
                out.write(HEAD);
                out.write(BODY);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // The client closed the connection, or the server is closing.
        }
    }

    /** Reads a request's line and headers; returns its Content-Length, or -1 at the end of the stream. */
    private static int readHeaders(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int length = 0;
        boolean any = false;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return -1;
            }
            any = true;
            if (c == '\n') {
                String l = line.toString().trim();
                if (l.isEmpty()) {
                    return length;
                }
                if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(l.substring(15).trim());
                }
                line.setLength(0);
            } else if (c != '\r') {
                line.append((char) c);
            }
            if (!any) {
                return -1;
            }
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    long requests() {
        return requests.get();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
