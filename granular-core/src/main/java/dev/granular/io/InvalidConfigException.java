package dev.granular.io;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A configuration value that cannot work (out of range, inconsistent with another, too large for the
 * input), naming the configuration fields concerned, not a front end's spelling of them. The message
 * is a template whose <code>${field}</code> placeholders {@link #getMessage()} shows as the field names
 * ({@code "minTokens (4096) is larger than maxTokens (2048)"}), and {@link #message(UnaryOperator)}
 * as the caller's names for them: the CLI shows its flags ({@code --min-tokens}), a recipe its keys.
 *
 * <pre>{@code
 * throw new InvalidConfigException("${examples} must be at least 1, got " + examples);
 * }</pre>
 */
public final class InvalidConfigException extends BadInputException {
    private final String template;

    /**
     * @param template the message, with each configuration field written <code>${fieldName}</code>; other braces
     *                 (a prompt template's {@code {context}}) are text
     */
    public InvalidConfigException(String template) {
        super(FieldTemplate.render(template, UnaryOperator.identity()));
        this.template = template;
    }

    /** The fields the message names, in order of appearance (each once). */
    public List<String> fields() {
        return FieldTemplate.fields(template);
    }

    /** The message with each field shown as {@code names} gives it (a field it maps to null keeps its own name). */
    public String message(UnaryOperator<String> names) {
        return FieldTemplate.render(template, names);
    }
}
