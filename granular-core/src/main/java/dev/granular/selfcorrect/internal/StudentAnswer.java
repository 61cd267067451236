package dev.granular.selfcorrect.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.judge.Verdict;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One student answer with its verdict, as kept in the student journal
 * ({@code {"text", "outcome", "extracted", "reason"}}). The verdict is journaled with the answer so
 * that a model judge is not asked again on resume.
 *
 * @param text      the reply, as the student gave it
 * @param outcome   the judge's outcome
 * @param extracted the final answer the judge found, or null
 * @param reason    the judge's short reason
 */
public record StudentAnswer(String text, Verdict.Outcome outcome, String extracted, String reason) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public StudentAnswer {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(outcome, "outcome");
    }

    static StudentAnswer of(String text, Verdict v) {
        return new StudentAnswer(text, v.outcome(), v.extracted(), v.reason());
    }

    String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
        m.put("extracted", extracted);
        m.put("reason", reason);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static StudentAnswer parse(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            return new StudentAnswer(n.path("text").asText(), Verdict.Outcome.valueOf(n.path("outcome").asText().toUpperCase(java.util.Locale.ROOT)),
                    n.path("extracted").isNull() ? null : n.path("extracted").asText(null), n.path("reason").asText(""));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
