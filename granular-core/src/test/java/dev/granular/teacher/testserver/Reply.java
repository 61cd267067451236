package dev.granular.teacher.testserver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link FakeLlmServer} does with one request: a completion, an error status, or a fault.
 * Immutable; the modifiers ({@link #delay}, {@link #header}, ...) return a copy, so one reply can be
 * shared by a script across thousands of requests.
 *
 * <p>Completions and error bodies are rendered in the shape of the endpoint that was called
 * ({@code /chat/completions}: OpenAI, {@code /messages}: Anthropic), so one script serves both.
 */
public final class Reply {
    static final ObjectMapper JSON = new ObjectMapper();

    /** What the server does on the socket. */
    enum Kind {
        /** A well-formed completion. */
        TEXT,
        /** An error status with the provider's error JSON. */
        ERROR,
        /** A status and body exactly as given. */
        RAW,
        /** TCP reset before any byte of a response. */
        RESET,
        /** Never answers; the connection stays open until the client or the server closes it. */
        HANG,
        /** Headers announcing more body than is sent, half a body, then a normal close (FIN). */
        TRUNCATED,
        /** Headers and half a body, then silence with the connection open. */
        STALLED_BODY,
        /** 200 with a body that is not JSON. */
        MALFORMED_JSON
    }

    final Kind kind;
    final int status;
    final String text;
    final String finishReason;
    final long[] usage;
    final Duration delay;
    final List<Map.Entry<String, String>> headers;
    final boolean closeConnection;

    private Reply(Kind kind, int status, String text, String finishReason, long[] usage, Duration delay,
                  List<Map.Entry<String, String>> headers, boolean closeConnection) {
        this.kind = kind;
        this.status = status;
        this.text = text;
        this.finishReason = finishReason;
        this.usage = usage;
        this.delay = delay;
        this.headers = List.copyOf(headers);
        this.closeConnection = closeConnection;
    }

    private static Reply of(Kind kind, int status, String text) {
        return new Reply(kind, status, text, "stop", null, Duration.ZERO, List.of(), false);
    }

    /**
     * A 200 completion of {@code text} in the endpoint's format: finish_reason {@code stop}
     * (Anthropic: stop_reason {@code end_turn}), usage of about 4 characters a token for the prompt
     * and for {@code text}.
     */
    public static Reply text(String text) {
        return of(Kind.TEXT, 200, Objects.requireNonNull(text, "text"));
    }

    /** {@code status} with an error body in the provider's shape; the message defaults to "fake error STATUS". */
    public static Reply status(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status " + status);
        }
        return of(Kind.ERROR, status, "fake error " + status);
    }

    /** {@code status} and {@code body} verbatim, content type application/json. */
    public static Reply raw(int status, String body) {
        return of(Kind.RAW, status, Objects.requireNonNull(body, "body"));
    }

    /** A TCP reset (SO_LINGER 0, close) after reading the request, before any response byte. */
    public static Reply reset() {
        return of(Kind.RESET, 0, "");
    }

    /** No response at all: for client timeouts. The server thread waits until the client gives up. */
    public static Reply hang() {
        return of(Kind.HANG, 0, "");
    }

    /**
     * Status 200 and a {@code Content-Length} larger than the body, then half of a completion and a
     * normal close: a connection lost mid-body.
     */
    public static Reply truncated() {
        return of(Kind.TRUNCATED, 200, "a reply cut short by a closed connection");
    }

    /** Status 200, full headers, half a body, then nothing with the connection held open. */
    public static Reply stalledBody() {
        return of(Kind.STALLED_BODY, 200, "a reply whose body stalls");
    }

    /** Status 200 with a body that is not JSON. */
    public static Reply malformedJson() {
        return of(Kind.MALFORMED_JSON, 200, "{\"choices\": [ this is not json");
    }

    /** Waits {@code d} before answering (or before the fault); other connections are not held up. */
    public Reply delay(Duration d) {
        return new Reply(kind, status, text, finishReason, usage, Objects.requireNonNull(d), headers, closeConnection);
    }

    /** Adds a response header, e.g. {@code x-ratelimit-remaining-requests}. */
    public Reply header(String name, String value) {
        List<Map.Entry<String, String>> h = new ArrayList<>(headers);
        h.add(Map.entry(name, value));
        return new Reply(kind, status, text, finishReason, usage, delay, h, closeConnection);
    }

    /** Adds {@code Retry-After: value} (seconds or an HTTP date, as given). */
    public Reply retryAfter(String value) {
        return header("Retry-After", value);
    }

    /** The error message of a {@link #status} reply. */
    public Reply message(String message) {
        requireKind(Kind.ERROR, "message");
        return new Reply(kind, status, message, finishReason, usage, delay, headers, closeConnection);
    }

    /**
     * The finish reason of a {@link #text} reply in OpenAI's words; Anthropic replies translate
     * {@code stop} to {@code end_turn} and {@code length} to {@code max_tokens}, other values verbatim.
     */
    public Reply finishReason(String reason) {
        requireKind(Kind.TEXT, "finishReason");
        return new Reply(kind, status, text, Objects.requireNonNull(reason), usage, delay, headers, closeConnection);
    }

    /** Fixed usage instead of the 4-characters-a-token estimate. */
    public Reply usage(long promptTokens, long completionTokens) {
        requireKind(Kind.TEXT, "usage");
        return new Reply(kind, status, text, finishReason, new long[] {promptTokens, completionTokens}, delay, headers,
                closeConnection);
    }

    /** Sends {@code Connection: close} and closes the connection after this reply. */
    public Reply closeConnection() {
        return new Reply(kind, status, text, finishReason, usage, delay, headers, true);
    }

    private void requireKind(Kind k, String what) {
        if (kind != k) {
            throw new IllegalStateException(what + " applies to " + k + " replies, not " + kind);
        }
    }

    /** The status and body this reply has for {@code r} (faults use the body of a 200 completion). */
    byte[] body(ReceivedRequest r) {
        String s = switch (kind) {
            case TEXT, TRUNCATED, STALLED_BODY -> completion(r).toString();
            case ERROR -> errorBody(r.api(), status, text);
            case RAW, MALFORMED_JSON -> text;
            case RESET, HANG -> "";
        };
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private ObjectNode completion(ReceivedRequest r) {
        long prompt = usage != null ? usage[0] : Math.max(1, (r.promptChars() + 3) / 4);
        long completion = usage != null ? usage[1] : Math.max(1, (text.length() + 3) / 4);
        ObjectNode root = JSON.createObjectNode();
        if (r.api() == ReceivedRequest.Api.ANTHROPIC) {
            root.put("id", "msg_fake_" + r.seq());
            root.put("type", "message");
            root.put("role", "assistant");
            root.put("model", r.model());
            root.putArray("content").addObject().put("type", "text").put("text", text);
            root.put("stop_reason", switch (finishReason) {
                case "stop" -> "end_turn";
                case "length" -> "max_tokens";
                default -> finishReason;
            });
            root.putNull("stop_sequence");
            root.putObject("usage").put("input_tokens", prompt).put("output_tokens", completion);
        } else {
            root.put("id", "chatcmpl-fake-" + r.seq());
            root.put("object", "chat.completion");
            root.put("created", 1_700_000_000L);
            root.put("model", r.model());
            ObjectNode choice = root.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", text);
            choice.put("finish_reason", finishReason);
            root.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                    .put("total_tokens", prompt + completion);
        }
        return root;
    }

    /** An error body as the provider sends it; used for scripted errors and for the server's own 400/404/405. */
    static String errorBody(ReceivedRequest.Api api, int status, String message) {
        ObjectNode root = JSON.createObjectNode();
        if (api == ReceivedRequest.Api.ANTHROPIC) {
            root.put("type", "error");
            root.putObject("error").put("type", switch (status) {
                case 400 -> "invalid_request_error";
                case 401 -> "authentication_error";
                case 403 -> "permission_error";
                case 404 -> "not_found_error";
                case 413 -> "request_too_large";
                case 429 -> "rate_limit_error";
                case 529 -> "overloaded_error";
                default -> "api_error";
            }).put("message", message);
        } else {
            ObjectNode e = root.putObject("error");
            e.put("message", message);
            e.put("type", switch (status) {
                case 401 -> "authentication_error";
                case 403 -> "permission_error";
                case 404 -> "not_found_error";
                case 429 -> "rate_limit_exceeded";
                default -> status >= 500 ? "server_error" : "invalid_request_error";
            });
            e.putNull("param");
            e.putNull("code");
        }
        return root.toString();
    }

    @Override
    public String toString() {
        return "Reply[" + kind + (status > 0 ? " " + status : "") + (delay.isZero() ? "" : " after " + delay) + "]";
    }
}
