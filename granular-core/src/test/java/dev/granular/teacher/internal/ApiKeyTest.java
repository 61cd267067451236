package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.Reply;
import dev.granular.teacher.testserver.Scripts;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keys reach the server in the provider's header and nowhere else: not in toString, not in exception messages. */
class ApiKeyTest {
    static final String KEY = "sk-test-5f3a9c1e7b2d4068";

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

    ModelSpec spec(String provider) {
        return ModelSpec.parse(provider + ":m@" + server.baseUrl(), "GRANULAR_TEST_KEY");
    }

    Throwable sendExpectingFailure(ModelSpec spec, Duration timeout) {
        WireFormat wire = WireFormat.of(spec.provider());
        Optional<Secret> key = spec.key(Map.of("GRANULAR_TEST_KEY", KEY));
        ChatRequest req = ChatRequest.of("r", List.of(ChatMessage.user("hi")), null);
        try {
            transport.post(wire.endpoint(spec), wire.headers(spec, key), wire.body(spec, req), timeout);
            return null;
        } catch (IOException | InterruptedException e) {
            return e;
        }
    }

    /** Every message and toString in the chain, causes and suppressed included. */
    static String allText(Throwable t) {
        StringBuilder sb = new StringBuilder();
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>(List.of(t));
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Throwable x = todo.pop();
            if (!seen.add(x)) {
                continue;
            }
            sb.append(x).append('\n');
            if (x.getCause() != null) {
                todo.push(x.getCause());
            }
            todo.addAll(List.of(x.getSuppressed()));
        }
        return sb.toString();
    }

    @Test
    void theKeyTravelsInTheProvidersHeader() throws Exception {
        assertThat(sendExpectingFailure(spec("openai"), Duration.ofSeconds(20))).isNull();
        assertThat(server.lastRequest().header("Authorization")).contains("Bearer " + KEY);
        assertThat(server.lastRequest().header("x-api-key")).isEmpty();

        assertThat(sendExpectingFailure(spec("anthropic"), Duration.ofSeconds(20))).isNull();
        assertThat(server.lastRequest().header("x-api-key")).contains(KEY);
        assertThat(server.lastRequest().header("authorization")).isEmpty();
        assertThat(server.lastRequest().body()).doesNotContain(KEY);
    }

    @Test
    void aSecretPrintsAsStars() {
        Secret s = Secret.of(KEY);
        assertThat(s).hasToString("***");
        assertThat(String.valueOf(Optional.of(s))).doesNotContain(KEY);
        assertThat(s.reveal()).isEqualTo(KEY);
    }

    @Test
    void failedRequestsNeverMentionTheKey() {
        for (String provider : List.of("openai", "anthropic")) {
            ModelSpec spec = spec(provider);
            server.script(Scripts.sequence(Reply.reset(), Reply.hang(), Reply.truncated(), Reply.stalledBody()));
            for (Duration timeout : List.of(Duration.ofSeconds(20), Duration.ofMillis(300), Duration.ofSeconds(20),
                    Duration.ofMillis(300))) {
                Throwable t = sendExpectingFailure(spec, timeout);
                assertThat(t).as("%s, %s", provider, timeout).isNotNull();
                assertThat(allText(t)).doesNotContain(KEY).doesNotContain(KEY.substring(3, 15));
            }
        }
    }

    @Test
    void errorRepliesDoNotEchoTheKey() throws Exception {
        server.script(r -> Reply.status(401).message("invalid api key"));
        ModelSpec spec = spec("openai");
        WireFormat wire = WireFormat.of(spec.provider());
        RawReply reply = transport.post(wire.endpoint(spec), wire.headers(spec, spec.key(Map.of("GRANULAR_TEST_KEY", KEY))),
                wire.body(spec, ChatRequest.of("r", List.of(ChatMessage.user("hi")), null)), Duration.ofSeconds(20));

        assertThat(reply.status()).isEqualTo(401);
        assertThat(wire.errorMessage(reply.body())).contains("invalid api key");
        assertThat(reply.toString()).doesNotContain(KEY);
        assertThat(spec.toString()).doesNotContain(KEY);
    }
}
