package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Provider;
import dev.granular.teacher.Secret;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * A provider's request and reply format. Pure: building and parsing, no I/O.
 * Implementations: {@link OpenAiWire}, {@link AnthropicWire}.
 */
public sealed interface WireFormat permits OpenAiWire, AnthropicWire {

    /** Where requests go, e.g. {@code BASE/chat/completions}. */
    URI endpoint(ModelSpec spec);

    /** Headers: content type, the key in the provider's header (when present), version headers. */
    Map<String, String> headers(ModelSpec spec, Optional<Secret> key);

    /** The JSON body for {@code request} (with {@code response_format}/schema hints where the provider has them). */
    String body(ModelSpec spec, ChatRequest request);

    /**
     * Parses a 2xx body.
     *
     * @throws MalformedReplyException when it is not a complete reply in this format
     */
    Completion parse(String body) throws MalformedReplyException;

    /** The error message inside a non-2xx body, if the body has one (never echoing request headers). */
    Optional<String> errorMessage(String body);

    static WireFormat of(Provider p) {
        return switch (p) {
            case OPENAI -> new OpenAiWire();
            case ANTHROPIC -> new AnthropicWire();
        };
    }
}
