package dev.granular.teacher.internal;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one HTTP POST and waits for the whole reply. Blocking by design: callers run on
 * virtual threads, so thousands can wait at once, and the layer above owns concurrency,
 * retries and timeouts' consequences.
 */
public interface Transport extends AutoCloseable {
    /**
     * @throws java.net.http.HttpTimeoutException when no full reply came within {@code timeout}
     * @throws IOException on connection errors (refused, reset, closed early)
     */
    RawReply post(URI uri, Map<String, String> headers, String body, Duration timeout) throws IOException, InterruptedException;

    @Override
    default void close() {
    }
}
