package dev.granular.in2.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.StoppedEarlyException;
import dev.granular.teacher.internal.ChatMessage;
import dev.granular.teacher.internal.ChatRequest;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.internal.Outcome;
import dev.granular.teacher.internal.StructuredOutput;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Questions written by a teacher model under IN2's rules (designs.md §1, in our own words):
 * answerable from the given text alone, specific rather than generic, unambiguous, never
 * "according to the text", answered in the model's own words, and grounded by a verbatim
 * quote. The model replies in JSON {@code {"question", "answer", "evidence"}}.
 *
 * <p>A reply is accepted only if it parses, and every line of its evidence is found verbatim
 * in the given segment(s) (two different segments for a multi-segment question); otherwise it
 * is rejected with a reason that the report counts, and the caller asks for another candidate.
 */
public final class TeacherQuestions {
    public static final String SINGLE_PROMPT = """
            You write reading-comprehension questions for training a model to use long documents.
            Below is a short passage. Write ONE question that can be answered from this passage alone,
            and its answer.
            Rules:
            - The question must need a specific detail of this passage (a fact, number, name, cause, or
              consequence), not general knowledge, and must have exactly one correct answer.
            - Do not refer to "the passage", "the text", "the context" or "the author" in the question:
              ask it as a plain question about the facts, with enough detail to identify them.
            - Answer in one or two sentences of your own words.
            - "evidence" must copy, character for character, the sentence (or the shortest part) of
              the passage that the answer rests on.
            Reply with a JSON object only: {"question": "...", "answer": "...", "evidence": "..."}

            Passage:
            %s
            """;

    public static final String MULTI_PROMPT = """
            You write reading-comprehension questions for training a model to combine information from
            several places in a long document. Below is a document cut into numbered pieces. Write ONE
            question whose answer needs information from AT LEAST TWO different pieces (for example:
            compare, order, add up, or connect two facts), and its answer.
            Rules:
            - The question must have exactly one correct answer, found only by combining the pieces.
            - Do not refer to "the pieces", "the passage", "the text" or "the document" in the question:
              ask it as a plain question about the facts, with enough detail to identify them.
            - Answer in one to three sentences of your own words.
            - "evidence" must copy, character for character, one sentence (or shortest part) from each
              piece the answer needs, one per line.
            Reply with a JSON object only: {"question": "...", "answer": "...", "evidence": "..."}

            %s
            """;

    /** The reply must be an object with three non-empty strings. */
    static final JsonNode SCHEMA;

    static {
        try {
            SCHEMA = new ObjectMapper().readTree("""
                    {"type": "object",
                     "properties": {"question": {"type": "string", "minLength": 8},
                                    "answer": {"type": "string", "minLength": 1},
                                    "evidence": {"type": "string", "minLength": 8}},
                     "required": ["question", "answer", "evidence"]}""");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Pattern META_REFERENCE = Pattern.compile(
            "\\b(according to|in|from|based on) the (passage|text|context|document|pieces?|excerpt)\\b", Pattern.CASE_INSENSITIVE);

    /** What came of one candidate. */
    public sealed interface Result permits Accepted, Rejected {
    }

    /** A usable question. */
    public record Accepted(Qa qa) implements Result {
    }

    /**
     * No question from this candidate.
     *
     * @param reason {@code failed} (no reply after retries), {@code invalid} (not the JSON asked for),
     *               {@code evidence} (the quote is not in the segment(s)), {@code meta} (refers to "the text")
     */
    public record Rejected(String reason) implements Result {
    }

    private final LlmClient client;
    private final GenerationParams params;
    private final String templateHash;

    public TeacherQuestions(LlmClient client, GenerationParams params) {
        this.client = client;
        this.params = params;
        this.templateHash = sha256(SINGLE_PROMPT + "\u0000" + MULTI_PROMPT + "\u0000" + SCHEMA);
    }

    public String model() {
        return client.spec().toString();
    }

    /**
     * Asks for candidate {@code candidate} of a question about {@code pieces} (one piece for a
     * single-segment question, all segments of the document for a multi-segment one).
     *
     * @throws StoppedEarlyException when the cost budget is reached
     */
    public Result ask(List<String> pieces, boolean multi, String rowId, int candidate) {
        String prompt;
        if (multi) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < pieces.size(); i++) {
                sb.append("Piece ").append(i + 1).append(":\n").append(pieces.get(i)).append("\n\n");
            }
            prompt = MULTI_PROMPT.formatted(sb.toString().strip());
        } else {
            prompt = SINGLE_PROMPT.formatted(pieces.get(0));
        }
        ChatRequest req = new ChatRequest(rowId, List.of(ChatMessage.user(prompt)), params, candidate, SCHEMA, templateHash);
        Outcome outcome;
        try {
            outcome = client.complete(req);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the teacher", e);
        }
        return switch (outcome) {
            case Outcome.Failed f when f.kind() == Outcome.FailureKind.BUDGET ->
                    throw new StoppedEarlyException("the ${maxCost} budget was reached while the teacher wrote questions");
            case Outcome.Failed f -> new Rejected(f.kind() == Outcome.FailureKind.INVALID_OUTPUT ? "invalid" : "failed");
            case Outcome.Ok ok -> parse(ok.completion().text(), pieces, multi);
        };
    }

