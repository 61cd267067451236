package dev.granular.teacher;

import dev.granular.io.BadInputException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * A model and where to reach it, as users name it on the command line:
 * <ul>
 *   <li>{@code openai:MODEL}: OpenAI's API, key from {@code OPENAI_API_KEY} (required);</li>
 *   <li>{@code openai:MODEL@URL}: any OpenAI-compatible server, e.g.
 *       {@code openai:qwen3-8b@http://localhost:8000/v1} (vLLM); key optional;</li>
 *   <li>{@code anthropic:MODEL}: Anthropic's API, key from {@code ANTHROPIC_API_KEY} (required);
 *       {@code anthropic:MODEL@URL} for a compatible server.</li>
 * </ul>
 *
 * @param provider  the wire protocol
 * @param model     the model name sent to the server
 * @param baseUrl   the API root, e.g. {@code https://api.openai.com/v1}
 * @param apiKeyEnv the environment variable holding the key
 * @param keyRequired whether a missing key is an error (true for the vendors' own APIs)
 */
public record ModelSpec(Provider provider, String model, URI baseUrl, String apiKeyEnv, boolean keyRequired) {
    public static final URI OPENAI_URL = URI.create("https://api.openai.com/v1");
    public static final URI ANTHROPIC_URL = URI.create("https://api.anthropic.com/v1");

    /**
     * Parses a spec.
     *
     * @param apiKeyEnv a variable overriding the provider's default ({@code --api-key-env}), or null
     * @throws BadInputException for a malformed spec
     */
    public static ModelSpec parse(String spec, String apiKeyEnv) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new BadInputException("model '" + spec + "': expected openai:MODEL, openai:MODEL@URL or anthropic:MODEL");
        }
        String p = spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        Provider provider = switch (p) {
            case "openai" -> Provider.OPENAI;
            case "anthropic" -> Provider.ANTHROPIC;
            default -> throw new BadInputException("model '" + spec + "': unknown provider '" + p + "' (openai or anthropic)");
        };
        String model = rest;
        URI url = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            model = rest.substring(0, at);
            String u = rest.substring(at + 1);
            try {
                url = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("model '" + p + ":" + model + "@...': the part after @ is not a URL");
            }
            if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https")) || url.getHost() == null) {
                throw new BadInputException("model '" + p + ":" + model + "@...': the URL must start with http:// or https:// and name a host");
            }
            if (url.getRawUserInfo() != null) {
                // A credential in the URL would be printed wherever the model is named: refuse it, without echoing it.
                throw new BadInputException("model URL must not contain a user or password; put the key in an environment "
                        + "variable (--api-key-env)");
            }
        }
        if (model.isBlank()) {
            throw new BadInputException("model '" + p + ":" + model + (url != null ? "@..." : "") + "': the model name is empty");
        }
        boolean ownApi = url == null;
        URI base = url != null ? url : provider == Provider.OPENAI ? OPENAI_URL : ANTHROPIC_URL;
        String env = apiKeyEnv != null ? apiKeyEnv : provider == Provider.OPENAI ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
        return new ModelSpec(provider, model, base, env, ownApi || apiKeyEnv != null);
    }

    /**
     * The key from {@code env}; a required key that is missing, or a key that cannot be sent as it is (non-ASCII,
     * control characters, inner spaces), is a {@link BadInputException}.
     */
    public Optional<Secret> key(Map<String, String> env) {
        String v = env.get(apiKeyEnv);
        if (v == null || v.isBlank()) {
            if (keyRequired) {
                throw new BadInputException("model " + this + " needs an API key in the environment variable " + apiKeyEnv);
            }
            return Optional.empty();
        }
        Secret key = Secret.of(v.strip());
        if (!key.sendableAsIs()) {
            // A header value is bytes: a non-ASCII character would be sent as '?' (a wrong key that then escapes
            // redaction when the server quotes it). Name the variable, never the key.
            throw new BadInputException("the API key in " + apiKeyEnv + " contains a character that cannot be sent "
                    + "in an HTTP header (only printable ASCII, no spaces); check the variable (the key is not shown)");
        }
        return Optional.of(key);
    }

    /** The spec as the user wrote it (never a key). */
    @Override
    public String toString() {
        String p = provider == Provider.OPENAI ? "openai" : "anthropic";
        boolean defaultUrl = baseUrl.equals(provider == Provider.OPENAI ? OPENAI_URL : ANTHROPIC_URL);
        return p + ":" + model + (defaultUrl ? "" : "@" + baseUrl);
    }
}
