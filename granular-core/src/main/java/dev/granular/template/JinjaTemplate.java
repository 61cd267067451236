package dev.granular.template;

import java.util.List;
import java.util.Map;

/** A parsed Jinja2 template (the chat-template subset), rendered with a fresh interpreter per call. Thread-safe. */
final class JinjaTemplate {
    private final Lexer lexer;
    private final List<Node> body;

    private JinjaTemplate(Lexer lexer, List<Node> body) {
        this.lexer = lexer;
        this.body = body;
    }

    /** @throws TemplateException on a syntax error or an unsupported construct */
    static JinjaTemplate parse(String source) {
        Lexer lexer = Lexer.lex(source);
        return new JinjaTemplate(lexer, Parser.parse(lexer));
    }

    /**
     * Renders with {@code context} as the template's variables (JSON-like Java values, see {@link Py#fromJava}).
     *
     * @throws TemplateException when rendering fails
     */
    String render(Map<String, Object> context) {
        return render(context, TemplateLimits.defaults());
    }

    /** Renders within {@code limits}. */
    String render(Map<String, Object> context, TemplateLimits limits) {
        return Interpreter.render(lexer, body, context, limits);
    }
}
