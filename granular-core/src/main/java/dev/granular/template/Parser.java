package dev.granular.template;

import dev.granular.template.Lexer.Token;
import dev.granular.template.Lexer.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Jinja2's grammar, restricted to what chat templates use; anything else is refused here, at
 * parse time, with its position (unknown filters and tests too, as Jinja2 does at compile time).
 */
final class Parser {

    private static final Set<String> COMPARE = Set.of("==", "!=", "<", ">", "<=", ">=");
    /** Tags of Jinja2 that reach other files or are not in transformers' environment ({@code do}, {@code trans}). */
    private static final Set<String> UNSUPPORTED_TAGS = Set.of("include", "import", "from",
            "extends", "block", "do", "autoescape", "trans", "pluralize");

    private final Lexer lexer;
    private final List<Token> tokens;
    private final int maxNesting = TemplateLimits.defaults().depth();
    private int i;
    private int nesting;

    private Parser(Lexer lexer) {
        this.lexer = lexer;
        this.tokens = lexer.tokens();
    }

    static List<Node> parse(Lexer lexer) {
        Parser p = new Parser(lexer);
        List<Node> body;
        try {
            body = p.parseBody(Set.of());
        } catch (StackOverflowError e) {
            throw lexer.limitError(p.cur().pos(), "depth", "template nested too deeply for the Java stack");
        }
        if (p.cur().type() != Type.EOF) {
            Token t = p.next();
            throw p.error(t, "unexpected '" + p.peek(0).text() + "' tag: no block is open");
        }
        return body;
    }

    // ---- token helpers ----

    /** Counts one level of nesting (blocks, brackets, unary chains): a hostile template cannot overflow the stack. */
    private void enter() {
        if (++nesting > maxNesting) {
            throw lexer.limitError(cur().pos(), "depth", "template nested deeper than " + maxNesting + " levels"
                    + " (a chat-template limit; see TemplateLimits, e.g. GRANULAR_JAVA_OPTS=-Dgranular.template.depth=N)");
        }
    }

    private void leave() {
        nesting--;
    }

    private Token cur() {
        return tokens.get(i);
    }

    private Token peek(int k) {
        return tokens.get(Math.min(i + k, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(i++);
    }

    private TemplateException error(Token t, String reason) {
        return lexer.error(t.pos(), reason);
    }

    private String describe(Token t) {
        return switch (t.type()) {
            case EOF -> "end of template";
            case STRING -> "string literal";
            case DATA -> "text";
            default -> "'" + t.text() + "'";
        };
    }

    private Token expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) {
            throw error(t, "expected '" + op + "', found " + describe(t));
        }
        return t;
    }

    private String expectName() {
        Token t = next();
        if (t.type() != Type.NAME) {
            throw error(t, "expected a name, found " + describe(t));
        }
        return t.text();
    }

    private void expectBlockEnd() {
        Token t = next();
        if (t.type() != Type.BLOCK_END) {
            throw error(t, "expected '%}', found " + describe(t));
        }
    }

    private boolean skipName(String name) {
        if (cur().isName(name)) {
            i++;
            return true;
        }
        return false;
    }

    private boolean skipOp(String op) {
        if (cur().isOp(op)) {
            i++;
            return true;
        }
        return false;
    }

    // ---- statements ----

    /** Parses until a block tag whose name is in {@code ends}; leaves i at that name (after the '{%'). */
    private List<Node> parseBody(Set<String> ends) {
        enter();
        try {
            return parseBodyNested(ends);
        } finally {
            leave();
        }
    }

