package dev.granular.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The fact hidden in a haystack, with the question that asks for it and the answer a reply
 * must contain. The built-in needle is about an invented place, so no model knows it
 * beforehand and a right answer proves the model read the context.
 */
public record Needle(String sentence, String question, String answer) {
    public static final Needle BUILTIN = new Needle(
            "Every spring the lighthouse keepers of Varnholm island repaint their tower, and this year they chose saffron yellow.",
            "Which colour did the lighthouse keepers of Varnholm island choose for their tower this year?",
            "saffron yellow");

    public Needle {
        if (sentence.isBlank() || question.isBlank() || answer.isBlank()) {
            throw new BadInputException("a needle needs a non-empty sentence, question and answer");
        }
        if (!sentence.toLowerCase(Locale.ROOT).contains(answer.toLowerCase(Locale.ROOT))) {
            throw new BadInputException("the needle's answer \"" + answer + "\" does not occur in its sentence");
        }
    }

    /** Reads {@code {"sentence": ..., "question": ..., "answer": ...}}. */
    public static Needle read(Path file) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new BadInputException(file, 0, "cannot read the needle (a JSON object with sentence, question, answer): "
                    + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new BadInputException(file, 0, "expected a JSON object with sentence, question and answer");
        }
        try {
            return new Needle(text(n, "sentence", file), text(n, "question", file), text(n, "answer", file));
        } catch (BadInputException e) {
            throw e.file() == null ? new BadInputException(file, 0, e.getMessage()) : e;
        }
    }

    private static String text(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new BadInputException(file, 0, "missing string field \"" + field + "\"");
        }
        return v.asText();
    }
}
