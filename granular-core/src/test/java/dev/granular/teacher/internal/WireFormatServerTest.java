package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.teacher.testserver.FakeLlmServer;
import dev.granular.teacher.testserver.ReceivedRequest;
import dev.granular.teacher.testserver.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Both wire formats against {@link FakeLlmServer}, through {@link HttpTransport}: bodies as sent, replies as parsed. */
class WireFormatServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
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

    ModelSpec spec(String provider, String model) {
        return ModelSpec.parse(provider + ":" + model + "@" + server.baseUrl(), null);
    }

    RawReply send(ModelSpec spec, ChatRequest request) throws IOException, InterruptedException {
        WireFormat wire = WireFormat.of(spec.provider());
        return transport.post(wire.endpoint(spec), wire.headers(spec, Optional.empty()), wire.body(spec, request), TIMEOUT);
    }

    static ChatRequest fullRequest() throws IOException {
        GenerationParams p = new GenerationParams(0.7, 0.9, 50, 42L, List.of("END", "###"), Map.of("top_k", 5));
        JsonNode schema = JSON.readTree("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}}}");
        return new ChatRequest("row-1", List.of(ChatMessage.system("be brief"), ChatMessage.system("be kind"),
                ChatMessage.user("what is 2+2?"), ChatMessage.assistant("4"), ChatMessage.user("and 3+3?")),
                p, 3, schema, "tmpl");
    }

    @Test
    void openAiBodyArrivesAsBuilt() throws Exception {
        ModelSpec spec = spec("openai", "qwen3-8b");
        RawReply reply = send(spec, fullRequest());

        ReceivedRequest r = server.lastRequest();
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        JsonNode b = r.json();
        assertThat(b.path("model").asText()).isEqualTo("qwen3-8b");
        assertThat(r.messages()).containsExactly(ChatMessage.system("be brief"), ChatMessage.system("be kind"),
                ChatMessage.user("what is 2+2?"), ChatMessage.assistant("4"), ChatMessage.user("and 3+3?"));
        assertThat(b.path("temperature").asDouble()).isEqualTo(0.7);
        assertThat(b.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(b.path("max_tokens").asInt()).isEqualTo(50);
        assertThat(b.path("seed").asLong()).as("seed + sampleIndex").isEqualTo(45);
        assertThat(b.path("stop").toString()).isEqualTo("[\"END\",\"###\"]");
        assertThat(b.path("response_format").path("type").asText()).isEqualTo("json_schema");
        assertThat(b.path("response_format").path("json_schema").path("schema")).isEqualTo(fullRequest().jsonSchema());
        assertThat(b.path("top_k").asInt()).as("extra_body field").isEqualTo(5);
        assertThat(r.header("authorization")).isEmpty();

        Completion c = new OpenAiWire().parse(reply.body());
        assertThat(c.text()).isEqualTo("and 3+3?");
        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.usage().promptTokens()).isEqualTo((r.promptChars() + 3) / 4);
        assertThat(c.usage().completionTokens()).isEqualTo(("and 3+3?".length() + 3) / 4);
    }

    @Test
    void openAiSendsNoParameterTheCallerLeftUnset() throws Exception {
        send(spec("openai", "m"), ChatRequest.of("r", List.of(ChatMessage.user("hi")), null));

        JsonNode b = server.lastRequest().json();
        assertThat(b.properties()).extracting(Map.Entry::getKey).containsExactly("model", "messages");
    }

    @Test
    void anthropicBodyArrivesAsBuilt() throws Exception {
        ModelSpec spec = spec("anthropic", "claude-test");
        RawReply reply = send(spec, fullRequest());

        ReceivedRequest r = server.lastRequest();
        assertThat(r.path()).isEqualTo("/v1/messages");
        assertThat(r.header("anthropic-version")).contains(AnthropicWire.VERSION);
        JsonNode b = r.json();
        assertThat(b.path("model").asText()).isEqualTo("claude-test");
        assertThat(r.messages()).as("system messages leave the messages array").containsExactly(
                ChatMessage.user("what is 2+2?"), ChatMessage.assistant("4"), ChatMessage.user("and 3+3?"));
        assertThat(r.system()).startsWith("be brief\n\nbe kind\n\nReply with one JSON object only")
                .contains(fullRequest().jsonSchema().toString());
        assertThat(b.path("max_tokens").asInt()).isEqualTo(50);
        assertThat(b.path("temperature").asDouble()).isEqualTo(0.7);
        assertThat(b.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(b.path("stop_sequences").toString()).isEqualTo("[\"END\",\"###\"]");
        assertThat(b.has("seed")).as("the Messages API has no seed").isFalse();
        assertThat(b.has("response_format")).isFalse();
        assertThat(b.path("top_k").asInt()).isEqualTo(5);

        Completion c = new AnthropicWire().parse(reply.body());
        assertThat(c.text()).isEqualTo("and 3+3?");
        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.usage().promptTokens()).isEqualTo((r.promptChars() + 3) / 4);
    }

    @Test
    void anthropicDefaultsMaxTokensAndOmitsAnEmptySystem() throws Exception {
        send(spec("anthropic", "c"), ChatRequest.of("r", List.of(ChatMessage.user("hi")), null));

        JsonNode b = server.lastRequest().json();
        assertThat(b.path("max_tokens").asInt()).isEqualTo(1024);
        assertThat(b.has("system")).isFalse();
        assertThat(b.has("temperature")).isFalse();
        assertThat(b.has("stop_sequences")).isFalse();
    }

    @Test
    void finishReasonsAndUsageAreMappedFromBothFormats() throws Exception {
        ChatRequest req = ChatRequest.of("r", List.of(ChatMessage.user("hi")), null);
        server.script(r -> Reply.text("cut").finishReason("length").usage(11, 22));

        Completion o = new OpenAiWire().parse(send(spec("openai", "m"), req).body());
        Completion a = new AnthropicWire().parse(send(spec("anthropic", "m"), req).body());

        assertThat(o).isEqualTo(new Completion("cut", "length", new Usage(11, 22)));
        assertThat(a).isEqualTo(new Completion("cut", "length", new Usage(11, 22)));
        assertThat(server.requests().get(1).api()).isEqualTo(ReceivedRequest.Api.ANTHROPIC);
    }

    @Test
    void errorBodiesOfBothProvidersYieldTheirMessage() throws Exception {
        ChatRequest req = ChatRequest.of("r", List.of(ChatMessage.user("hi")), null);
        server.script(r -> Reply.status(529).message("overloaded, try later"));

        RawReply o = send(spec("openai", "m"), req);
        RawReply a = send(spec("anthropic", "m"), req);

        assertThat(o.status()).isEqualTo(529);
        assertThat(new OpenAiWire().errorMessage(o.body())).contains("overloaded, try later");
        assertThat(JSON.readTree(a.body()).path("type").asText()).isEqualTo("error");
        assertThat(JSON.readTree(a.body()).path("error").path("type").asText()).isEqualTo("overloaded_error");
        assertThat(new AnthropicWire().errorMessage(a.body())).contains("overloaded, try later");
        assertThat(new OpenAiWire().errorMessage("<html>Bad gateway</html>")).isEmpty();
        assertThat(new AnthropicWire().errorMessage("<html>Bad gateway</html>")).isEmpty();
        assertThat(new OpenAiWire().errorMessage("{\"error\":\"plain string\"}")).contains("plain string");
    }

    @Test
    void malformedAndTruncatedBodiesAreRejectedByParse() throws Exception {
        ChatRequest req = ChatRequest.of("r", List.of(ChatMessage.user("a reply long enough to cut in half")), null);
        server.script(r -> Reply.malformedJson());
        for (String provider : List.of("openai", "anthropic")) {
            ModelSpec spec = spec(provider, "m");
            WireFormat wire = WireFormat.of(spec.provider());
            RawReply bad = send(spec, req);
            assertThat(bad.status()).isEqualTo(200);
            assertThatThrownBy(() -> wire.parse(bad.body())).isInstanceOf(MalformedReplyException.class);
        }

        // The transport never hands back a short body (see HttpTransportTest), but a proxy that
        // re-frames a cut reply could: every cut of a good reply is rejected, never half-parsed.
        server.script(r -> Reply.text(r.lastUserMessage()));
        for (String provider : List.of("openai", "anthropic")) {
            ModelSpec spec = spec(provider, "m");
            WireFormat wire = WireFormat.of(spec.provider());
            String good = send(spec, req).body();
            assertThat(wire.parse(good).text()).isEqualTo("a reply long enough to cut in half");
            for (int cut = 0; cut < good.length(); cut++) {
                String part = good.substring(0, cut);
                assertThatThrownBy(() -> wire.parse(part)).as("%s cut at %d", provider, cut)
                        .isInstanceOf(MalformedReplyException.class);
            }
        }
    }

    @Test
    void wellFormedJsonWithoutAReplyIsRejected() {
        OpenAiWire o = new OpenAiWire();
        AnthropicWire a = new AnthropicWire();
        for (String body : List.of("{}", "[]", "null", "{\"choices\":[]}", "{\"choices\":[{\"message\":{\"content\":null}}]}")) {
            assertThatThrownBy(() -> o.parse(body)).as(body).isInstanceOf(MalformedReplyException.class);
        }
        for (String body : List.of("{}", "{\"content\":[]}", "{\"content\":[{\"type\":\"tool_use\",\"id\":\"x\"}]}")) {
            assertThatThrownBy(() -> a.parse(body)).as(body).isInstanceOf(MalformedReplyException.class);
        }
    }
}
