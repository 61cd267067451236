package dev.granular.teacher.internal;

import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheKeyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ModelSpec GPT = ModelSpec.parse("openai:gpt-4o-mini", null);

    static ChatRequest req(String user) {
        return ChatRequest.of("row-1", List.of(ChatMessage.system("be brief"), ChatMessage.user(user)),
                GenerationParams.DEFAULT.withTemperature(0.7).withMaxTokens(256));
    }

    static ChatRequest with(ChatRequest r, GenerationParams p, int sample, JsonNode schema, String template) {
        return new ChatRequest(r.rowId(), r.messages(), p, sample, schema, template);
    }

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void sameRequestSameKeyAsSha256Hex() {
        String a = CacheKey.of(GPT, req("hi"));
        assertThat(a).matches("[0-9a-f]{64}").isEqualTo(CacheKey.of(ModelSpec.parse("openai:gpt-4o-mini", null), req("hi")));
    }

    @Test
    void everythingThatChangesTheReplyChangesTheKey() throws Exception {
        ChatRequest base = req("hi");
        GenerationParams p = base.params();
        List<String> keys = List.of(
                CacheKey.of(GPT, base),
                CacheKey.of(ModelSpec.parse("openai:gpt-4o", null), base),
                CacheKey.of(ModelSpec.parse("openai:gpt-4o-mini@http://localhost:8000/v1", null), base),
                CacheKey.of(ModelSpec.parse("anthropic:gpt-4o-mini@https://api.openai.com/v1", null), base),
                CacheKey.of(GPT, req("hello")),
                CacheKey.of(GPT, ChatRequest.of("row-1", List.of(ChatMessage.user("be brief"), ChatMessage.user("hi")), p)),
                CacheKey.of(GPT, with(base, p.withTemperature(0.8), 0, null, null)),
                CacheKey.of(GPT, with(base, p.withMaxTokens(257), 0, null, null)),
                CacheKey.of(GPT, with(base, p.withSeed(1L), 0, null, null)),
                CacheKey.of(GPT, with(base, new GenerationParams(0.7, 0.9, 256, null, List.of(), Map.of()), 0, null, null)),
                CacheKey.of(GPT, with(base, new GenerationParams(0.7, null, 256, null, List.of("END"), Map.of()), 0, null, null)),
                CacheKey.of(GPT, with(base, new GenerationParams(0.7, null, 256, null, List.of(), Map.of("top_k", 40)), 0, null, null)),
                CacheKey.of(GPT, with(base, p, 1, null, null)),
                CacheKey.of(GPT, with(base, p, 0, json("{\"type\":\"object\"}"), null)),
                CacheKey.of(GPT, with(base, p, 0, null, "t1")));
        assertThat(keys).doesNotHaveDuplicates();
    }

    @Test
    void memberOrderInExtraBodyAndSchemaDoesNotMatter() throws Exception {
        Map<String, Object> ab = new LinkedHashMap<>();
        ab.put("top_k", 40);
        ab.put("min_p", 0.1);
        Map<String, Object> ba = new LinkedHashMap<>();
        ba.put("min_p", 0.1);
        ba.put("top_k", 40);
        ChatRequest base = req("hi");
        String k1 = CacheKey.of(GPT, with(base, new GenerationParams(0.7, null, 256, null, List.of(), ab), 0,
                json("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"}}}"), "t"));
        String k2 = CacheKey.of(GPT, with(base, new GenerationParams(0.7, null, 256, null, List.of(), ba), 0,
                json("{\"properties\":{\"b\":{\"type\":\"integer\"},\"a\":{\"type\":\"string\"}},\"type\":\"object\"}"), "t"));
        assertThat(k1).isEqualTo(k2);
    }

    @Test
    void howARequestIsSentDoesNotChangeTheKey() {
        ChatRequest other = new ChatRequest("row-99", req("hi").messages(), req("hi").params(), 0, null, null);
        assertThat(CacheKey.of(GPT, other)).isEqualTo(CacheKey.of(GPT, req("hi")));
    }

    @Test
    void apiKeysAndTheirVariablesNeverReachTheKey() {
        ModelSpec vllm = ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", null);
        ModelSpec vllmOtherVar = ModelSpec.parse("openai:qwen3-8b@http://localhost:8000/v1", "MY_KEY");
        Map<String, String> envA = Map.of("OPENAI_API_KEY", "sk-aaaaaaaaaaaaaaaa", "MY_KEY", "sk-bbbbbbbbbbbbbbbb");
        Map<String, String> envB = Map.of("OPENAI_API_KEY", "sk-cccccccccccccccc", "MY_KEY", "sk-dddddddddddddddd");
        assertThat(vllm.key(envA)).isNotEqualTo(vllm.key(envB));
        assertThat(CacheKey.of(vllm, req("hi"))).isEqualTo(CacheKey.of(vllmOtherVar, req("hi")));
        String canonical = CacheKey.canonicalJson(vllmOtherVar, req("hi"));
        for (String secret : List.of("sk-", "MY_KEY", "OPENAI_API_KEY")) {
            assertThat(canonical).doesNotContain(secret);
        }
    }

    @Test
    void canonicalJsonHoldsEveryDocumentedFieldSorted() throws Exception {
        JsonNode c = JSON.readTree(CacheKey.canonicalJson(GPT, req("hi")));
        List<String> names = new java.util.ArrayList<>();
        c.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("base_url", "messages", "model", "params", "provider", "sample", "schema", "template", "v");
        assertThat(c.get("v").asText()).isEqualTo(CacheKey.FORMAT);
        assertThat(c.get("params").has("temperature")).isTrue();
        assertThat(c.get("template").isNull()).isTrue();
    }

    /**
     * A plain request's key, computed before requests could carry tools: tool fields enter the key only
     * when present, so every cache filled before keeps answering.
     */
    @Test
    void aPlainRequestKeepsItsKeyFromBeforeToolFields() {
        assertThat(CacheKey.of(GPT, req("hi"))).isEqualTo("2d17b2a40484f64d72b6fa713809e137184e3a94a535d0c4e8f664dce9577f4f");
    }
}
