package dev.granular.teacher.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Replies already paid for, by {@link CacheKey}, so that a rerun, a resumed run or a second run
 * over the same prompts never pays twice for the same answer.
 *
 * <p>It stores the RAW response body, not a parsed reply: parsing happens after reading, so a
 * fixed or stricter parser re-reads old replies instead of buying new ones.
 *
 * <p>Only valid replies may be {@link #put}: a 2xx body that parsed and (where a schema was asked
 * for) validated. Checking that is the caller's job; a cached error or truncated body would be
 * served forever, since the cache never re-validates and never expires entries.
 *
 * <p>Implementations are thread-safe.
 */
public interface ResponseCache extends AutoCloseable {

    /** The raw reply stored under {@code key}, if any. */
    Optional<String> get(String key);

    /**
     * Stores {@code raw} under {@code key} unless the key is already present (the first reply
     * stored wins; replies for one key are interchangeable).
     *
     * @param model the model's spec as the user wrote it, for people inspecting the file (never a key)
     */
    void put(String key, String model, String raw);

    /**
     * Stores {@code raw} under {@code key}, replacing what is there: for a fresh reply to a request whose cached
     * reply the current parser or schema rejects (left in place, it would be served, rejected and paid for again on
     * every later run). Implementations that cannot replace may keep the first reply.
     */
    default void replace(String key, String model, String raw) {
        put(key, model, raw);
    }

    /** Counts for this process. */
    CacheStats stats();

    /** Releases the file; later calls fail. */
    @Override
    void close();

    /** No cache ({@code --no-cache}): every lookup misses, nothing is stored, nothing is counted. */
    ResponseCache NONE = new ResponseCache() {
        @Override
        public Optional<String> get(String key) {
            return Optional.empty();
        }

        @Override
        public void put(String key, String model, String raw) {
        }

        @Override
        public CacheStats stats() {
            return CacheStats.ZERO;
        }

        @Override
        public void close() {
        }

        @Override
        public String toString() {
            return "no cache";
        }
    };

    /**
     * Where the shared cache lives: {@code $GRANULAR_CACHE} (a file) when set, else
     * {@code $XDG_CACHE_HOME/granular/responses.sqlite}, else {@code ~/.cache/granular/responses.sqlite}.
     * One file for all runs of a user, so separate output folders still share paid replies. A relative
     * {@code XDG_CACHE_HOME} is ignored, as the XDG spec says.
     */
    static Path defaultLocation(Map<String, String> env) {
        String explicit = env.get("GRANULAR_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path base;
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            base = Path.of(xdg);
        } else {
            String home = env.get("HOME");
            base = Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache");
        }
        return base.resolve("granular").resolve("responses.sqlite");
    }
}
