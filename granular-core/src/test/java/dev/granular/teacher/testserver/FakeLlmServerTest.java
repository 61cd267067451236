package dev.granular.teacher.testserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.teacher.internal.HttpTransport;
import dev.granular.teacher.internal.OpenAiWire;
import dev.granular.teacher.internal.RawReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeLlmServerTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    FakeLlmServer server;
    HttpTransport transport;

    @BeforeEach
    void start() throws IOException {
        server = FakeLlmServer.start();
        transport = new HttpTransport();
    }

    @AfterEach
    void stop() {
        transport.close();
        server.close();
    }

    static String body(String model, String prompt) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    RawReply post(String path, String body) throws IOException, InterruptedException {
        return transport.post(server.uri(path), Map.of(), body, TIMEOUT);
    }

    String text(RawReply r) throws Exception {
        return new OpenAiWire().parse(r.body()).text();
    }

    /** Writes {@code raw} on a fresh socket and returns everything the server sends until it closes. */
    String rawExchange(String raw) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void baseUrlIsLoopbackWithV1() {
        assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/v1");
    }

    @Test
    void malformedRequestsGet400AndTheConnectionCloses() throws IOException {
        assertThat(rawExchange("NONSENSE\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("Connection: close");
        assertThat(rawExchange("POST /v1/chat/completions HTTP/1.1\r\nno colon here\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        assertThat(rawExchange("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: x\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        assertThat(rawExchange("POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ").contains("Content-Length");
        assertThat(server.badRequests()).isEqualTo(4);
        assertThat(server.totalRequests()).isZero();
    }

    @Test
    void wrongPathsMethodsAndBodiesGetErrorsInTheProvidersShape() throws Exception {
        assertThat(post("/models", "{}").status()).isEqualTo(404);
        RawReply notJson = post("/messages", "not json");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.body()).contains("\"type\":\"error\"").contains("invalid_request_error");
        assertThat(rawExchange("GET /v1/chat/completions HTTP/1.1\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 405 ");
        server.script(r -> {
            throw new IllegalStateException("script bug");
        });
        RawReply failed = post("/chat/completions", body("m", "x"));
        assertThat(failed.status()).isEqualTo(500);
        assertThat(new OpenAiWire().errorMessage(failed.body()).orElseThrow()).contains("script bug");
        assertThat(server.requestsPerPath()).containsEntry("/v1/models", 1L).containsEntry("/v1/messages", 1L)
                .containsEntry("/v1/chat/completions", 2L);
    }

    @Test
    void connectionCloseIsHonouredForHttp11AndKeepAliveForHttp10() throws IOException {
        String req = body("m", "hello");
        String closeReq = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                + req.length() + "\r\n\r\n" + req;
        // rawExchange reads until the server closes: it returns at all only because the server closed.
        String reply = rawExchange(closeReq);
        assertThat(reply).startsWith("HTTP/1.1 200 ").contains("Connection: close").contains("\"content\":\"hello\"");

        String http10 = "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: " + req.length() + "\r\n\r\n" + req;
        assertThat(rawExchange(http10)).startsWith("HTTP/1.1 200 ").contains("Connection: close");
    }

    @Test
    void queuesPerModelComeBeforeTheScript() throws Exception {
        server.enqueue("a", Reply.text("a1"), Reply.text("a2"));
        server.script(r -> Reply.text("script"));

        assertThat(text(post("/chat/completions", body("b", "x")))).isEqualTo("script");
        assertThat(text(post("/chat/completions", body("a", "x")))).isEqualTo("a1");
        assertThat(text(post("/chat/completions", body("a", "x")))).isEqualTo("a2");
        assertThat(text(post("/chat/completions", body("a", "x")))).isEqualTo("script");
        assertThat(server.requests()).extracting(ReceivedRequest::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(server.lastRequest().seq()).isEqualTo(4);
    }

    @Test
    void sequenceRepeatsItsLastReply() throws Exception {
        server.script(Scripts.sequence(Reply.status(503), Reply.text("one"), Reply.text("two")));
        assertThat(post("/chat/completions", body("m", "x")).status()).isEqualTo(503);
        assertThat(text(post("/chat/completions", body("m", "x")))).isEqualTo("one");
        assertThat(text(post("/chat/completions", body("m", "x")))).isEqualTo("two");
        assertThat(text(post("/chat/completions", body("m", "x")))).isEqualTo("two");
    }

    @Test
    void failFirstCountsAttemptsPerPrompt() throws Exception {
        server.script(Scripts.failFirst(2, Reply.status(500), Reply.text("fine")));
        assertThat(post("/chat/completions", body("m", "p")).status()).isEqualTo(500);
        assertThat(post("/chat/completions", body("m", "q")).status()).isEqualTo(500);
        assertThat(post("/chat/completions", body("other-model", "p")).status()).as("same prompt, other model").isEqualTo(500);
        assertThat(text(post("/chat/completions", body("m", "p")))).isEqualTo("fine");
        assertThat(post("/chat/completions", body("m", "q")).status()).isEqualTo(500);
        assertThat(text(post("/chat/completions", body("m", "q")))).isEqualTo("fine");
    }

    @Test
    void aDelayDoesNotHoldUpOtherConnections() throws Exception {
        server.script(r -> r.lastUserMessage().equals("slow") ? Reply.text("slow").delay(Duration.ofSeconds(30)) : Reply.text("fast"));
        Thread slow = Thread.ofVirtual().start(() -> {
            try {
                post("/chat/completions", body("m", "slow"));
            } catch (IOException | InterruptedException e) {
                // closed by the test's end
            }
        });
        while (server.inFlight() == 0) {
            Thread.sleep(5);
        }
        long start = System.nanoTime();
        assertThat(text(post("/chat/completions", body("m", "quick")))).isEqualTo("fast");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        server.close();
        slow.join(Duration.ofSeconds(10));
        assertThat(slow.isAlive()).as("close() wakes a delayed reply and drops its connection").isFalse();
    }

    @Test
    void closeStopsAcceptingAndClosesEveryConnection() throws Exception {
        server.script(r -> Reply.hang());
        List<Thread> clients = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                try {
                    post("/chat/completions", body("m", "x"));
                } catch (IOException | InterruptedException e) {
                    // expected: the server goes away
                }
            }));
        }
        while (server.inFlight() < 20) {
            Thread.sleep(5);
        }
        server.close();
        for (Thread t : clients) {
            t.join(Duration.ofSeconds(10));
            assertThat(t.isAlive()).isFalse();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((server.openConnections() > 0 || server.inFlight() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.openConnections()).isZero();
        assertThat(server.inFlight()).isZero();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("fake-llm-accept-" + server.port()));
        try (Socket s = new Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 2000))
                    .isInstanceOf(IOException.class);
        }
    }
}
