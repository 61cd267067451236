package dev.granular.template;

import dev.granular.template.Py.Namespace;
import dev.granular.template.Py.PyCallable;
import dev.granular.template.Py.Tuple;
import dev.granular.template.Py.Undefined;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Evaluates a parsed template with Python's semantics, as Jinja2's ImmutableSandboxedEnvironment
 * does for transformers: attribute names starting with '_' are undefined, lists and dicts cannot
 * be modified (only {@code namespace()} attributes can be set), no Java object is reachable (see
 * {@link Py}). Work is bounded: loop iterations and macro calls share a budget, macro recursion and
 * the output's size are limited, so a hostile template fails instead of hanging.
 */
final class Interpreter {

    /** What strftime_now formats: the local time; package-private so that a parity test can pin it (as its Python reference). */
    static volatile java.util.function.Supplier<LocalDateTime> now = LocalDateTime::now;


    /** The filters of transformers' environment (Jinja2's built-ins plus its tojson), for the {@code filter} test. */
    static final Set<String> FILTERS = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
            "dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent",
            "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "pprint", "random",
            "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort",
            "string", "striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode",
            "urlize", "wordcount", "wordwrap", "xmlattr");

    static final Set<String> TESTS = Set.of("defined", "undefined", "none", "string", "number", "integer", "float",
            "boolean", "true", "false", "mapping", "sequence", "iterable", "callable", "odd", "even", "divisibleby",
            "eq", "equalto", "==", "ne", "!=", "lt", "<", "lessthan", "le", "<=", "gt", ">", "greaterthan", "ge", ">=",
            "in", "lower", "upper", "sameas", "escaped", "filter", "test");

    private final Lexer lexer;
    private final TemplateLimits.Budget budget;
    private long steps;
    private int depth;
    private int nesting;
    private int ticks;

    private Interpreter(Lexer lexer, TemplateLimits.Budget budget) {
        this.lexer = lexer;
        this.budget = budget;
    }

    static String render(Lexer lexer, List<Node> body, Map<String, Object> context, TemplateLimits limits) {
        Map<String, Object> vars = new LinkedHashMap<>();
        long inputChars = 0;
        for (Map.Entry<String, Object> e : context.entrySet()) {
            Object v = Py.fromJava(e.getValue());
            vars.put(e.getKey(), v);
            inputChars += e.getKey().length() + Py.textSize(v);
        }
        Interpreter in = new Interpreter(lexer, limits.budget(inputChars));
        Scope root = new Scope(null);
        root.vars.put("range", new Builtin("range"));
        root.vars.put("dict", new Builtin("dict"));
        root.vars.put("namespace", new Builtin("namespace"));
        root.vars.put("raise_exception", new Builtin("raise_exception"));
        root.vars.put("strftime_now", new Builtin("strftime_now"));
        root.vars.putAll(vars);
        // Jinja2 declares `self` (the TemplateReference, for blocks granular refuses) in a template that names it
        root.vars.put("self", new TemplateRef());
        StringBuilder out = new StringBuilder();
        try {
            in.exec(body, root, out);
        } catch (LoopControl c) {
            throw lexer.error(c.pos, "'" + c.what + "' outside of a loop");
        } catch (StackOverflowError e) {
            // A backstop: the depth bounds below should be reached first.
            throw lexer.limitError(0, "depth", "template nested too deeply for the Java stack" + RAISE);
        }
        return out.toString();
    }

    // ---- scopes and runtime objects ----

    static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return new Undefined(name);
        }
    }

    /** Jinja2's {@code self}: with no blocks, every attribute and item of it is undefined. */
    record TemplateRef() { }

    record Builtin(String name) implements PyCallable {
        @Override
        public String describe() {
            return "function " + name;
        }
    }

    record Macro(Node.Macro node, Scope closure) implements PyCallable {
        @Override
        public String describe() {
            return "macro " + node.name();
        }
    }

    record Method(Object receiver, String name) implements PyCallable {
        @Override
        public String describe() {
            return "method " + Py.typeName(receiver) + "." + name;
        }
    }

    /** The {@code loop} variable; callable in a recursive loop. */
    static final class Loop implements PyCallable {
        final List<Object> items;
        final Node.For node;
        final Scope scope;
        final int level;
        int index0;
        Object lastChanged = NOT_SET;

        Loop(List<Object> items, Node.For node, Scope scope, int level) {
            this.items = items;
            this.node = node;
            this.scope = scope;
            this.level = level;
        }

        @Override
        public String describe() {
            return "loop object";
        }
    }

    private static final Object NOT_SET = new Object();

    private static final class LoopControl extends RuntimeException {
        final int pos;
        final String what;

        LoopControl(int pos, String what) {
            super(what, null, false, false);
            this.pos = pos;
            this.what = what;
        }
    }

    private TemplateException error(Node node, String reason) {
        return lexer.error(node.pos(), reason);
    }

    private static final String RAISE = " (a chat-template limit; see TemplateLimits, e.g. GRANULAR_JAVA_OPTS=-Dgranular.template.%s=N)";

    private TemplateException limit(Node node, String limit, String reason) {
        return lexer.limitError(node.pos(), limit, reason + RAISE.formatted(limit));
    }

    private void step(Node node) {
        if (++steps > budget.steps()) {
            throw limit(node, "steps", "template exceeded " + budget.steps() + " loop iterations and macro calls");
        }
        checkTime(node);
    }

    /** Called in loops that do not count as steps (filters over long lists); checks the clock now and then. */
    private void tick(Node node) {
        if ((++ticks & 1023) == 0) {
            checkTime(node);
        }
    }

    private void checkTime(Node node) {
        if (System.nanoTime() - budget.deadline() > 0) {
            throw limit(node, "time", "template rendering took longer than its time limit");
        }
    }

    /** Fails when a string of {@code chars} characters or a list of {@code items} items would pass the limits. */
    private void checkSize(Node at, long chars, long items) {
        if (chars > budget.outputChars()) {
            throw limit(at, "output", "template builds a string of more than " + budget.outputChars() + " characters");
        }
        if (items > budget.items()) {
            throw limit(at, "items", "template builds a list of more than " + budget.items() + " items");
        }
    }

    /** {@code v} unchanged, after checking that it is not a string or list over the limits. */
    private Object checked(Node at, Object v) {
        if (v instanceof String s) {
            checkSize(at, s.length(), 0);
        } else if (v instanceof List<?> l) {
            checkSize(at, 0, l.size());
        }
        return v;
    }

    // ---- statements ----

    private void exec(List<Node> body, Scope scope, StringBuilder out) {
        for (Node n : body) {
            exec(n, scope, out);
            if (out.length() > budget.outputChars()) {
                throw limit(n, "output", "template output exceeds " + budget.outputChars() + " characters");
            }
            tick(n);
        }
    }

    private void exec(Node n, Scope scope, StringBuilder out) {
        switch (n) {
            case Node.Text t -> out.append(t.text());
            case Node.Print p -> out.append(print(p.expr(), eval(p.expr(), scope)));
            case Node.If f -> {
                for (int k = 0; k < f.conditions().size(); k++) {
                    if (Py.truthy(eval(f.conditions().get(k), scope))) {
                        exec(f.bodies().get(k), scope, out);
                        return;
                    }
                }
                exec(f.elseBody(), scope, out);
            }
            case Node.For f -> execFor(f, scope, out);
            case Node.Set s -> execSet(s, scope);
            case Node.SetBlock s -> {
                StringBuilder sb = new StringBuilder();
                exec(s.body(), new Scope(scope), sb);
                scope.vars.put(s.target(), s.filter() == null ? sb.toString() : filterCaptured(s.filter(), sb.toString(), scope));
            }
            case Node.FilterBlock f -> {
                StringBuilder sb = new StringBuilder();
                exec(f.body(), new Scope(scope), sb);
                out.append(print(f, filterCaptured(f.filter(), sb.toString(), scope)));
            }
            case Node.With w -> {
                Scope inner = new Scope(scope);
                for (int k = 0; k < w.names().size(); k++) {
                    inner.vars.put(w.names().get(k), eval(w.values().get(k), scope));
                }
                exec(w.body(), inner, out);
            }
            case Node.CallBlock cb -> {
                Macro caller = new Macro(cb.caller(), scope);
                out.append(print(cb, call(cb.call(), scope, caller)));
            }
            case Node.Macro m -> scope.vars.put(m.name(), new Macro(m, scope));
            case Node.Break b -> throw new LoopControl(b.pos(), "break");
            case Node.Continue c -> throw new LoopControl(c.pos(), "continue");
            default -> throw error(n, "expression used as a statement");
        }
    }

    private static final String CAPTURED = "\u0000captured";

    /** Applies a filter chain whose innermost target is {@link Node.Captured} to {@code text}. */
    private Object filterCaptured(Node filter, String text, Scope scope) {
        Scope s = new Scope(scope);
        s.vars.put(CAPTURED, text);
        return eval(filter, s);
    }

    private String print(Node expr, Object v) {
        if (v instanceof TemplateRef) {
            return "";   // Python prints <TemplateReference None>; granular prints nothing of its internals (SandboxTest)
        }
        if (!Py.printable(v)) {
            throw error(expr, "cannot print a " + describe(v) + " (only strings, numbers, booleans, None, lists and dicts of those)");
        }
        try {
            return Py.str(v, budget.outputChars());
        } catch (Py.TooLarge e) {
            throw limit(expr, "output", "template prints a value of more than " + budget.outputChars() + " characters");
        }
    }

    private static String describe(Object v) {
        if (v instanceof PyCallable c) {
            return c.describe();
        }
        if (v instanceof Loop) {
            return "loop object";
        }
        if (v instanceof Namespace) {
            return "namespace";
        }
        if (v instanceof TemplateRef) {
            return "TemplateReference (self)";
        }
        if (v instanceof Py.Iter it) {
            return it.type + " (Python prints its memory address; add |list)";
        }
        if (v instanceof List<?> l) {
            return "list holding a non-printable value" + (l.isEmpty() ? "" : "");
        }
        if (v instanceof Map<?, ?>) {
            return "dict holding a non-printable value";
        }
        return Py.typeName(v);
    }

    private void execFor(Node.For f, Scope scope, StringBuilder out) {
        Object seq = eval(f.iterable(), scope);
        runLoop(f, f.iterable(), seq, scope, out, 1);
    }

    /** Runs a for loop over {@code seq} at recursion {@code level} (1 outside {@code loop(...)} calls). */
    private void runLoop(Node.For f, Node at, Object seq, Scope scope, StringBuilder out, int level) {
        List<Object> items = iterate(at, seq);
        if (items == null) {
            throw error(at, "'" + Py.typeName(seq) + "' object is not iterable");
        }
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                step(f);
                Scope s = new Scope(scope);
                bind(f, f.targets(), item, s);
                if (Py.truthy(eval(f.filter(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            exec(f.elseBody(), scope, out);
            return;
        }
        Loop loop = new Loop(items, f, scope, level);
        for (int k = 0; k < items.size(); k++) {
            step(f);
            loop.index0 = k;
            Scope s = new Scope(scope);
            bind(f, f.targets(), items.get(k), s);
            s.vars.put("loop", loop);
            try {
                exec(f.body(), s, out);
            } catch (LoopControl c) {
                if (c.what.equals("break")) {
                    break;
                }
            }
        }
    }

    /** {@code loop(items)} in a recursive for loop: the loop's body over {@code items}, one level deeper. */
    private Object callLoop(Node.Call at, Loop loop, List<Object> pos, Map<String, Object> kw) {
        if (loop.node == null || !loop.node.recursive()) {
            throw error(at, "loop object is not callable: the for loop is not recursive");
        }
        if (pos.size() != 1 || !kw.isEmpty()) {
            throw error(at, "loop() takes exactly one argument, the items to recurse into");
        }
        if (depth >= budget.depth()) {
            throw limit(at, "depth", "recursive loop deeper than " + budget.depth());
        }
        StringBuilder sb = new StringBuilder();
        depth++;
        try {
            runLoop(loop.node, at, pos.get(0), loop.scope, sb, loop.level + 1);
        } finally {
            depth--;
        }
        return sb.toString();
    }

    private void bind(Node at, List<String> targets, Object value, Scope scope) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), value);
            return;
        }
        List<Object> parts = iterate(at, value);
        if (parts == null || value instanceof Undefined) {
            throw error(at, "cannot unpack a " + Py.typeName(value) + " into " + targets.size() + " names");
        }
        if (parts.size() != targets.size()) {
            throw error(at, "cannot unpack " + parts.size() + " values into " + targets.size() + " names");
        }
        for (int k = 0; k < targets.size(); k++) {
            scope.vars.put(targets.get(k), parts.get(k));
        }
    }

    private void execSet(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.attr() != null) {
            Object target = scope.lookup(s.targets().get(0));
            if (!(target instanceof Namespace ns)) {
                throw error(s, "cannot assign attribute '" + s.attr() + "' on a " + Py.typeName(target)
                        + ": only namespace() objects can be modified");
            }
            ns.attrs.put(s.attr(), value);
            return;
        }
        bind(s, s.targets(), value, scope);
    }

    // ---- expressions ----

    private Object eval(Node n, Scope scope) {
        if (++nesting > budget.depth() * 5) {
            throw limit(n, "depth", "expressions nested deeper than " + budget.depth() * 5 + " levels");
        }
        try {
            return checked(n, evalNode(n, scope));
        } finally {
            nesting--;
        }
    }

    private Object evalNode(Node n, Scope scope) {
        return switch (n) {
            case Node.Literal l -> l.value();
            case Node.Captured c -> scope.lookup(CAPTURED);
            case Node.Name nm -> scope.lookup(nm.name());
            case Node.ListExpr l -> {
                Object[] items = new Object[l.items().size()];
                for (int k = 0; k < items.length; k++) {
                    items[k] = eval(l.items().get(k), scope);
                }
                yield l.tuple() ? new Tuple(items) : Py.listOf(items);
            }
            case Node.DictExpr d -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int k = 0; k < d.keys().size(); k++) {
                    Object key = eval(d.keys().get(k), scope);
                    if (!(key instanceof String || key instanceof Long || key == null || key instanceof Boolean)) {
                        throw error(d.keys().get(k), "dict keys must be strings, integers, booleans or None");
                    }
                    m.put(key, eval(d.values().get(k), scope));
                }
                yield m;
            }
            case Node.GetAttr g -> getattr(g, eval(g.target(), scope), g.name());
            case Node.GetItem g -> getitem(g, eval(g.target(), scope), eval(g.key(), scope));
            case Node.Slice s -> slice(s, eval(s.target(), scope), evalOpt(s.start(), scope), evalOpt(s.stop(), scope),
                    evalOpt(s.step(), scope));
            case Node.Call c -> call(c, scope, null);
            case Node.Filter f -> filter(f, scope);
            case Node.Test t -> {
                boolean r = test(t, t.name(), eval(t.target(), scope), evalAll(t.args(), scope));
                yield t.negated() != r;
            }
            case Node.Unary u -> unary(u, eval(u.operand(), scope));
            case Node.Binary b -> binary(b, scope);
            case Node.Compare c -> compare(c, scope);
            case Node.Conditional c -> Py.truthy(eval(c.condition(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("conditional") : eval(c.otherwise(), scope);
            default -> throw error(n, "statement used as an expression");
        };
    }

    private Object evalOpt(Node n, Scope scope) {
        return n == null ? null : eval(n, scope);
    }

    private List<Object> evalAll(List<Node> nodes, Scope scope) {
        List<Object> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            out.add(eval(n, scope));
        }
        return out;
    }

    private Object getattr(Node at, Object obj, String name) {
        obj = Py.unmark(obj);
        if (obj instanceof Undefined u) {
            throw error(at, "'" + u.name + "' is undefined (reading its attribute '" + name + "')");
        }
        if (name.startsWith("_")) {
            return new Undefined(name);
        }
        if (obj instanceof Map<?, ?> m) {
            if (DICT_METHODS.contains(name)) {
                return new Method(obj, name);
            }
            return m.containsKey(name) ? m.get(name) : new Undefined(name);
        }
        if (obj instanceof String) {
            return STR_METHODS.contains(name) || PY_STR_ATTRS.contains(name) ? new Method(obj, name) : new Undefined(name);
        }
        if (obj instanceof Py.Group g && (name.equals("grouper") || name.equals("list"))) {
            return g.get(name.equals("grouper") ? 0 : 1);
        }
        if (obj instanceof List) {
            return PY_LIST_ATTRS.contains(name) ? new Method(obj, name) : new Undefined(name);
        }
        if (obj instanceof Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : new Undefined(name);
        }

        if (obj instanceof Loop loop) {
            return loopAttr(at, loop, name);
        }
        return new Undefined(name);
    }

    private Object loopAttr(Node at, Loop loop, String name) {
        int n = loop.items.size();
        int k = loop.index0;
        return switch (name) {
            case "index" -> (long) k + 1;
            case "index0" -> (long) k;
            case "revindex" -> (long) (n - k);
            case "revindex0" -> (long) (n - k - 1);
            case "first" -> k == 0;
            case "last" -> k == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) loop.level;
            case "depth0" -> (long) loop.level - 1;
            case "changed" -> new Method(loop, "changed");
            case "previtem" -> k > 0 ? loop.items.get(k - 1) : new Undefined("previtem");
            case "nextitem" -> k < n - 1 ? loop.items.get(k + 1) : new Undefined("nextitem");
            case "cycle" -> new Method(loop, "cycle");
            default -> throw error(at, "loop." + name + " is not supported");
        };
    }

    private Object getitem(Node at, Object obj, Object key) {
        obj = Py.unmark(obj);
        key = Py.unmark(key);
        if (obj instanceof Undefined u) {
            throw error(at, "'" + u.name + "' is undefined (reading its item " + Py.repr(key instanceof Undefined ? "" : key) + ")");
        }
        if (key instanceof Undefined u) {
            return new Undefined(u.name);   // Jinja2: an undefined key finds nothing (no error until the result is used)
        }
        if (obj instanceof Py.Iter) {
            return new Undefined(Py.str(key));   // a generator is not subscriptable: Jinja2 catches the TypeError, reads Undefined
        }
        if (obj instanceof Map<?, ?> m) {
            Object k = key instanceof Boolean b ? (Object) (b ? 1L : 0L) : key;
            if (m.containsKey(k)) {
                return m.get(k);
            }
            if (key instanceof Double d && d == Math.rint(d) && m.containsKey((long) (double) d)) {
                return m.get((long) (double) d);
            }
            return key instanceof String s ? getattr(at, obj, s) : new Undefined(Py.str(key));
        }
        if ((obj instanceof List || obj instanceof String) && (key instanceof Long || key instanceof Boolean)) {
            long idx = Py.toLong(key);
            if (obj instanceof List<?> l) {
                long real = idx < 0 ? idx + l.size() : idx;
                return real >= 0 && real < l.size() ? l.get((int) real) : new Undefined("[" + idx + "]");
            }
            String s = (String) obj;
            int len = Py.length(s);
            long real = idx < 0 ? idx + len : idx;
            if (real < 0 || real >= len) {
                return new Undefined("[" + idx + "]");
            }
            int off = s.offsetByCodePoints(0, (int) real);
            return Character.toString(s.codePointAt(off));
        }
        if (key instanceof String s) {
            return getattr(at, obj, s);
        }
        return new Undefined(Py.str(key));
    }

    private Object slice(Node.Slice at, Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) {
            throw error(at, "'" + u.name + "' is undefined (slicing it)");
        }
        for (Object o : new Object[] {start, stop, step}) {
            if (o != null && !(o instanceof Long || o instanceof Boolean)) {
                throw error(at, "slice indices must be integers or None, not " + Py.typeName(o));
            }
        }
        List<Object> items;
        if (obj instanceof String s) {
            items = Py.chars(s);
        } else if (obj instanceof Py.Iter it) {
            throw error(at, "'" + it.type + "' object is not subscriptable");
        } else if (obj instanceof List<?> l) {
            items = new ArrayList<>(l);
        } else {
            throw error(at, "'" + Py.typeName(obj) + "' object is not subscriptable with a slice");   // Jinja2 slices in plain Python
        }
        long len = items.size();
        long st = step == null ? 1 : Py.toLong(step);
        if (st == 0) {
            throw error(at, "slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(Py.toLong(start), len, 0, len);
            hi = stop == null ? len : clamp(Py.toLong(stop), len, 0, len);
        } else {
            lo = start == null ? len - 1 : clamp(Py.toLong(start), len, -1, len - 1);
            hi = stop == null ? -1 : clamp(Py.toLong(stop), len, -1, len - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long k = lo; st > 0 ? k < hi : k > hi; k += st) {
            out.add(items.get((int) k));
        }
        if (obj instanceof String) {
            StringBuilder sb = new StringBuilder();
            out.forEach(c -> sb.append((String) c));
            return sb.toString();
        }
        return obj instanceof Tuple ? new Tuple(out.toArray()) : out;
    }

    private static long clamp(long idx, long len, long min, long max) {
        long v = idx < 0 ? idx + len : idx;
        return Math.max(min, Math.min(max, v));
    }

    private Object unary(Node.Unary u, Object v) {
        switch (u.op()) {
            case "not" -> {
                return !Py.truthy(v);
            }
            case "-" -> {
                if (v instanceof Double d) {
                    return -d;
                }
                if (Py.isNumber(v)) {
                    return Math.negateExact(Py.toLong(v));
                }
            }
            case "+" -> {
                if (v instanceof Double) {
                    return v;
                }
                if (Py.isNumber(v)) {
                    return Py.toLong(v);
                }
            }
            default -> {
            }
        }
        throw error(u, "bad operand type for unary " + u.op() + ": '" + Py.typeName(v) + "'");
    }

    private Object binary(Node.Binary b, Scope scope) {
        Object l = eval(b.left(), scope);
        if (b.op().equals("and")) {
            return Py.truthy(l) ? eval(b.right(), scope) : l;
        }
        if (b.op().equals("or")) {
            return Py.truthy(l) ? l : eval(b.right(), scope);
        }
        Object r = eval(b.right(), scope);
        if (b.op().equals("~")) {
            return print(b.left(), l) + print(b.right(), r);
        }
        if (l instanceof Undefined u) {
            throw error(b, "'" + u.name + "' is undefined (operand of '" + b.op() + "')");
        }
        if (r instanceof Undefined u) {
            throw error(b, "'" + u.name + "' is undefined (operand of '" + b.op() + "')");
        }
        try {
            return arithmetic(b, l, r);
        } catch (ArithmeticException e) {
            throw error(b, "arithmetic error in '" + b.op() + "': " + e.getMessage());
        }
    }

    private Object arithmetic(Node.Binary b, Object l, Object r) {
        String op = b.op();
        if (Py.isNumber(l) && Py.isNumber(r)) {
            boolean dbl = l instanceof Double || r instanceof Double;
            switch (op) {
                case "+" -> {
                    return dbl ? (Object) (Py.toDouble(l) + Py.toDouble(r)) : Math.addExact(Py.toLong(l), Py.toLong(r));
                }
                case "-" -> {
                    return dbl ? (Object) (Py.toDouble(l) - Py.toDouble(r)) : Math.subtractExact(Py.toLong(l), Py.toLong(r));
                }
                case "*" -> {
                    return dbl ? (Object) (Py.toDouble(l) * Py.toDouble(r)) : Math.multiplyExact(Py.toLong(l), Py.toLong(r));
                }
                case "/" -> {
                    if (Py.toDouble(r) == 0) {
                        throw error(b, "division by zero");
                    }
                    return Py.toDouble(l) / Py.toDouble(r);
                }
                case "//" -> {
                    if (Py.toDouble(r) == 0) {
                        throw error(b, "integer division or modulo by zero");
                    }
                    return dbl ? (Object) Math.floor(Py.toDouble(l) / Py.toDouble(r)) : Math.floorDiv(Py.toLong(l), Py.toLong(r));
                }
                case "%" -> {
                    if (Py.toDouble(r) == 0) {
                        throw error(b, "integer division or modulo by zero");
                    }
                    if (dbl) {
                        double x = Py.toDouble(l);
                        double y = Py.toDouble(r);
                        double m = x % y;
                        return m != 0 && (m < 0) != (y < 0) ? m + y : m;
                    }
                    return Math.floorMod(Py.toLong(l), Py.toLong(r));
                }
                case "**" -> {
                    if (!dbl && Py.toLong(r) >= 0) {
                        return power(Py.toLong(l), Py.toLong(r));
                    }
                    return Math.pow(Py.toDouble(l), Py.toDouble(r));
                }
                default -> {
                }
            }
        }
        if (op.equals("+") && l instanceof String a && r instanceof String c) {
            return a + c;
        }
        if (op.equals("+") && l instanceof List<?> a && r instanceof List<?> c && (l instanceof Tuple) == (r instanceof Tuple)
                && !(l instanceof Py.Range) && !(r instanceof Py.Range) && !(l instanceof Py.Iter) && !(r instanceof Py.Iter)) {
            List<Object> out = new ArrayList<>(a);
            out.addAll(c);
            return l instanceof Tuple ? new Tuple(out.toArray()) : out;
        }
        if (op.equals("*") && (l instanceof String || l instanceof List) && (r instanceof Long || r instanceof Boolean)) {
            return repeat(b, l, Py.toLong(r));
        }
        if (op.equals("*") && (r instanceof String || r instanceof List) && (l instanceof Long || l instanceof Boolean)) {
            return repeat(b, r, Py.toLong(l));
        }
        if (op.equals("%") && (l instanceof String || l instanceof Py.Markup)) {
            Object args = r instanceof Py.Markup mk ? mk.text() : r;
            if (l instanceof Py.Markup mk) {
                return new Py.Markup(percentFormat(b, mk.text(), escapeArgs(args)));
            }
            return percentFormat(b, (String) l, args);
        }
        if (op.equals("+") && (l instanceof Py.Markup || r instanceof Py.Markup)
                && (l instanceof String || l instanceof Py.Markup) && (r instanceof String || r instanceof Py.Markup)) {
            return new Py.Markup(escaped(l) + escaped(r));
        }
        throw error(b, "unsupported operand types for " + op + ": '" + Py.typeName(l) + "' and '" + Py.typeName(r) + "'");
    }

    private static String escaped(Object v) {
        return v instanceof Py.Markup m ? m.text() : Py.Markup.escape((String) v);
    }

    /** Markup's % escapes each argument. */
    private static Object escapeArgs(Object args) {
        if (args instanceof Tuple t) {
            Object[] out = new Object[t.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = t.get(k) instanceof String str ? new Py.Markup(Py.Markup.escape(str)) : t.get(k);
            }
            return new Tuple(out);
        }
        return args instanceof String str ? new Py.Markup(Py.Markup.escape(str)) : args;
    }

    /** base ** exp by squaring (a hostile exponent such as 10**18 costs 60 steps); overflow is an ArithmeticException. */
    private static long power(long base, long exp) {
        long acc = 1;
        long b = base;
        long e = exp;
        while (e > 0) {
            if ((e & 1) == 1) {
                acc = Math.multiplyExact(acc, b);
            }
            e >>= 1;
            if (e > 0) {
                b = Math.multiplyExact(b, b);
            }
        }
        return acc;
    }

    private Object repeat(Node at, Object seq, long times) {
        long n = Math.max(0, times);
        long size = seq instanceof String s ? s.length() : ((List<?>) seq).size();
        long total = size == 0 ? 0 : (n > Integer.MAX_VALUE / size ? Long.MAX_VALUE : size * n);
        checkSize(at, seq instanceof String ? total : 0, seq instanceof String ? 0 : total);
        if (seq instanceof String s) {
            return s.repeat((int) n);
        }
        List<Object> out = new ArrayList<>();
        for (long k = 0; k < n; k++) {
            out.addAll((List<?>) seq);
        }
        return seq instanceof Tuple ? new Tuple(out.toArray()) : out;
    }

    private Object compare(Node.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int k = 0; k < c.ops().size(); k++) {
            Object right = eval(c.rest().get(k), scope);
            if (!compareOp(c, c.ops().get(k), left, right)) {
                return false;
            }
            left = right;
        }
        return true;
    }

    private boolean compareOp(Node at, String op, Object l, Object r) {
        switch (op) {
            case "==" -> {
                return Py.eq(l, r);
            }
            case "!=" -> {
                return !Py.eq(l, r);
            }
            case "in" -> {
                return contains(at, r, l);
            }
            case "not in" -> {
                return !contains(at, r, l);
            }
            default -> {
                if (l instanceof Undefined u || r instanceof Undefined) {
                    throw error(at, "'" + (l instanceof Undefined ul ? ul.name : ((Undefined) r).name) + "' is undefined (operand of '" + op + "')");
                }
                Integer cmp = Py.compare(l, r);
                if (cmp == null) {
                    throw error(at, "'" + op + "' not supported between instances of '" + Py.typeName(l) + "' and '" + Py.typeName(r) + "'");
                }
                return switch (op) {
                    case "<" -> cmp < 0;
                    case "<=" -> cmp <= 0;
                    case ">" -> cmp > 0;
                    default -> cmp >= 0;
                };
            }
        }
    }

    private boolean contains(Node at, Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) {
                throw error(at, "'in <string>' requires string as left operand, not " + Py.typeName(item));
            }
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (Py.eq(k, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof List<?> l) {
            for (Object o : l) {
                tick(at);
                if (Py.eq(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Undefined) {
            return false;
        }
        throw error(at, "argument of type '" + Py.typeName(container) + "' is not iterable");
    }

    // ---- calls ----

    /** Positional and keyword arguments of a call, filter or method. */
    private final class Args {
        final Node at;
        final String what;
        final List<Object> pos;
        final Map<String, Object> kw;

        Args(Node at, String what, List<Object> pos, Map<String, Object> kw) {
            this.at = at;
            this.what = what;
            this.pos = pos;
            this.kw = kw;
        }

        Object get(int index, String name, Object dflt) {
            if (index < pos.size()) {
                if (kw.containsKey(name)) {
                    throw error(at, what + "() got multiple values for argument '" + name + "'");
                }
                return pos.get(index);
            }
            return kw.containsKey(name) ? kw.get(name) : dflt;
        }

        /** Fails on arguments beyond {@code names}. */
        void only(String... names) {
            if (pos.size() > names.length) {
                throw error(at, what + "() takes at most " + names.length + " argument" + (names.length == 1 ? "" : "s")
                        + ", got " + pos.size());
            }
            for (String k : kw.keySet()) {
                if (!List.of(names).contains(k)) {
                    throw error(at, what + "() got an unexpected keyword argument '" + k + "'");
                }
            }
        }

        String string(int index, String name, String dflt) {
            Object v = get(index, name, dflt);
            if (v != null && !(v instanceof String)) {
                throw error(at, what + "(): argument '" + name + "' must be a string, not " + Py.typeName(v));
            }
            return (String) v;
        }

        long integer(int index, String name, long dflt) {
            Object v = get(index, name, dflt);
            if (!(v instanceof Long || v instanceof Boolean)) {
                throw error(at, what + "(): argument '" + name + "' must be an integer, not " + Py.typeName(v));
            }
            return Py.toLong(v);
        }

        boolean bool(int index, String name, boolean dflt) {
            return Py.truthy(get(index, name, dflt));
        }
    }

    private Object call(Node.Call c, Scope scope, Macro caller) {
        Object callee = eval(c.callee(), scope);
        List<Object> pos = evalAll(c.args(), scope);
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int k = 0; k < c.kwNames().size(); k++) {
            kw.put(c.kwNames().get(k), eval(c.kwValues().get(k), scope));
        }
        if (c.star() != null) {
            Object star = eval(c.star(), scope);
            List<Object> extra = iterate(c.star(), star);
            if (extra == null || star instanceof Undefined) {
                throw error(c.star(), "argument after * must be an iterable, not " + Py.typeName(star));
            }
            pos = new ArrayList<>(pos);
            pos.addAll(extra);
        }
        if (c.starStar() != null) {
            Object star = eval(c.starStar(), scope);
            if (!(star instanceof Map<?, ?> m)) {
                throw error(c.starStar(), "argument after ** must be a mapping, not " + Py.typeName(star));
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw error(c.starStar(), "keywords must be strings");
                }
                if (kw.containsKey(k)) {
                    throw error(c, "got multiple values for keyword argument '" + k + "'");
                }
                kw.put(k, e.getValue());
            }
        }
        if (caller != null) {
            kw.put("caller", caller);
        }
        if (callee instanceof Undefined u) {
            throw error(c, "'" + u.name + "' is undefined (called as a function)");
        }
        if (!(callee instanceof PyCallable fn)) {
            throw error(c, "'" + Py.typeName(callee) + "' object is not callable");
        }
        return switch (fn) {
            case Builtin b -> builtin(c, b.name(), new Args(c, b.name(), pos, kw));
            case Macro m -> callMacro(c, m, pos, kw);
            case Method m -> method(c, m, new Args(c, m.name(), pos, kw));
            case Loop l -> callLoop(c, l, pos, kw);
            default -> throw error(c, "cannot call " + fn.describe());
        };
    }

    private Object callMacro(Node at, Macro m, List<Object> pos, Map<String, Object> kw) {
        step(at);
        Node.Macro def = m.node();
        String what = def.name().equals("caller") ? "caller" : "macro '" + def.name() + "'";
        if (pos.size() > def.params().size() && !def.usesVarargs()) {
            throw error(at, what + " takes not more than " + def.params().size() + " argument(s)");
        }
        if (depth >= budget.depth()) {
            throw limit(at, "depth", "macro recursion deeper than " + budget.depth());
        }
        Scope s = new Scope(m.closure());
        Map<String, Object> extraKw = new LinkedHashMap<>(kw);
        for (int k = 0; k < def.params().size(); k++) {
            String p = def.params().get(k);
            if (k < pos.size()) {
                if (kw.containsKey(p)) {
                    throw error(at, what + " got multiple values for argument '" + p + "'");
                }
                s.vars.put(p, pos.get(k));
            } else if (kw.containsKey(p)) {
                s.vars.put(p, kw.get(p));
            } else if (def.defaults().get(k) != null) {
                s.vars.put(p, eval(def.defaults().get(k), s));
            } else {
                s.vars.put(p, new Undefined(p));
            }
            extraKw.remove(p);
        }
        Object caller = extraKw.remove("caller");
        if (caller != null) {
            if (!def.usesCaller()) {
                throw error(at, what + " was invoked with a caller but does not use caller()");
            }
            s.vars.put("caller", caller);
        }
        if (!extraKw.isEmpty() && !def.usesKwargs()) {
            throw error(at, what + " takes no keyword argument '" + extraKw.keySet().iterator().next() + "'");
        }
        if (def.usesVarargs()) {
            s.vars.put("varargs", new Tuple(pos.size() > def.params().size() ? pos.subList(def.params().size(), pos.size()).toArray() : new Object[0]));
        }
        if (def.usesKwargs()) {
            s.vars.put("kwargs", new LinkedHashMap<Object, Object>(extraKw));
        }
        StringBuilder out = new StringBuilder();
        depth++;
        try {
            exec(def.body(), s, out);
        } catch (LoopControl lc) {
            throw lexer.error(lc.pos, "'" + lc.what + "' outside of a loop");
        } finally {
            depth--;
        }
        return out.toString();
    }

    private Object builtin(Node.Call at, String name, Args a) {
        switch (name) {
            case "raise_exception" -> {
                a.only("message");
                throw error(at, "raise_exception: " + Py.str(a.get(0, "message", "")));
            }
            case "namespace", "dict" -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                if (a.pos.size() > 1) {
                    throw error(at, name + "() takes at most 1 positional argument");
                }
                if (a.pos.size() == 1) {
                    Object init = a.pos.get(0);
                    if (init instanceof Map<?, ?> map) {
                        m.putAll(map);
                    } else if (init instanceof List<?> pairs) {
                        for (Object pair : pairs) {
                            List<Object> kv = iterate(at, pair);
                            if (kv == null || kv.size() != 2) {
                                throw error(at, name + "(): each item must be a sequence of 2 elements");
                            }
                            m.put(kv.get(0), kv.get(1));
                        }
                    } else {
                        throw error(at, name + "() positional argument must be a dict or a list of pairs, not " + Py.typeName(init));
                    }
                }
                m.putAll(a.kw);
                if (name.equals("dict")) {
                    return m;
                }
                Namespace ns = new Namespace();
                m.forEach((k, v) -> ns.attrs.put(Py.str(k), v));
                return ns;
            }
            case "range" -> {
                if (!a.kw.isEmpty() || a.pos.isEmpty() || a.pos.size() > 3) {
                    throw error(at, "range() takes 1 to 3 positional arguments");
                }
                long start = a.pos.size() == 1 ? 0 : a.integer(0, "start", 0);
                long stop = a.pos.size() == 1 ? a.integer(0, "stop", 0) : a.integer(1, "stop", 0);
                long step = a.pos.size() == 3 ? a.integer(2, "step", 1) : 1;
                if (step == 0) {
                    throw error(at, "range() arg 3 must not be zero");
                }
                long count = rangeLength(start, stop, step);
                if (count > TemplateLimits.MAX_RANGE) {
                    throw lexer.limitError(at.pos(), "range", "range() of " + count + " items: Jinja2's sandbox (and so "
                            + "transformers) allows at most " + TemplateLimits.MAX_RANGE);
                }
                return new Py.Range(start, stop, step, (int) count);
            }
            case "strftime_now" -> {
                a.only("format");
                return strftime(at, a.string(0, "format", ""), now.get());
            }
            default -> throw error(at, "function '" + name + "' is not supported");
        }
    }

    private static long rangeLength(long start, long stop, long step) {
        java.math.BigInteger span = java.math.BigInteger.valueOf(stop).subtract(java.math.BigInteger.valueOf(start));
        java.math.BigInteger st = java.math.BigInteger.valueOf(step);
        if (span.signum() != st.signum() || span.signum() == 0) {
            return 0;
        }
        // ceil(span / step) for same-signed span and step
        java.math.BigInteger n = span.abs().add(st.abs()).subtract(java.math.BigInteger.ONE).divide(st.abs());
        return n.bitLength() < 63 ? n.longValue() : Long.MAX_VALUE;
    }

    static final Set<String> STR_METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split",
            "upper", "lower", "title", "capitalize", "replace", "find", "count", "join", "isdigit", "isalpha",
            "isalnum", "isspace", "isupper", "islower", "removeprefix", "removesuffix", "casefold", "center",
            "expandtabs", "format", "index", "isascii", "isdecimal", "isidentifier", "isnumeric", "istitle", "ljust",
            "partition", "rfind", "rindex", "rjust", "rpartition", "rsplit", "splitlines", "swapcase", "zfill");
    /** str attributes that exist in Python but are refused here (reading them is defined, calling them fails). */
    static final Set<String> PY_STR_ATTRS = Set.of("encode", "format_map", "isprintable", "maketrans", "translate");
    static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get", "copy", "pop", "popitem",
            "setdefault", "update", "clear", "fromkeys");
    static final Set<String> PY_LIST_ATTRS = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort",
            "reverse", "copy", "index", "count");

    private Object method(Node at, Method m, Args a) {
        Object recv = m.receiver();
        String name = m.name();
        if (recv instanceof Loop loop && name.equals("changed")) {
            Object value = a.pos.size() == 1 ? a.pos.get(0) : new Tuple(a.pos.toArray());
            if (loop.lastChanged != NOT_SET && Py.eq(loop.lastChanged, value)) {
                return false;
            }
            loop.lastChanged = value;
            return true;
        }
        if (recv instanceof Loop loop && name.equals("cycle")) {
            if (a.pos.isEmpty()) {
                throw error(at, "loop.cycle() needs at least one argument");
            }
            return a.pos.get(loop.index0 % a.pos.size());
        }
        if (recv instanceof String s && STR_METHODS.contains(name)) {
            return stringMethod(at, s, name, a);
        }
        if (recv instanceof Map<?, ?> d) {
            switch (name) {
                case "items" -> {
                    a.only();
                    List<Object> out = new ArrayList<>();
                    d.forEach((k, v) -> out.add(new Tuple(k, v)));
                    return new Py.Iter("dict_items", out, true);   // a view, as in Python: no JSON, no index
                }
                case "keys" -> {
                    a.only();
                    return new Py.Iter("dict_keys", d.keySet(), true);
                }
                case "values" -> {
                    a.only();
                    return new Py.Iter("dict_values", d.values(), true);
                }
                case "get" -> {
                    a.only("key", "default");
                    Object key = a.get(0, "key", null);
                    return d.containsKey(key) ? d.get(key) : a.get(1, "default", null);
                }
                case "copy" -> {
                    a.only();
                    return new LinkedHashMap<Object, Object>(d);
                }
                default -> throw error(at, "dict." + name + "() is not allowed: dicts are immutable in chat templates");
            }
        }
        if (recv instanceof List<?> l && (name.equals("index") || name.equals("count") || name.equals("copy"))) {
            if (name.equals("copy")) {
                a.only();
                return new ArrayList<Object>(l);
            }
            a.only("value");
            Object x = a.get(0, "value", null);
            long n = 0;
            for (int k = 0; k < l.size(); k++) {
                if (Py.eq(l.get(k), x)) {
                    if (name.equals("index")) {
                        return (long) k;
                    }
                    n++;
                }
            }
            if (name.equals("index")) {
                throw error(at, "list.index(x): x not in list");
            }
            return n;
        }
        if (recv instanceof List) {
            throw error(at, "list." + name + "() is not supported (lists are immutable in chat templates)");
        }
        throw error(at, Py.typeName(recv) + "." + name + "() is not supported");
    }

    private Object stringMethod(Node at, String s, String name, Args a) {
        switch (name) {
            case "startswith", "endswith" -> {
                a.only("prefix", "start", "end");
                s = cpSlice(at, s, a.get(1, "start", null), a.get(2, "end", null));
                Object p = a.get(0, "prefix", null);
                List<Object> options = p instanceof Tuple t ? t : List.of(p == null ? new Undefined("prefix") : p);
                for (Object o : options) {
                    if (!(o instanceof String x)) {
                        throw error(at, "str." + name + "() argument must be a string or a tuple of strings, not " + Py.typeName(o));
                    }
                    if (name.equals("startswith") ? s.startsWith(x) : s.endsWith(x)) {
                        return true;
                    }
                }
                return false;
            }
            case "strip", "lstrip", "rstrip" -> {
                a.only("chars");
                String chars = a.string(0, "chars", null);
                return name.equals("strip") ? Py.strip(s, chars) : name.equals("lstrip") ? Py.lstrip(s, chars) : Py.rstrip(s, chars);
            }
            case "split" -> {
                a.only("sep", "maxsplit");
                String sep = a.string(0, "sep", null);
                if (sep != null && sep.isEmpty()) {
                    throw error(at, "str.split(): empty separator");
                }
                return Py.split(s, sep, a.integer(1, "maxsplit", -1));
            }
            case "upper" -> {
                a.only();
                return s.toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                a.only();
                return s.toLowerCase(Locale.ROOT);
            }
            case "title" -> {
                a.only();
                return Py.title(s);
            }
            case "capitalize" -> {
                a.only();
                return Py.capitalize(s);
            }
            case "replace" -> {
                a.only("old", "new", "count");
                return replace(at, s, a.string(0, "old", ""), a.string(1, "new", ""), a.integer(2, "count", -1));
            }
            case "find", "rfind", "index", "rindex" -> {
                a.only("sub", "start", "end");
                String sub = a.string(0, "sub", "");
                Object startArg = a.get(1, "start", null);
                long start = startArg == null ? 0 : clamp(a.integer(1, "start", 0), Py.length(s), 0, Py.length(s));
                String part = cpSlice(at, s, startArg, a.get(2, "end", null));
                int at16 = name.startsWith("r") ? part.lastIndexOf(sub) : part.indexOf(sub);
                if (at16 < 0 && name.endsWith("index")) {
                    throw error(at, "str." + name + "(): substring not found");
                }
                return at16 < 0 ? -1L : start + part.codePointCount(0, at16);
            }
            case "rsplit" -> {
                a.only("sep", "maxsplit");
                String sep = a.string(0, "sep", null);
                if (sep != null && sep.isEmpty()) {
                    throw error(at, "str.rsplit(): empty separator");
                }
                return rsplit(s, sep, a.integer(1, "maxsplit", -1));
            }
            case "splitlines" -> {
                a.only("keepends");
                return splitlines(s, a.bool(0, "keepends", false));
            }
            case "ljust", "rjust", "center" -> {
                a.only("width", "fillchar");
                long width = a.integer(0, "width", 0);
                String fill = a.string(1, "fillchar", " ");
                if (Py.length(fill) != 1) {
                    throw error(at, "str." + name + "(): the fill character must be exactly one character long");
                }
                checkSize(at, width, 0);
                return JinjaText.justify(s, (int) width, fill, name.equals("ljust") ? '<' : name.equals("rjust") ? '>' : '^');
            }
            case "zfill" -> {
                a.only("width");
                long width = a.integer(0, "width", 0);
                checkSize(at, width, 0);
                int n = (int) width - Py.length(s);
                if (n <= 0) {
                    return s;
                }
                boolean signed = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
                return signed ? s.charAt(0) + "0".repeat(n) + s.substring(1) : "0".repeat(n) + s;
            }
            case "partition", "rpartition" -> {
                a.only("sep");
                String sep = a.string(0, "sep", "");
                if (sep.isEmpty()) {
                    throw error(at, "str." + name + "(): empty separator");
                }
                int k = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (k < 0) {
                    return name.equals("partition") ? new Tuple(s, "", "") : new Tuple("", "", s);
                }
                return new Tuple(s.substring(0, k), sep, s.substring(k + sep.length()));
            }
            case "casefold" -> {
                a.only();
                return s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
            }
            case "swapcase" -> {
                a.only();
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.append(Character.isUpperCase(cp) ? Character.toString(cp).toLowerCase(Locale.ROOT)
                        : Character.isLowerCase(cp) ? Character.toString(cp).toUpperCase(Locale.ROOT) : Character.toString(cp)));
                return sb.toString();
            }
            case "isdecimal" -> {
                a.only();
                return !s.isEmpty() && s.codePoints().allMatch(cp -> Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER);
            }
            case "isnumeric" -> {
                a.only();
                return !s.isEmpty() && s.codePoints().allMatch(cp -> {
                    int t = Character.getType(cp);
                    return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
                });
            }
            case "isascii" -> {
                a.only();
                return s.chars().allMatch(c -> c < 128);
            }
            case "isidentifier" -> {
                a.only();
                return !s.isEmpty() && (Character.isLetter(s.codePointAt(0)) || s.charAt(0) == '_')
                        && s.codePoints().allMatch(cp -> Character.isLetterOrDigit(cp) || cp == '_');
            }
            case "istitle" -> {
                a.only();
                boolean cased = false;
                boolean prevCased = false;
                for (int cp : s.codePoints().toArray()) {
                    if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                        if (prevCased) {
                            return false;
                        }
                        prevCased = true;
                        cased = true;
                    } else if (Character.isLowerCase(cp)) {
                        if (!prevCased) {
                            return false;
                        }
                        prevCased = true;
                        cased = true;
                    } else {
                        prevCased = false;
                    }
                }
                return cased;
            }
            case "expandtabs" -> {
                a.only("tabsize");
                long tab = a.integer(0, "tabsize", 8);
                checkSize(at, (long) s.length() * Math.max(1, tab), 0);
                StringBuilder sb = new StringBuilder();
                int col = 0;
                for (int cp : s.codePoints().toArray()) {
                    if (cp == '\t') {
                        if (tab > 0) {
                            int n = (int) (tab - col % tab);
                            sb.append(" ".repeat(n));
                            col += n;
                        }
                    } else {
                        sb.appendCodePoint(cp);
                        col = cp == '\n' || cp == '\r' ? 0 : col + 1;
                    }
                }
                return sb.toString();
            }
            case "format" -> {
                try {
                    return PyFormat.format(s, a.pos, a.kw, w -> w <= budget.outputChars());
                } catch (PyFormat.TooWide e) {
                    throw limit(at, "output", "format width " + e.width + " is more than " + budget.outputChars() + " characters");
                } catch (IllegalArgumentException e) {
                    throw error(at, "str.format(): " + e.getMessage());
                }
            }
            case "count" -> {
                a.only("sub");
                String sub = a.string(0, "sub", "");
                if (sub.isEmpty()) {
                    return (long) Py.length(s) + 1;
                }
                long n = 0;
                for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) {
                    n++;
                }
                return n;
            }
            case "join" -> {
                a.only("iterable");
                List<Object> items = iterate(at, a.get(0, "iterable", null));
                if (items == null) {
                    throw error(at, "str.join() argument must be iterable");
                }
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < items.size(); k++) {
                    if (!(items.get(k) instanceof String x)) {
                        throw error(at, "str.join(): sequence item " + k + ": expected str, " + Py.typeName(items.get(k)) + " found");
                    }
                    sb.append(k > 0 ? s : "").append(x);
                    checkSize(at, sb.length(), 0);
                }
                return sb.toString();
            }
            case "removeprefix" -> {
                a.only("prefix");
                String p = a.string(0, "prefix", "");
                return s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                a.only("suffix");
                String p = a.string(0, "suffix", "");
                return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            case "isdigit" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            }
            case "isalpha" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            }
            case "isalnum" -> {
                return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            }
            case "isspace" -> {
                return !s.isEmpty() && Py.isAllSpace(s);
            }
            case "isupper", "islower" -> {
                boolean upper = name.equals("isupper");
                boolean cased = false;
                for (int cp : s.codePoints().toArray()) {
                    if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                        if (!upper || Character.isTitleCase(cp)) {
                            return false;
                        }
                        cased = true;
                    } else if (Character.isLowerCase(cp)) {
                        if (upper) {
                            return false;
                        }
                        cased = true;
                    }
                }
                return cased;
            }
            default -> throw error(at, "str." + name + "() is not supported");
        }
    }

    private String strftime(Node at, String fmt, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < fmt.length(); k++) {
            char c = fmt.charAt(k);
            if (c != '%' || k + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++k);
            boolean noPad = false;
            if (d == '-' && k + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++k);
            }
            String pad2 = noPad ? "%d" : "%02d";
            switch (d) {
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'm' -> sb.append(String.format(pad2, t.getMonthValue()));
                case 'd' -> sb.append(String.format(pad2, t.getDayOfMonth()));
                case 'H' -> sb.append(String.format(pad2, t.getHour()));
                case 'I' -> sb.append(String.format(pad2, (t.getHour() + 11) % 12 + 1));
                case 'M' -> sb.append(String.format(pad2, t.getMinute()));
                case 'S' -> sb.append(String.format(pad2, t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format(noPad ? "%d" : "%03d", t.getDayOfYear()));
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case '%' -> sb.append('%');
                case 'e' -> sb.append(String.format(noPad ? "%d" : "%2d", t.getDayOfMonth()));
                case 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'x', 'D' -> sb.append(strftime(at, "%m/%d/%y", t));
                case 'X', 'T' -> sb.append(strftime(at, "%H:%M:%S", t));
                case 'R' -> sb.append(strftime(at, "%H:%M", t));
                case 'F' -> sb.append(strftime(at, "%Y-%m-%d", t));
                case 'c' -> sb.append(strftime(at, "%a %b %e %H:%M:%S %Y", t));
                case 'Z', 'z' -> { }   // transformers' strftime_now formats a naive datetime: no zone
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'f' -> sb.append(String.format("%06d", t.getNano() / 1000));
                case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> sb.append(t.getDayOfWeek().getValue());
                case 'C' -> sb.append(String.format("%02d", t.getYear() / 100));
                case 'G' -> sb.append(t.get(java.time.temporal.IsoFields.WEEK_BASED_YEAR));
                case 'g' -> sb.append(String.format("%02d", t.get(java.time.temporal.IsoFields.WEEK_BASED_YEAR) % 100));
                case 'V' -> sb.append(String.format(pad2, t.get(java.time.temporal.IsoFields.WEEK_OF_WEEK_BASED_YEAR)));
                case 'U' -> sb.append(String.format(pad2, (t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7));
                case 'W' -> sb.append(String.format(pad2, (t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7));
                case 'P' -> sb.append(t.getHour() < 12 ? "am" : "pm");
                case 's' -> sb.append(t.atZone(java.time.ZoneId.systemDefault()).toEpochSecond());
                case 'k' -> sb.append(String.format("%2d", t.getHour()));
                case 'l' -> sb.append(String.format("%2d", (t.getHour() + 11) % 12 + 1));
                default -> throw error(at, "strftime_now: directive %" + d + " is not supported");
            }
        }
        return sb.toString();
    }

    // ---- filters ----

    private Object filter(Node.Filter f, Scope scope) {
        Object value = eval(f.target(), scope);
        List<Object> pos = evalAll(f.args(), scope);
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int k = 0; k < f.kwNames().size(); k++) {
            kw.put(f.kwNames().get(k), eval(f.kwValues().get(k), scope));
        }
        return applyFilter(f, f.name(), value, new Args(f, f.name(), pos, kw));
    }

    private String text(Node at, Object v) {
        return print(at, v);
    }

    /** Py.iterate, after checking that a string's characters fit the list limit. */
    private List<Object> iterate(Node at, Object v) {
        if (v instanceof String s) {
            checkSize(at, 0, s.length());
        }
        return Py.iterate(v);
    }

    private List<Object> seq(Node at, String what, Object v) {
        List<Object> items = iterate(at, v);
        if (items == null) {
            throw error(at, what + ": '" + Py.typeName(v) + "' object is not iterable");
        }
        return items;
    }

    private Object applyFilter(Node at, String name, Object v, Args a) {
        switch (name) {
            case "trim" -> {
                a.only("chars");
                return Py.strip(text(at, v), a.string(0, "chars", null));
            }
            case "upper" -> {
                a.only();
                return text(at, v).toUpperCase(Locale.ROOT);
            }
            case "lower" -> {
                a.only();
                return text(at, v).toLowerCase(Locale.ROOT);
            }
            case "capitalize" -> {
                a.only();
                return Py.capitalize(text(at, v));
            }
            case "title" -> {
                a.only();
                return jinjaTitle(text(at, v));
            }
            case "replace" -> {
                a.only("old", "new", "count");
                Object count = a.get(2, "count", null);
                return replace(at, text(at, v), a.string(0, "old", ""), a.string(1, "new", ""),
                        count == null ? -1 : a.integer(2, "count", -1));
            }
            case "string" -> {
                a.only();
                return text(at, v);
            }
            case "safe" -> {
                a.only();
                return v instanceof Py.Markup ? v : new Py.Markup(text(at, v));
            }
            case "escape", "e" -> {
                a.only();
                return v instanceof Py.Markup ? v : new Py.Markup(Py.Markup.escape(text(at, v)));
            }
            case "forceescape" -> {
                a.only();
                return new Py.Markup(Py.Markup.escape(text(at, v)));
            }
            case "length", "count" -> {
                a.only();
                v = Py.unmark(v);
                if (v instanceof String s) {
                    return (long) Py.length(s);
                }
                if (v instanceof List<?> l && !(v instanceof Py.Iter it && !it.sized)) {
                    return (long) l.size();
                }
                if (v instanceof Map<?, ?> m) {
                    return (long) m.size();
                }
                if (v instanceof Undefined) {
                    return 0L;
                }
                throw error(at, "object of type '" + Py.typeName(v) + "' has no len()");
            }
            case "default", "d" -> {
                a.only("default_value", "boolean");
                Object dflt = a.get(0, "default_value", "");
                boolean bool = a.bool(1, "boolean", false);
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "first", "last" -> {
                a.only();
                if (name.equals("last") && Py.unmark(v) instanceof Py.Iter it && !it.sized) {
                    throw error(at, "last: '" + it.type + "' object is not reversible");
                }
                List<Object> items = seq(at, name, v);
                if (items.isEmpty()) {
                    return new Undefined(name);
                }
                return items.get(name.equals("first") ? 0 : items.size() - 1);
            }
            case "list" -> {
                a.only();
                return seq(at, name, v);
            }
            case "reverse" -> {
                a.only();
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                boolean iterator = Py.unmark(v) instanceof Py.Iter it && !it.sized;
                List<Object> items = seq(at, name, v);
                java.util.Collections.reverse(items);
                // Jinja2: reversed(value) when Python can (a list: an iterator), else a reversed list (a generator's items)
                Object u = Py.unmark(v);
                String type = u instanceof Py.Range ? "range_iterator" : u instanceof Py.Tuple ? "reversed"
                        : u instanceof Map ? "dict_reversekeyiterator" : u instanceof Py.Iter view
                        ? view.type.replace("dict_", "dict_reverse").replace("items", "itemiterator").replace("keys", "keyiterator")
                                .replace("values", "valueiterator")
                        : "list_reverseiterator";
                return iterator || !(u instanceof List || u instanceof Map) ? items : new Py.Iter(type, items);
            }
            case "join" -> {
                a.only("d", "attribute");
                String sep = a.string(0, "d", "");
                Object attr = a.get(1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                List<Object> items = seq(at, name, v);
                for (int k = 0; k < items.size(); k++) {
                    Object item = attr == null ? items.get(k) : attribute(at, items.get(k), attr);
                    sb.append(k > 0 ? sep : "").append(text(at, item));
                    checkSize(at, sb.length(), 0);
                }
                return sb.toString();
            }
            case "items" -> {
                a.only();
                if (v instanceof Undefined) {
                    return new Py.Iter("generator", List.of());
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw error(at, "items: can only get item pairs from a mapping, not " + Py.typeName(v));
                }
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(new Tuple(k, x)));
                return new Py.Iter("generator", out);
            }
            case "tojson" -> {
                a.only("indent", "ensure_ascii", "separators", "sort_keys");
                Object ind = a.get(0, "indent", null);
                String indent = ind == null ? null : ind instanceof String s ? s : spaces(at, a.integer(0, "indent", 0));
                String itemSep = indent == null ? ", " : ",";
                String keySep = ": ";
                Object seps = a.get(2, "separators", null);
                if (seps != null) {
                    if (!(seps instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof String)
                            || !(l.get(1) instanceof String)) {
                        throw error(at, "tojson(): separators must be a pair of strings");
                    }
                    itemSep = (String) l.get(0);
                    keySep = (String) l.get(1);
                }
                boolean ascii = a.bool(1, "ensure_ascii", false);
                try {
                    String json = Py.json(v, indent, itemSep, keySep, a.bool(3, "sort_keys", false), budget.outputChars());
                    return ascii ? asciiJson(json) : json;
                } catch (Py.TooLarge e) {
                    throw limit(at, "output", "tojson builds more than " + budget.outputChars() + " characters");
                } catch (IllegalArgumentException e) {
                    throw error(at, "tojson: " + e.getMessage());
                }
            }
            case "int" -> {
                a.only("default", "base");
                Object dflt = a.get(0, "default", 0L);
                long base = a.integer(1, "base", 10);
                v = Py.unmark(v);
                if (base != 10 && v instanceof String s) {
                    return JinjaText.parseInt(s, (int) base, dflt);
                }
                if (v instanceof Long || v instanceof Boolean) {
                    return Py.toLong(v);
                }
                if (v instanceof Double d) {
                    return Double.isFinite(d) ? (Object) (long) (double) d : dflt;
                }
                if (v instanceof String s) {
                    return JinjaText.parseInt(s, 10, dflt);
                }
                return dflt;
            }
            case "float" -> {
                a.only("default");
                Object dflt = a.get(0, "default", 0.0);
                if (Py.isNumber(v)) {
                    return Py.toDouble(v);
                }
                if (v instanceof String s) {
                    Double d = JinjaText.parseFloat(s);
                    return d == null ? dflt : d;
                }
                return dflt;
            }
            case "abs" -> {
                a.only();
                if (v instanceof Double d) {
                    return Math.abs(d);
                }
                if (Py.isNumber(v)) {
                    return Math.absExact(Py.toLong(v));
                }
                throw error(at, "bad operand type for abs(): '" + Py.typeName(v) + "'");
            }
            case "round" -> {
                a.only("precision", "method");
                long precision = a.integer(0, "precision", 0);
                String method = a.string(1, "method", "common");
                if (!Py.isNumber(v)) {
                    throw error(at, "round: expected a number, not " + Py.typeName(v));
                }
                if (method.equals("common") && !(v instanceof Double)) {
                    return Py.toLong(v);   // Python's round(int, n) is that int
                }
                RoundingMode mode = switch (method) {
                    case "common" -> RoundingMode.HALF_EVEN;
                    case "floor" -> RoundingMode.FLOOR;
                    case "ceil" -> RoundingMode.CEILING;
                    default -> throw error(at, "round: method must be common, ceil or floor");
                };
                double d = Py.toDouble(v);
                if (!Double.isFinite(d)) {
                    return d;
                }
                return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
            }
            case "map" -> {
                if (!Py.truthy(v)) {
                    return new Py.Iter("generator", List.of()); // Jinja2's map is a generator behind `if value:`: None, "" or [] give nothing, whatever the arguments
                }
                List<Object> items = seq(at, name, v);
                List<Object> out = new ArrayList<>();
                if (a.kw.containsKey("attribute")) {
                    a.only("attribute", "default");
                    Object dflt = a.kw.getOrDefault("default", null);
                    for (Object item : items) {
                        Object x = attribute(at, item, a.kw.get("attribute"));
                        out.add(x instanceof Undefined && a.kw.containsKey("default") ? dflt : x);
                    }
                    return new Py.Iter("generator", out);
                }
                if (a.pos.isEmpty() || !(a.pos.get(0) instanceof String fname)) {
                    throw error(at, "map: expected a filter name or attribute=...");
                }
                if (!FILTERS.contains(fname)) {
                    throw error(at, "map: filter '" + fname + "' is not supported");
                }
                Args rest = new Args(at, fname, a.pos.subList(1, a.pos.size()), a.kw);
                for (Object item : items) {
                    out.add(applyFilter(at, fname, item, rest));
                }
                return new Py.Iter("generator", out);
            }
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                if (!Py.truthy(v)) {
                    return new Py.Iter("generator", out); // as map: Jinja2's select_or_reject yields nothing for a false value (None included)
                }
                boolean want = name.equals("select");
                for (Object item : seq(at, name, v)) {
                    boolean r = a.pos.isEmpty() ? Py.truthy(item) : namedTest(at, a.pos.get(0), item, a.pos.subList(1, a.pos.size()));
                    if (r == want) {
                        out.add(item);
                    }
                }
                return new Py.Iter("generator", out);
            }
            case "selectattr", "rejectattr" -> {
                if (!Py.truthy(v)) {
                    return new Py.Iter("generator", List.of()); // as select: nothing for a false value, before any argument check
                }
                if (a.pos.isEmpty()) {
                    throw error(at, name + ": expected an attribute name");
                }
                List<Object> out = new ArrayList<>();
                boolean want = name.equals("selectattr");
                for (Object item : seq(at, name, v)) {
                    Object x = attribute(at, item, a.pos.get(0));
                    boolean r = a.pos.size() < 2 ? Py.truthy(x) : namedTest(at, a.pos.get(1), x, a.pos.subList(2, a.pos.size()));
                    if (r == want) {
                        out.add(item);
                    }
                }
                return new Py.Iter("generator", out);
            }
            case "sort" -> {
                a.only("reverse", "case_sensitive", "attribute");
                boolean reverse = a.bool(0, "reverse", false);
                boolean cs = a.bool(1, "case_sensitive", false);
                Object attr = a.get(2, "attribute", null);
                List<Object> items = seq(at, name, v);
                // Jinja2 3.1: attribute="a,b" sorts by a, then b
                List<Object> attrs = attr instanceof String str && str.contains(",") ? List.of((Object[]) str.split(",")) : java.util.Collections.singletonList(attr);
                Comparator<Object> cmp = (x, y) -> {
                    for (Object one : attrs) {
                        int c = order(at, sortKey(at, x, one, cs), sortKey(at, y, one, cs));
                        if (c != 0) {
                            return c;
                        }
                    }
                    return 0;
                };
                items.sort(reverse ? cmp.reversed() : cmp);
                return items;
            }
            case "unique" -> {
                a.only("case_sensitive", "attribute");
                boolean cs = a.bool(0, "case_sensitive", false);
                Object attr = a.get(1, "attribute", null);
                List<Object> out = new ArrayList<>();
                Set<Object> seen = new java.util.HashSet<>();   // a set, as Jinja2's: linear, and lists are unhashable
                for (Object item : seq(at, name, v)) {
                    if (seen.add(hashKey(at, sortKey(at, item, attr, cs)))) {
                        out.add(item);
                    }
                }
                return new Py.Iter("generator", out);
            }
            case "min", "max" -> {
                a.only("case_sensitive", "attribute");
                boolean cs = a.bool(0, "case_sensitive", false);
                Object attr = a.get(1, "attribute", null);
                Object best = null;
                Object bestKey = null;
                for (Object item : seq(at, name, v)) {
                    Object key = sortKey(at, item, attr, cs);
                    if (best == null || (name.equals("min") ? order(at, key, bestKey) < 0 : order(at, key, bestKey) > 0)) {
                        best = item;
                        bestKey = key;
                    }
                }
                return best == null ? new Undefined(name) : best;
            }
            case "sum" -> {
                a.only("attribute", "start");
                Object attr = a.get(0, "attribute", null);
                Object total = a.get(1, "start", 0L);
                for (Object item : seq(at, name, v)) {
                    Object x = attr == null ? item : attribute(at, item, attr);
                    total = arithmetic(new Node.Binary(at.pos(), "+", at, at), total, x);
                }
                return total;
            }
            case "indent" -> {
                a.only("width", "first", "blank");
                Object w = a.get(0, "width", 4L);
                String ind = w instanceof String s ? s : spaces(at, a.integer(0, "width", 4));
                return indent(text(at, v), ind, a.bool(1, "first", false), a.bool(2, "blank", false));
            }
            case "dictsort" -> {
                a.only("case_sensitive", "by", "reverse");
                boolean cs = a.bool(0, "case_sensitive", false);
                String by = a.string(1, "by", "key");
                boolean reverse = a.bool(2, "reverse", false);
                if (!(Py.unmark(v) instanceof Map<?, ?> m)) {
                    throw error(at, "dictsort: expected a dict, not " + Py.typeName(v));
                }
                int pos = switch (by) {
                    case "key" -> 0;
                    case "value" -> 1;
                    default -> throw error(at, "dictsort: You can only sort by either \"key\" or \"value\"");
                };
                List<Object> items = new ArrayList<>();
                m.forEach((k, x) -> items.add(new Tuple(k, x)));
                Comparator<Object> cmp = (x, y) -> order(at, sortKey(at, ((Tuple) x).get(pos), null, cs), sortKey(at, ((Tuple) y).get(pos), null, cs));
                items.sort(reverse ? cmp.reversed() : cmp);
                return items;
            }
            case "groupby" -> {
                a.only("attribute", "default", "case_sensitive");
                Object attr = a.get(0, "attribute", null);
                Object dflt = a.get(1, "default", null);
                boolean hasDefault = a.pos.size() > 1 || a.kw.containsKey("default");
                boolean cs = a.bool(2, "case_sensitive", false);
                List<Object> items = seq(at, name, v);
                java.util.function.Function<Object, Object> key = item -> {
                    Object x = attribute(at, item, attr);
                    if (x instanceof Undefined && hasDefault) {
                        x = dflt;
                    }
                    return !cs && x instanceof String str ? str.toLowerCase(Locale.ROOT) : x;
                };
                items.sort((x, y) -> order(at, key.apply(x), key.apply(y)));
                List<Object> out = new ArrayList<>();
                Object current = NOT_SET;
                List<Object> group = null;
                for (Object item : items) {
                    Object k = key.apply(item);
                    if (group == null || !Py.eq(current, k)) {
                        group = new ArrayList<>();
                        current = k;
                        Object grouper = attribute(at, item, attr);
                        out.add(new Py.Group(grouper instanceof Undefined && hasDefault ? dflt : (cs ? k : grouper), group));
                    }
                    group.add(item);
                }
                return out;
            }
            case "attr" -> {
                a.only("name");
                String attrName = a.string(0, "name", "");
                Object obj = Py.unmark(v);
                // getattr, not item lookup: a dict's keys are not its attributes
                if (obj instanceof Map<?, ?>) {
                    return !attrName.startsWith("_") && DICT_METHODS.contains(attrName) ? new Method(obj, attrName) : new Undefined(attrName);
                }
                return getattr(at, obj, attrName);
            }
            case "batch" -> {
                Fill f = fill(a, "linecount");
                long size = f.count();
                Object fill = f.value();
                boolean filling = f.given();
                List<Object> out = new ArrayList<>();
                List<Object> tmp = new ArrayList<>();
                for (Object item : seq(at, name, v)) {
                    if (tmp.size() == size) {
                        out.add(tmp);
                        tmp = new ArrayList<>();
                    }
                    tmp.add(item);
                }
                if (!tmp.isEmpty()) {
                    if (filling) {
                        checkSize(at, 0, size);
                        while (tmp.size() < size) {
                            tmp.add(fill);
                        }
                    }
                    out.add(tmp);
                }
                return new Py.Iter("generator", out);
            }
            case "slice" -> {
                Fill f = fill(a, "slices");
                long slices = f.count();
                Object fill = f.value();
                boolean filling = f.given();
                checkSize(at, 0, slices);
                List<Object> seq = seq(at, name, v);
                int length = seq.size();
                int perSlice = (int) (length / slices);
                int withExtra = (int) (length % slices);
                int offset = 0;
                List<Object> out = new ArrayList<>();
                for (int k = 0; k < slices; k++) {
                    int start = offset + k * perSlice;
                    if (k < withExtra) {
                        offset++;
                    }
                    int end = offset + (k + 1) * perSlice;
                    List<Object> tmp = new ArrayList<>(seq.subList(start, end));
                    if (filling && k >= withExtra) {
                        tmp.add(fill);
                    }
                    out.add(tmp);
                }
                return new Py.Iter("generator", out);
            }
            case "wordcount" -> {
                a.only();
                return JinjaText.wordcount(text(at, v));
            }
            case "truncate" -> {
                a.only("length", "killwords", "end", "leeway");
                String str = text(at, v);
                long length = a.integer(0, "length", 255);
                boolean killwords = a.bool(1, "killwords", false);
                String end = a.string(2, "end", "...");
                Object lw = a.get(3, "leeway", null);
                long leeway = lw == null ? 5 : a.integer(3, "leeway", 5);
                if (length < Py.length(end) || leeway < 0) {
                    throw error(at, "truncate: expected length >= " + Py.length(end) + " and leeway >= 0");
                }
                return JinjaText.truncate(str, (int) Math.min(length, Integer.MAX_VALUE / 2), killwords, end, (int) Math.min(leeway, Integer.MAX_VALUE / 2));
            }
            case "center" -> {
                a.only("width");
                long width = a.integer(0, "width", 80);
                checkSize(at, width, 0);
                return JinjaText.justify(text(at, v), (int) width, " ", '^');
            }
            case "striptags" -> {
                a.only();
                return JinjaText.striptags(text(at, v));
            }
            case "wordwrap" -> {
                a.only("width", "break_long_words", "wrapstring", "break_on_hyphens");
                long width = a.integer(0, "width", 79);
                boolean breakLong = a.bool(1, "break_long_words", true);
                String wrap = a.string(2, "wrapstring", "\n");
                if (a.bool(3, "break_on_hyphens", true) && text(at, v).contains("-")) {
                    throw error(at, "wordwrap: text with hyphens needs break_on_hyphens=false here (Python's textwrap hyphen rules are not reproduced)");
                }
                if (width <= 0) {
                    throw error(at, "wordwrap: invalid width " + width + " (must be > 0)");
                }
                return JinjaText.wordwrap(text(at, v), (int) Math.min(width, Integer.MAX_VALUE), breakLong, wrap);
            }
            case "pprint" -> {
                a.only();
                String r = Py.repr(v, budget.outputChars());
                if (Py.length(r) > 80 && (v instanceof List || v instanceof Map)) {
                    throw error(at, "pprint of a value longer than 80 characters is not supported (Python wraps it)");
                }
                return r;
            }
            case "urlencode" -> {
                a.only();
                return JinjaText.urlencode(Py.unmark(v));
            }
            case "xmlattr" -> {
                a.only("autospace");
                if (!(Py.unmark(v) instanceof Map<?, ?> m)) {
                    throw error(at, "xmlattr: expected a dict, not " + Py.typeName(v));
                }
                try {
                    return new Py.Markup(JinjaText.xmlattr(m, a.bool(0, "autospace", true)));
                } catch (IllegalArgumentException e) {
                    throw error(at, "xmlattr: " + e.getMessage());
                }
            }
            case "filesizeformat" -> {
                a.only("binary");
                Object n = Py.unmark(v);
                double bytes;
                if (Py.isNumber(n)) {
                    bytes = Py.toDouble(n);
                } else if (n instanceof String str) {
                    Double d = JinjaText.parseFloat(str);
                    if (d == null) {
                        throw error(at, "filesizeformat: could not convert string to float: " + Py.repr(str));
                    }
                    bytes = d;
                } else {
                    throw error(at, "filesizeformat: expected a number, not " + Py.typeName(v));
                }
                return JinjaText.filesizeformat(bytes, a.bool(0, "binary", false));
            }
            case "format" -> {
                if (!a.pos.isEmpty() && !a.kw.isEmpty()) {
                    throw error(at, "format: can't handle positional and keyword arguments at the same time");
                }
                Object args = a.kw.isEmpty() ? new Tuple(a.pos.toArray()) : new LinkedHashMap<Object, Object>(a.kw);
                return percentFormat(at, text(at, v), args);
            }
            case "random" -> throw error(at, "filter 'random' is not supported: a chat template's rendering must be reproducible");
            case "urlize" -> throw error(at, "filter 'urlize' is not supported");
            default -> throw error(at, "No filter named '" + name + "' (filter '" + name + "' is not supported)");
        }
    }

    /** str.replace, after checking the result's size (replacing '' inserts between every character). */
    private String replace(Node at, String s, String old, String repl, long count) {
        long n = old.isEmpty() ? Py.length(s) + 1L : (s.length() - s.replace(old, "").length()) / old.length();
        if (count >= 0) {
            n = Math.min(n, count);
        }
        checkSize(at, s.length() + n * (repl.length() - old.length()), 0);
        return Py.replace(s, old, repl, count);
    }

    /** json.dumps's ensure_ascii: every character past '~' as a \\uXXXX escape (UTF-16 units, as Python writes them). */
    private static String asciiJson(String json) {
        StringBuilder sb = new StringBuilder(json.length());
        for (int k = 0; k < json.length(); k++) {
            char c = json.charAt(k);
            if (c > '~') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code n} spaces (none when negative), within the size limit. */
    private String spaces(Node at, long n) {
        checkSize(at, n, 0);
        return " ".repeat((int) Math.max(0, n));
    }

    private static final Object NONE_KEY = new Object();

    /** A Java key equal where Python's hash-equality holds (1 == 1.0 == True); lists and dicts are unhashable. */
    private Object hashKey(Node at, Object v) {
        v = Py.unmark(v);
        if (v == null) {
            return NONE_KEY;
        }
        if (v instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9e18) {
            return (long) (double) d;
        }
        if (v instanceof Tuple t) {
            List<Object> out = new ArrayList<>();
            for (Object o : t) {
                out.add(hashKey(at, o));
            }
            return out;
        }
        if (v instanceof Undefined) {
            return Undefined.class;   // Jinja2's Undefined objects hash and compare equal to each other
        }
        if (v instanceof List || v instanceof Map || v instanceof Namespace) {
            throw error(at, "unhashable type: '" + Py.typeName(v) + "'");
        }
        return v;
    }

    /** The arguments of batch and slice: a positive count and an optional {@code fill_with} value. */
    private record Fill(long count, Object value, boolean given) { }

    private Fill fill(Args a, String countName) {
        a.only(countName, "fill_with");
        long count = a.integer(0, countName, 1);
        if (count <= 0) {
            throw error(a.at, a.what + ": " + countName + " must be positive");
        }
        return new Fill(count, a.get(1, "fill_with", null), a.pos.size() > 1 || a.kw.containsKey("fill_with"));
    }

    /** {@code fmt % args} with Python's printf-style rules. */
    private String percentFormat(Node at, String fmt, Object args) {
        try {
            return PyFormat.percent(fmt, args instanceof Py.Markup mk ? mk.text() : args, w -> w <= budget.outputChars());
        } catch (PyFormat.TooWide e) {
            throw limit(at, "output", "format width " + e.width + " is more than " + budget.outputChars() + " characters");
        } catch (IllegalArgumentException e) {
            throw error(at, "string formatting: " + e.getMessage());
        }
    }

    private Object sortKey(Node at, Object item, Object attr, boolean caseSensitive) {
        Object key = attr == null ? item : attribute(at, item, attr);
        return !caseSensitive && key instanceof String s ? s.toLowerCase(Locale.ROOT) : key;
    }

    private int order(Node at, Object x, Object y) {
        Integer c = Py.compare(x, y);
        if (c == null) {
            throw error(at, "'<' not supported between instances of '" + Py.typeName(x) + "' and '" + Py.typeName(y) + "'");
        }
        return c;
    }

    /** Jinja2's attribute lookup for filters: a dotted path, each part an item (or an index when numeric). */
    private Object attribute(Node at, Object item, Object attr) {
        if (attr instanceof Long) {
            return getitem(at, item, attr);
        }
        if (!(attr instanceof String path)) {
            throw error(at, "attribute must be a string, not " + Py.typeName(attr));
        }
        Object cur = item;
        for (String part : path.split("\\.", -1)) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            cur = getitem(at, cur, key);
        }
        return cur;
    }

    private static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([-\\s({\\[<]+)", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS).matcher(s);
        int last = 0;
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group());
            last = m.end();
        }
        parts.add(s.substring(last));
        for (String item : parts) {
            if (!item.isEmpty()) {
                int cp = item.codePointAt(0);
                sb.append(Character.toString(cp).toUpperCase(Locale.ROOT))
                        .append(item.substring(Character.charCount(cp)).toLowerCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }

    /** Python's str.rsplit. */
    private static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) {
            return Py.split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int end = s.length();
            while (true) {
                while (end > 0 && Py.isSpace(s.codePointBefore(end))) {
                    end -= Character.charCount(s.codePointBefore(end));
                }
                if (end == 0) {
                    break;
                }
                if (out.size() >= maxsplit) {
                    out.add(0, Py.lstrip(s.substring(0, end), null));
                    break;
                }
                int k = end;
                while (k > 0 && !Py.isSpace(s.codePointBefore(k))) {
                    k -= Character.charCount(s.codePointBefore(k));
                }
                out.add(0, s.substring(k, end));
                end = k;
            }
            return out;
        }
        int to = s.length();
        while (out.size() < maxsplit) {
            int k = s.lastIndexOf(sep, to - sep.length());
            if (k < 0 || to - sep.length() < 0) {
                break;
            }
            out.add(0, s.substring(k + sep.length(), to));
            to = k;
        }
        out.add(0, s.substring(0, to));
        return out;
    }

    /** A code-point slice {@code s[start:end]} with Python's None and negative-index rules. */
    private String cpSlice(Node at, String s, Object start, Object end) {
        if (start == null && end == null) {
            return s;
        }
        for (Object o : new Object[] {start, end}) {
            if (o != null && !(o instanceof Long || o instanceof Boolean)) {
                throw error(at, "slice indices must be integers or None, not " + Py.typeName(o));
            }
        }
        int len = Py.length(s);
        long lo = start == null ? 0 : clamp(Py.toLong(start), len, 0, len);
        long hi = end == null ? len : clamp(Py.toLong(end), len, 0, len);
        if (hi <= lo) {
            return "";
        }
        return s.substring(s.offsetByCodePoints(0, (int) lo), s.offsetByCodePoints(0, (int) hi));
    }

    private static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        for (String line : splitlinesKeep(s)) {
            out.add(keepends ? line : stripLineEnd(line));
        }
        return out;
    }

    private static String stripLineEnd(String line) {
        if (line.endsWith("\r\n")) {
            return line.substring(0, line.length() - 2);
        }
        if (!line.isEmpty() && isLineBreak(line.charAt(line.length() - 1))) {
            return line.substring(0, line.length() - 1);
        }
        return line;
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** str.splitlines(keepends=True). */
    private static List<String> splitlinesKeep(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        int k = 0;
        while (k < s.length()) {
            char c = s.charAt(k);
            if (!isLineBreak(c)) {
                k++;
                continue;
            }
            k += (c == '\r' && k + 1 < s.length() && s.charAt(k + 1) == '\n') ? 2 : 1;
            lines.add(s.substring(start, k));
            start = k;
        }
        if (start < s.length()) {
            lines.add(s.substring(start));
        }
        return lines;
    }

    private static List<String> splitlines(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        int k = 0;
        while (k < s.length()) {
            char c = s.charAt(k);
            boolean br = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85
                    || c == 0x2028 || c == 0x2029;
            if (!br) {
                k++;
                continue;
            }
            lines.add(s.substring(start, k));
            k += (c == '\r' && k + 1 < s.length() && s.charAt(k + 1) == '\n') ? 2 : 1;
            start = k;
        }
        if (start < s.length()) {
            lines.add(s.substring(start));
        }
        return lines;
    }

    private static String indent(String s, String ind, boolean first, boolean blank) {
        List<String> lines = splitlines(s + "\n");
        String rv;
        if (blank) {
            rv = String.join("\n" + ind, lines);
        } else {
            StringBuilder sb = new StringBuilder(lines.isEmpty() ? "" : lines.get(0));
            if (lines.size() > 1) {
                sb.append('\n');
                for (int k = 1; k < lines.size(); k++) {
                    String line = lines.get(k);
                    sb.append(k > 1 ? "\n" : "").append(line.isEmpty() ? line : ind + line);
                }
            }
            rv = sb.toString();
        }
        return first ? ind + rv : rv;
    }

    // ---- tests ----

    private boolean namedTest(Node at, Object testName, Object value, List<Object> args) {
        if (!(testName instanceof String t) || !TESTS.contains(t)) {
            throw error(at, "test " + Py.repr(testName instanceof String ? testName : Py.typeName(testName)) + " is not supported");
        }
        return test(at, t, value, args);
    }

    private boolean test(Node at, String name, Object v, List<Object> args) {
        BiFunction<Integer, String, Object> arg = (k, what) -> {
            if (args.size() <= k) {
                throw error(at, "test '" + name + "' needs " + what);
            }
            return args.get(k);
        };
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String || v instanceof Py.Markup;
            case "number" -> Py.isNumber(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map;
            case "sequence" -> v instanceof String || (v instanceof List && !(v instanceof Py.Iter)) || v instanceof Map;
            case "iterable" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "callable" -> v instanceof PyCallable;
            case "escaped" -> v instanceof Py.Markup;
            case "filter" -> v instanceof String f && FILTERS.contains(f);
            case "test" -> v instanceof String f && TESTS.contains(f);
            case "odd", "even" -> {
                if (!(v instanceof Long || v instanceof Boolean)) {
                    throw error(at, "test '" + name + "' needs an integer, not " + Py.typeName(v));
                }
                yield (Math.floorMod(Py.toLong(v), 2) == 1) == name.equals("odd");
            }
            case "divisibleby" -> {
                Object d = arg.apply(0, "a divisor");
                if (!Py.isNumber(v) || !Py.isNumber(d) || Py.toDouble(d) == 0) {
                    throw error(at, "test 'divisibleby' needs numbers and a non-zero divisor");
                }
                yield (v instanceof Double || d instanceof Double) ? Py.toDouble(v) % Py.toDouble(d) == 0
                        : Py.toLong(v) % Py.toLong(d) == 0;
            }
            case "eq", "equalto", "==" -> Py.eq(v, arg.apply(0, "a value"));
            case "ne", "!=" -> !Py.eq(v, arg.apply(0, "a value"));
            case "lt", "<", "lessthan" -> compareOp(at, "<", v, arg.apply(0, "a value"));
            case "le", "<=" -> compareOp(at, "<=", v, arg.apply(0, "a value"));
            case "gt", ">", "greaterthan" -> compareOp(at, ">", v, arg.apply(0, "a value"));
            case "ge", ">=" -> compareOp(at, ">=", v, arg.apply(0, "a value"));
            case "in" -> contains(at, arg.apply(0, "a container"), v);
            case "lower" -> v instanceof String s && (Boolean) stringMethod(at, s, "islower", new Args(at, "lower", List.of(), Map.of()));
            case "upper" -> v instanceof String s && (Boolean) stringMethod(at, s, "isupper", new Args(at, "upper", List.of(), Map.of()));
            case "sameas" -> Py.same(v, arg.apply(0, "a value"));
            default -> throw error(at, "No test named '" + name + "' (test '" + name + "' is not supported)");
        };
    }
}
