package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Secret;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One provider's batch API, as {@link BatchDispatcher} uses it: submit a batch of requests (each named by a custom id,
 * the request's {@link CacheKey}), poll its status, read its results. Implementations: {@link OpenAiBatchApi} (files
 * and {@code /v1/batches}), {@link AnthropicBatchApi} ({@code /v1/messages/batches}). Request bodies are the
 * real-time wire's own ({@link WireFormat#body}), so a batch asks exactly what a real-time request would.
 *
 * <p>Every method throws {@link BatchHttp.StatusException} for a non-2xx answer and {@link IOException} for a
 * connection failure; the dispatcher decides what is retried.
 */
public sealed interface BatchApi extends AutoCloseable permits OpenAiBatchApi, AnthropicBatchApi {

    /** The provider's most requests in one batch. */
    int maxRequests();

    /** The provider's most bytes in one batch (the uploaded file, or the request body). */
    long maxBytes();

    /** One request as it goes into a batch (a JSONL line, an element of {@code requests}); its UTF-8 length counts. */
    String item(String customId, String body);

    /** Submits {@code items} as one batch; returns the provider's batch id. */
    String submit(List<String> items) throws IOException, InterruptedException;

    /** The batch's status now. */
    Status poll(String batchId) throws IOException, InterruptedException;

    /** Hands every result line of an {@linkplain Status#ended() ended} batch to {@code sink}, in the provider's order. */
    void results(Status status, Consumer<Result> sink) throws IOException, InterruptedException;

    @Override
    void close();

    /**
     * A batch's status.
     *
     * @param state   the provider's word ({@code in_progress}, {@code completed}, {@code ended}, {@code expired}, ...)
     * @param ended   whether it will change no more (its results, if any, can be read)
     * @param counts  the provider's request counts, as text for progress lines
     * @param failure why the whole batch failed (OpenAI {@code failed}: its validation errors), if it did
     */
    record Status(String id, String state, boolean ended, String counts, Optional<String> failure, JsonNode raw) {
    }

    /** What became of one request of a batch. */
    enum Kind {
        /** A reply (a 2xx body in the real-time format). */
        OK,
        /** Failed for a reason that asking again will not change (400, invalid request). */
        FAILED,
        /** Not answered: expired, cancelled, a server error or a rate limit inside the batch. Asked again. */
        RETRY
    }

    /**
     * @param body    the reply body (for {@link Kind#OK}), as a real-time request would have returned it
     * @param status  the HTTP status the provider gives the request, or 0
     * @param message why it failed, for the others
     */
    record Result(String customId, Kind kind, int status, String body, String message) {
    }

    static BatchApi of(ModelSpec spec, Optional<Secret> key, java.time.Duration timeout) {
        return switch (spec.provider()) {
            case OPENAI -> new OpenAiBatchApi(spec, key, new BatchHttp(timeout));
            case ANTHROPIC -> new AnthropicBatchApi(spec, key, new BatchHttp(timeout));
        };
    }

    /** Throws a {@link BatchHttp.StatusException} for a non-2xx reply, with the server's message (never a key). */
    static RawReply ok(RawReply r, WireFormat wire, Optional<Secret> key) throws BatchHttp.StatusException {
        if (r.status() / 100 == 2) {
            return r;
        }
        String m = wire.errorMessage(r.body()).orElse("(no message)");
        if (key.isPresent()) {
            m = key.get().redact(m);
        }
        throw new BatchHttp.StatusException(r.status(), m, r);
    }
}
