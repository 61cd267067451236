package dev.granular.teacher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sampling parameters; null fields are not sent, so the server's defaults apply.
 *
 * @param temperature sampling temperature
 * @param topP        nucleus sampling
 * @param maxTokens   completion length limit (Anthropic requires one: 1024 is used when null)
 * @param seed        sampling seed, for servers that honour it
 * @param stop        stop sequences, or empty
 * @param extraBody   extra request fields for servers that accept them (e.g. {@code top_k})
 */
public record GenerationParams(Double temperature, Double topP, Integer maxTokens, Long seed, List<String> stop,
                               Map<String, Object> extraBody) {
    public static final GenerationParams DEFAULT = new GenerationParams(null, null, null, null, List.of(), Map.of());

    public GenerationParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        extraBody = extraBody == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extraBody));
    }

    public GenerationParams withTemperature(Double t) {
        return new GenerationParams(t, topP, maxTokens, seed, stop, extraBody);
    }

    public GenerationParams withMaxTokens(Integer n) {
        return new GenerationParams(temperature, topP, n, seed, stop, extraBody);
    }

    public GenerationParams withSeed(Long s) {
        return new GenerationParams(temperature, topP, maxTokens, s, stop, extraBody);
    }

    public GenerationParams withTopP(Double p) {
        return new GenerationParams(temperature, p, maxTokens, seed, stop, extraBody);
    }

    public GenerationParams withStop(List<String> s) {
        return new GenerationParams(temperature, topP, maxTokens, seed, s, extraBody);
    }

    public GenerationParams withExtraBody(Map<String, Object> e) {
        return new GenerationParams(temperature, topP, maxTokens, seed, stop, e);
    }

    /** The fields that change a reply, for cache keys (all of them). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("top_p", topP);
        m.put("max_tokens", maxTokens);
        m.put("seed", seed);
        m.put("stop", stop);
        m.put("extra_body", extraBody);
        return m;
    }
}