    /** Checks a reply and locates its evidence; pure, so tests can call it on hand-written replies. */
    static Result parse(String reply, List<String> pieces, boolean multi) {
        var json = StructuredOutput.extract(reply);
        if (json.isEmpty() || !json.get().path("question").isTextual() || !json.get().path("answer").isTextual()
                || !json.get().path("evidence").isTextual()) {
            return new Rejected("invalid");
        }
        String question = json.get().get("question").asText().strip();
        String answer = json.get().get("answer").asText().strip();
        String evidence = json.get().get("evidence").asText();
        if (question.isEmpty() || answer.isEmpty()) {
            return new Rejected("invalid");
        }
        if (META_REFERENCE.matcher(question).find()) {
            return new Rejected("meta");
        }
        List<Qa.Evidence> found = new ArrayList<>();
        List<Pattern> unique = new ArrayList<>();
        for (String line : evidence.split("\\R")) {
            String quote = stripQuotes(line.strip());
            if (quote.isEmpty()) {
                continue;
            }
            Qa.Evidence at = locate(quote, pieces);
            if (at == null) {
                return new Rejected("evidence");
            }
            found.add(at);
            unique.add(Pattern.compile(Pattern.quote(quote)));
        }
        if (found.isEmpty()) {
            return new Rejected("evidence");
        }
        if (multi && found.stream().map(Qa.Evidence::part).distinct().count() < 2) {
            return new Rejected("evidence");
        }
        QaKind kind = multi ? QaKind.TEACHER_MULTI : QaKind.TEACHER_SINGLE;
        return new Accepted(new Qa(kind, question, answer, found, unique));
    }

    /** The quote's first place in the pieces, or null. */
    private static Qa.Evidence locate(String quote, List<String> pieces) {
        for (int p = 0; p < pieces.size(); p++) {
            int at = pieces.get(p).indexOf(quote);
            if (at >= 0) {
                return new Qa.Evidence(p, at, at + quote.length());
            }
        }
        return null;
    }

    /** Models often wrap a quote in quotation marks or prefix it with "Piece 2:"; neither is part of the text. */
    static String stripQuotes(String s) {
        String t = s.replaceFirst("^(?i)piece\\s*\\d+\\s*[:.)-]\\s*", "").strip();
        if (t.length() >= 2 && "\"“'‘".indexOf(t.charAt(0)) >= 0 && "\"”'’".indexOf(t.charAt(t.length() - 1)) >= 0) {
            t = t.substring(1, t.length() - 1).strip();
        }
        if (t.startsWith("...") || t.startsWith("…")) {
            t = t.replaceFirst("^(\\.\\.\\.|…)\\s*", "");
        }
        if (t.endsWith("...") || t.endsWith("…")) {
            t = t.replaceFirst("\\s*(\\.\\.\\.|…)$", "");
        }
        return t;
    }

    public static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String normalise(String question) {
        return question.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }
}
