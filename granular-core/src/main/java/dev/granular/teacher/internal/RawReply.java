package dev.granular.teacher.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP response as received, before any interpretation.
 *
 * @param status    HTTP status
 * @param body      the body as text (may be truncated or malformed: parsing decides)
 * @param headers   response headers, names lower-cased
 * @param latencyMs time from sending to the full body
 */
public record RawReply(int status, String body, Map<String, List<String>> headers, long latencyMs) {
    public Optional<String> header(String name) {
        List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }
}
