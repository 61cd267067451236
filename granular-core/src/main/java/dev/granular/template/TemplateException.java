package dev.granular.template;

import dev.granular.io.BadInputException;

/**
 * A chat template that cannot be parsed or rendered: a syntax error, a construct this interpreter
 * does not support, a Python-level type error, or the template's own {@code raise_exception(...)}.
 * The message names the construct and where it is in the template, as {@code line:column} counted
 * from 1 in the template text (not in the JSON file that carries it), e.g.
 * {@code chat template 3:17: filter 'wordwrap' is not supported}.
 *
 * <p>It is a {@link BadInputException}: the template comes from the user's tokenizer files, so the
 * CLI reports it as bad input (exit code 2). Nothing is ever rendered partially: {@link
 * ChatTemplate#render} either returns the whole text or throws. A template that exceeds one of its
 * {@link TemplateLimits} says so in {@link #limit()}.
 */
public final class TemplateException extends BadInputException {
    private final int line;
    private final int column;
    private final String reason;
    private final String limit;

    TemplateException(int line, int column, String reason) {
        this(null, line, column, reason, null);
    }

    TemplateException(int line, int column, String reason, String limit) {
        this(null, line, column, reason, limit);
    }

    private TemplateException(String source, int line, int column, String reason, String limit) {
        super(source, 0, "chat template " + line + ":" + column + ": " + reason);
        this.line = line;
        this.column = column;
        this.reason = reason;
        this.limit = limit;
    }

    /** The same error, its message prefixed with the file that holds the template. */
    TemplateException in(String source) {
        return new TemplateException(source, line, column, reason, limit);
    }

    /**
     * The {@link TemplateLimits} bound the template exceeded ({@code "output"}, {@code "items"},
     * {@code "steps"}, {@code "depth"}, {@code "time"}, {@code "range"}), or null when it failed
     * otherwise. Such a template is broken or hostile, not refusing one conversation: callers stop
     * instead of trying the next record.
     */
    public String limit() {
        return limit;
    }

    /** 1-based line in the template text (not in the file that holds it: see {@link #line()}). */
    public int templateLine() {
        return line;
    }

    /** 1-based column (in UTF-16 units) in the template text. */
    public int templateColumn() {
        return column;
    }

    /** The message without the position. */
    public String reason() {
        return reason;
    }
}