    private List<Node> parseBodyNested(Set<String> ends) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = cur();
            switch (t.type()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw error(t, "unexpected end of template: expected one of " + String.join(", ", ends.stream().sorted().toList()));
                    }
                    return body;
                }
                case DATA -> body.add(new Node.Text(next().pos(), t.text()));
                case VAR_BEGIN -> {
                    next();
                    Node e = parseTuple(true);
                    Token end = next();
                    if (end.type() != Type.VAR_END) {
                        throw error(end, "expected '}}', found " + describe(end));
                    }
                    body.add(new Node.Print(t.pos(), e));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.type() == Type.NAME && ends.contains(name.text())) {
                        next();
                        return body;
                    }
                    next();
                    parseStatement(body);
                }
                default -> throw error(t, "unexpected " + describe(t));
            }
        }
    }

    private void parseStatement(List<Node> out) {
        Token t = next();
        if (t.type() != Type.NAME) {
            throw error(t, "expected a tag name after '{%', found " + describe(t));
        }
        switch (t.text()) {
            case "if" -> out.add(parseIf(t));
            case "for" -> out.add(parseFor(t));
            case "set" -> out.add(parseSet(t));
            case "macro" -> out.add(parseMacro(t));
            case "call" -> out.add(parseCallBlock(t));
            case "filter" -> {
                Node filter = parseFilterExpr(new Node.Captured(t.pos()), true);
                expectBlockEnd();
                List<Node> body = parseBody(Set.of("endfilter"));
                next();
                expectBlockEnd();
                out.add(new Node.FilterBlock(t.pos(), body, filter));
            }
            case "with" -> {
                List<String> names = new ArrayList<>();
                List<Node> values = new ArrayList<>();
                while (cur().type() != Type.BLOCK_END) {
                    if (!names.isEmpty()) {
                        expectOp(",");
                    }
                    names.add(expectName());
                    expectOp("=");
                    values.add(parseExpression(true));
                }
                expectBlockEnd();
                List<Node> body = parseBody(Set.of("endwith"));
                next();
                expectBlockEnd();
                out.add(new Node.With(t.pos(), names, values, body));
            }
            case "break" -> {
                expectBlockEnd();
                out.add(new Node.Break(t.pos()));
            }
            case "continue" -> {
                expectBlockEnd();
                out.add(new Node.Continue(t.pos()));
            }
            case "generation" -> {
                // transformers' {% generation %} marks assistant text for return_assistant_tokens_mask;
                // it renders its body unchanged.
                expectBlockEnd();
                out.addAll(parseBody(Set.of("endgeneration")));
                next();
                expectBlockEnd();
            }
            default -> {
                if (UNSUPPORTED_TAGS.contains(t.text())) {
                    throw error(t, "tag '{% " + t.text() + " %}' is not supported");
                }
                throw error(t, "unknown tag '" + t.text() + "'");
            }
        }
    }

    private Node parseIf(Token start) {
        List<Node> conditions = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conditions.add(parseTuple(true));
        expectBlockEnd();
        List<Node> elseBody = List.of();
        while (true) {
            bodies.add(parseBody(Set.of("elif", "else", "endif")));
            Token tag = next();
            if (tag.text().equals("elif")) {
                conditions.add(parseTuple(true));
                expectBlockEnd();
            } else if (tag.text().equals("else")) {
                expectBlockEnd();
                elseBody = parseBody(Set.of("endif"));
                next();
                expectBlockEnd();
                break;
            } else {
                expectBlockEnd();
                break;
            }
        }
        return new Node.If(start.pos(), conditions, bodies, elseBody);
    }

    private Node parseFor(Token start) {
        List<String> targets = new ArrayList<>();
        boolean paren = skipOp("(");
        targets.add(expectName());
        while (skipOp(",")) {
            if (cur().isName("in") || cur().isOp(")")) {
                break;
            }
            targets.add(expectName());
        }
        if (paren) {
            expectOp(")");
        }
        Token in = next();
        if (!in.isName("in")) {
            throw error(in, "expected 'in' in for loop, found " + describe(in));
        }
        Node iterable = parseTuple(false);
        Node filter = null;
        if (skipName("if")) {
            filter = parseTuple(true);
        }
        boolean recursive = skipName("recursive");
        expectBlockEnd();
        List<Node> body = parseBody(Set.of("else", "endfor"));
        List<Node> elseBody = List.of();
        if (next().text().equals("else")) {
            expectBlockEnd();
            elseBody = parseBody(Set.of("endfor"));
            next();
        }
        expectBlockEnd();
        return new Node.For(start.pos(), targets, iterable, filter, body, elseBody, recursive);
    }

    private Node parseSet(Token start) {
        List<String> targets = new ArrayList<>();
        targets.add(expectName());
        String attr = null;
        if (skipOp(".")) {
            attr = expectName();
        } else {
            while (skipOp(",")) {
                targets.add(expectName());
            }
        }
        if ((cur().type() == Type.BLOCK_END || cur().isOp("|")) && attr == null && targets.size() == 1) {
            Node filter = cur().isOp("|") ? parseFilterExpr(new Node.Captured(start.pos()), true) : null;
            expectBlockEnd();
            List<Node> body = parseBody(Set.of("endset"));
            next();
            expectBlockEnd();
            return new Node.SetBlock(start.pos(), targets.get(0), body, filter);
        }
        expectOp("=");
        Node value = parseTuple(true);
        expectBlockEnd();
        return new Node.Set(start.pos(), targets, attr, value);
    }

    private Node parseMacro(Token start) {
        String name = expectName();
        Node.Macro m = parseMacroRest(start, name, "endmacro");
        return m;
    }

    /** Parameters in parentheses (optional when {@code optionalParams}), the block end, and the body up to {@code end}. */
    private Node.Macro parseMacroRest(Token start, String name, String end) {
        List<String> params = new ArrayList<>();
        List<Node> defaults = new ArrayList<>();
        boolean hasParams = end.equals("endmacro") || cur().isOp("(");
        if (hasParams) {
            expectOp("(");
            while (!cur().isOp(")")) {
                if (!params.isEmpty()) {
                    expectOp(",");
                    if (cur().isOp(")")) {
                        break;
                    }
                }
                params.add(expectName());
                if (skipOp("=")) {
                    defaults.add(parseExpression(true));
                } else {
                    if (!defaults.isEmpty() && defaults.get(defaults.size() - 1) != null) {
                        throw error(cur(), "non-default argument follows default argument");
                    }
                    defaults.add(null);
                }
            }
            expectOp(")");
        }
        Node.Call call = null;
        if (end.equals("endcall")) {
            Node callee = parsePostfixNoCall(parsePrimary());
            if (!cur().isOp("(")) {
                throw error(cur(), "expected a call after {% call %}, found " + describe(cur()));
            }
            call = (Node.Call) parseCall(callee);
        }
        expectBlockEnd();
        List<Node> body = parseBody(Set.of(end));
        next();
        if (cur().type() == Type.NAME) {
            next();
        }
        expectBlockEnd();
        Uses uses = new Uses();
        uses.scan(body);
        defaults.forEach(uses::scan);
        Node.Macro m = new Node.Macro(start.pos(), name, params, defaults, body, uses.varargs, uses.kwargs, uses.caller);
        pendingCall = call;
        return m;
    }

    private Node.Call pendingCall;

    private Node parseCallBlock(Token start) {
        Node.Macro caller = parseMacroRest(start, "caller", "endcall");
        return new Node.CallBlock(start.pos(), caller, pendingCall);
    }

    /** Whether a macro body names varargs, kwargs or caller (outside nested macros, as Jinja2 finds them). */
    private static final class Uses {
        boolean varargs;
        boolean kwargs;
        boolean caller;

        void scan(Object o) {
            if (o instanceof Node.Name n) {
                varargs |= n.name().equals("varargs");
                kwargs |= n.name().equals("kwargs");
                caller |= n.name().equals("caller");
            } else if (o instanceof Node.Macro) {
                return;
            } else if (o instanceof Node.CallBlock cb) {
                scan(cb.call());
            } else if (o instanceof Record r) {
                for (java.lang.reflect.RecordComponent c : r.getClass().getRecordComponents()) {
                    try {
                        scan(c.getAccessor().invoke(r));
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                }
            } else if (o instanceof List<?> l) {
                l.forEach(this::scan);
            }
        }
    }

    // ---- expressions ----

    /** An expression, or a tuple when commas separate several (outside brackets). */
    private Node parseTuple(boolean withCondexpr) {
        int pos = cur().pos();
        Node first = parseExpression(withCondexpr);
        if (!cur().isOp(",")) {
            return first;
        }
        List<Node> items = new ArrayList<>();
        items.add(first);
        while (skipOp(",")) {
            if (atTupleEnd()) {
                break;
            }
            items.add(parseExpression(withCondexpr));
        }
        return new Node.ListExpr(pos, items, true);
    }

    private boolean atTupleEnd() {
        Token t = cur();
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")") || t.isName("if")
                || t.isOp("=");
    }

    private Node parseExpression(boolean withCondexpr) {
        enter();
        try {
            return withCondexpr ? parseConditional() : parseOr();
        } finally {
            leave();
        }
    }

    private Node parseConditional() {
        Node expr = parseOr();
        while (cur().isName("if")) {
            int pos = next().pos();
            Node cond = parseOr();
            Node otherwise = skipName("else") ? parseExpression(true) : null;
            expr = new Node.Conditional(pos, cond, expr, otherwise);
        }
        return expr;
    }

    private Node parseOr() {
        Node left = parseAnd();
        while (cur().isName("or")) {
            int pos = next().pos();
            left = new Node.Binary(pos, "or", left, parseAnd());
        }
        return left;
    }

    private Node parseAnd() {
        Node left = parseNot();
        while (cur().isName("and")) {
            int pos = next().pos();
            left = new Node.Binary(pos, "and", left, parseNot());
        }
        return left;
    }

    private Node parseNot() {
        if (cur().isName("not")) {
            int pos = next().pos();
            enter();
            try {
                return new Node.Unary(pos, "not", parseNot());
            } finally {
                leave();
            }
        }
        return parseCompare();
    }

    private Node parseCompare() {
        int pos = cur().pos();
        Node first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Node> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.type() == Type.OP && COMPARE.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Node.Compare(pos, first, ops, rest);
    }

    private Node parseMath1() {
        Node left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token op = next();
            left = new Node.Binary(op.pos(), op.text(), left, parseConcat());
        }
        return left;
    }

    private Node parseConcat() {
        Node left = parseMath2();
        while (cur().isOp("~")) {
            Token op = next();
            left = new Node.Binary(op.pos(), "~", left, parseMath2());
        }
        return left;
    }

    private Node parseMath2() {
        Node left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token op = next();
            left = new Node.Binary(op.pos(), op.text(), left, parsePow());
        }
        return left;
    }

    private Node parsePow() {
        Node left = parseUnary(true);
        while (cur().isOp("**")) {
            Token op = next();
            left = new Node.Binary(op.pos(), "**", left, parseUnary(true));
        }
        return left;
    }

    private Node parseUnary(boolean withFilter) {
        Node node;
        if (cur().isOp("-") || cur().isOp("+")) {
            Token op = next();
            enter();
            try {
                node = new Node.Unary(op.pos(), op.text(), parseUnary(false));
            } finally {
                leave();
            }
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        return withFilter ? parseFilterExpr(node) : node;
    }

    private Node parsePrimary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Node.Literal(t.pos(), Boolean.TRUE);
                    case "false", "False" -> new Node.Literal(t.pos(), Boolean.FALSE);
                    case "none", "None" -> new Node.Literal(t.pos(), null);
                    default -> new Node.Name(t.pos(), t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder((String) t.value());
                while (cur().type() == Type.STRING) {
                    sb.append((String) next().value());
                }
                return new Node.Literal(t.pos(), sb.toString());
            }
            case INT, FLOAT -> {
                return new Node.Literal(t.pos(), t.value());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (skipOp(")")) {
                            return new Node.ListExpr(t.pos(), List.of(), true);
                        }
                        Node inner = parseTuple(true);
                        expectOp(")");
                        return inner;
                    }
                    case "[" -> {
                        List<Node> items = new ArrayList<>();
                        while (!cur().isOp("]")) {
                            if (!items.isEmpty()) {
                                expectOp(",");
                                if (cur().isOp("]")) {
                                    break;
                                }
                            }
                            items.add(parseExpression(true));
                        }
                        expectOp("]");
                        return new Node.ListExpr(t.pos(), items, false);
                    }
                    case "{" -> {
                        List<Node> keys = new ArrayList<>();
                        List<Node> values = new ArrayList<>();
                        while (!cur().isOp("}")) {
                            if (!keys.isEmpty()) {
                                expectOp(",");
                                if (cur().isOp("}")) {
                                    break;
                                }
                            }
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        expectOp("}");
                        return new Node.DictExpr(t.pos(), keys, values);
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw error(t, "unexpected " + describe(t) + " in expression");
    }

    private Node parsePostfix(Node node) {
        return parsePostfix(node, true);
    }

    /** Attribute and item access only: the callee of a {@code {% call %}} block. */
    private Node parsePostfixNoCall(Node node) {
        return parsePostfix(node, false);
    }

    private Node parsePostfix(Node node, boolean calls) {
        while (true) {
            Token t = cur();
            if (t.isOp(".")) {
                next();
                Token attr = next();
                if (attr.type() == Type.NAME) {
                    node = new Node.GetAttr(t.pos(), node, attr.text());
                } else if (attr.type() == Type.INT) {
                    node = new Node.GetItem(t.pos(), node, new Node.Literal(attr.pos(), attr.value()));
                } else {
                    throw error(attr, "expected an attribute name after '.', found " + describe(attr));
                }
            } else if (t.isOp("[")) {
                next();
                node = parseSubscript(t, node);
            } else if (t.isOp("(") && calls) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }

    private Node parseSubscript(Token open, Node target) {
        Node start = null;
        if (!cur().isOp(":")) {
            start = parseExpression(true);
            if (skipOp("]")) {
                return new Node.GetItem(open.pos(), target, start);
            }
            if (cur().isOp(",")) {
                throw error(cur(), "tuple subscripts are not supported");
            }
        }
        expectOp(":");
        Node stop = null;
        Node step = null;
        if (!cur().isOp("]") && !cur().isOp(":")) {
            stop = parseExpression(true);
        }
        if (skipOp(":")) {
            if (!cur().isOp("]")) {
                step = parseExpression(true);
            }
        }
        expectOp("]");
        return new Node.Slice(open.pos(), target, start, stop, step);
    }

    private record Args(Token open, List<Node> args, List<String> kwNames, List<Node> kwValues, Node star, Node starStar) {
        Args noStars(Parser p) {
            if (star != null || starStar != null) {
                throw p.error(open, "*args/**kwargs are supported in calls only, not in filter or test arguments");
            }
            return this;
        }
    }

    private Args parseArgs() {
        Token open = expectOp("(");
        List<Node> args = new ArrayList<>();
        List<String> kwNames = new ArrayList<>();
        List<Node> kwValues = new ArrayList<>();
        Node star = null;
        Node starStar = null;
        boolean first = true;
        while (!cur().isOp(")")) {
            if (!first) {
                expectOp(",");
                if (cur().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (cur().isOp("*")) {
                if (star != null || starStar != null) {
                    throw error(cur(), "invalid syntax for function call expression");
                }
                next();
                star = parseExpression(true);
                continue;
            }
            if (cur().isOp("**")) {
                if (starStar != null) {
                    throw error(cur(), "invalid syntax for function call expression");
                }
                next();
                starStar = parseExpression(true);
                continue;
            }
            if (starStar != null) {
                throw error(cur(), "invalid syntax for function call expression");
            }
            if (cur().type() == Type.NAME && peek(1).isOp("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(parseExpression(true));
            } else {
                if (!kwNames.isEmpty() || star != null) {
                    throw error(cur(), "invalid syntax for function call expression");
                }
                args.add(parseExpression(true));
            }
        }
        expectOp(")");
        return new Args(open, args, kwNames, kwValues, star, starStar);
    }

    private Node parseCall(Node callee) {
        Args a = parseArgs();
        return new Node.Call(callee.pos(), callee, a.args(), a.kwNames(), a.kwValues(), a.star(), a.starStar());
    }

    private Node parseFilterExpr(Node node) {
        return parseFilterExpr(node, false);
    }

    /**
     * Filters, tests and calls after {@code node}. With {@code chainOnly} (the {@code filter} and
     * filtered {@code set} tags), only a chain of filters, whose first '|' may be left out.
     */
    private Node parseFilterExpr(Node node, boolean chainOnly) {
        boolean firstBare = chainOnly && cur().type() == Type.NAME;
        while (true) {
            Token t = cur();
            if (t.isOp("|") || firstBare) {
                if (!firstBare) {
                    next();
                }
                firstBare = false;
                Token nameTok = cur();
                String name = expectName();
                while (skipOp(".")) {
                    name = name + "." + expectName();
                }
                if (cur().isOp("(")) {
                    Args a = parseArgs().noStars(this);
                    node = new Node.Filter(nameTok.pos(), node, name, a.args(), a.kwNames(), a.kwValues());
                } else {
                    node = new Node.Filter(nameTok.pos(), node, name, List.of(), List.of(), List.of());
                }
            } else if (t.isName("is") && !chainOnly) {
                next();
                boolean negated = skipName("not");
                Token nameTok = cur();
                String name = expectName();
                List<Node> args = List.of();
                Token n = cur();
                if (n.isOp("(")) {
                    Args a = parseArgs().noStars(this);
                    if (!a.kwNames().isEmpty()) {
                        throw error(n, "keyword arguments to tests are not supported");
                    }
                    args = a.args();
                } else if ((n.type() == Type.NAME || n.type() == Type.STRING || n.type() == Type.INT
                        || n.type() == Type.FLOAT || n.isOp("[") || n.isOp("{"))
                        && !n.isName("else") && !n.isName("or") && !n.isName("and") && !n.isName("if")
                        && !n.isName("in") && !n.isName("not")) {
                    if (n.isName("is")) {
                        throw error(n, "you cannot chain multiple tests with 'is'");
                    }
                    args = List.of(parsePostfix(parsePrimary()));
                }
                node = new Node.Test(nameTok.pos(), node, name, args, negated);
            } else if (t.isOp("(") && !chainOnly) {
                node = parseCall(node);
            } else {
                return node;
            }
        }
    }
}
