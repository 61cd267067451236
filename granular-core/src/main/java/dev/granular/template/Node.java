package dev.granular.template;

import java.util.List;

/** The syntax tree of a template; {@code pos} is the offset in the normalized source, for errors. */
sealed interface Node {
    int pos();

    // ---- statements ----

    record Text(int pos, String text) implements Node { }

    record Print(int pos, Node expr) implements Node { }

    record If(int pos, List<Node> conditions, List<List<Node>> bodies, List<Node> elseBody) implements Node { }

    record For(int pos, List<String> targets, Node iterable, Node filter, List<Node> body, List<Node> elseBody,
               boolean recursive) implements Node { }

    /** {@code set name = expr}, {@code set a, b = expr}, or {@code set ns.attr = expr} (attr non-null). */
    record Set(int pos, List<String> targets, String attr, Node value) implements Node { }

    /** {@code set name %}...{% endset} with optional filters applied to the captured text ({@code filter} null when none). */
    record SetBlock(int pos, String target, List<Node> body, Node filter) implements Node { }

    /**
     * A macro; {@code usesVarargs}/{@code usesKwargs}/{@code usesCaller} say whether its body names
     * {@code varargs}, {@code kwargs}, {@code caller} (Jinja2 then accepts extra arguments).
     */
    record Macro(int pos, String name, List<String> params, List<Node> defaults, List<Node> body,
                 boolean usesVarargs, boolean usesKwargs, boolean usesCaller) implements Node { }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: {@code caller} is an anonymous macro over body. */
    record CallBlock(int pos, Macro caller, Call call) implements Node { }

    /** {@code {% filter f|g %}body{% endfilter %}}: {@code filter} is a Filter chain over {@link Captured}. */
    record FilterBlock(int pos, List<Node> body, Node filter) implements Node { }

    /** The text a FilterBlock or filtered SetBlock captured (the innermost target of its filter chain). */
    record Captured(int pos) implements Node { }

    /** {@code {% with a = 1 %}body{% endwith %}}: assignments in a new scope. */
    record With(int pos, List<String> names, List<Node> values, List<Node> body) implements Node { }

    record Break(int pos) implements Node { }

    record Continue(int pos) implements Node { }

    // ---- expressions ----

    record Literal(int pos, Object value) implements Node { }

    record ListExpr(int pos, List<Node> items, boolean tuple) implements Node { }

    record DictExpr(int pos, List<Node> keys, List<Node> values) implements Node { }

    record Name(int pos, String name) implements Node { }

    record GetAttr(int pos, Node target, String name) implements Node { }

    record GetItem(int pos, Node target, Node key) implements Node { }

    record Slice(int pos, Node target, Node start, Node stop, Node step) implements Node { }

    /** A call; {@code star} ({@code *args}) and {@code starStar} ({@code **kwargs}) are null when absent. */
    record Call(int pos, Node callee, List<Node> args, List<String> kwNames, List<Node> kwValues, Node star, Node starStar)
            implements Node { }

    record Filter(int pos, Node target, String name, List<Node> args, List<String> kwNames, List<Node> kwValues)
            implements Node { }

    record Test(int pos, Node target, String name, List<Node> args, boolean negated) implements Node { }

    record Unary(int pos, String op, Node operand) implements Node { }

    record Binary(int pos, String op, Node left, Node right) implements Node { }

    /** Python's chained comparison: {@code a < b <= c}. */
    record Compare(int pos, Node first, List<String> ops, List<Node> rest) implements Node { }

    record Conditional(int pos, Node condition, Node then, Node otherwise) implements Node { }
}
