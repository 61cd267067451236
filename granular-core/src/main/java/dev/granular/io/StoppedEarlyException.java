package dev.granular.io;

import java.util.function.UnaryOperator;

/**
 * The run stopped before it finished but everything done so far is kept: a budget was
 * reached, or rows still fail after their retries. Rerunning the same command continues.
 * The CLI maps it to exit code 3.
 *
 * <p>Like {@link InvalidConfigException}, the message may name configuration fields as <code>${field}</code>
 * ({@code "the ${maxCost} budget of $5.00 was reached"}): {@link #getMessage()} shows the field names,
 * {@link #message(UnaryOperator)} the caller's (the CLI's flags: {@code --max-cost}).
 */
public class StoppedEarlyException extends RuntimeException {
    private final String template;

    public StoppedEarlyException(String message) {
        super(FieldTemplate.render(message, UnaryOperator.identity()));
        this.template = message;
    }

    /** The message with each field it names shown as {@code names} gives it (null keeps the field's own name). */
    public String message(UnaryOperator<String> names) {
        return FieldTemplate.render(template, names);
    }
}
