package dev.granular.template;

import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Python values a chat template computes with, and Python's rules for them.
 *
 * <p>The value universe is closed: {@code null} (None), {@link Undefined}, {@link Boolean},
 * {@link Long} (int), {@link Double} (float), {@link String} (str), {@link List} (list; {@link
 * Tuple} for tuple), {@link Map} (dict, insertion-ordered), {@link Namespace}, and the
 * interpreter's callables. Inputs are copied into it by {@link #fromJava}, which refuses any other
 * Java object, so a template can never reach a Java object, class or method.
 */
final class Py {

    private Py() {
    }

    /** Jinja2's default Undefined: falsy, prints as "", iterates as empty; attribute access fails. */
    static final class Undefined {
        final String name;

        Undefined(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return "Undefined(" + name + ")";
        }
    }

    /** A Python tuple: an immutable list that prints with parentheses. */
    static class Tuple extends AbstractList<Object> {
        private final Object[] items;

        Tuple(Object... items) {
            this.items = items.clone();
        }

        @Override
        public Object get(int index) {
            return items[index];
        }

        @Override
        public int size() {
            return items.length;
        }
    }

    /**
     * markupsafe's Markup: text already HTML-escaped ({@code |e}, {@code |safe}). Escaping it again
     * leaves it as it is, and {@code +} with a plain string escapes that string.
     */
    record Markup(String text) {
        static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
        }
    }

    /** Markup as its text; anything else unchanged. */
    static Object unmark(Object v) {
        return v instanceof Markup m ? m.text() : v;
    }

    /** A group of the groupby filter: a (grouper, list) tuple with those two attributes. */
    static final class Group extends Tuple {
        Group(Object grouper, List<Object> list) {
            super(grouper, list);
        }
    }

    /** Python's range: a list of ints that prints as {@code range(0, 3)} and equals only another range. */
    /**
     * A Python iterator, which Jinja2's filters return where a template forgets {@code |list}: a
     * {@code generator} (map, select, reject, selectattr, rejectattr, unique, batch, slice, items) or a
     * {@code list_reverseiterator} (reverse of a list). It iterates like its items, but, as in Python, it
     * is always true, has no len(), no item by index (Jinja2 reads Undefined), equals only itself, is no
     * JSON and prints as a memory address (so granular refuses to print it). Unlike Python's, it can be
     * iterated more than once. A dict view ({@code dict_items}, {@code dict_keys}, {@code dict_values}:
     * {@code sized}) has a len(), is true when not empty and prints as {@code dict_keys(['a'])}.
     */
    static final class Iter extends ArrayList<Object> {
        final String type;
        final boolean sized;

        Iter(String type, java.util.Collection<?> items) {
            this(type, items, false);
        }

        Iter(String type, java.util.Collection<?> items, boolean sized) {
            super(items);
            this.type = type;
            this.sized = sized;
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    static final class Range extends AbstractList<Object> {
        final long start;
        final long stop;
        final long step;
        private final int size;

        Range(long start, long stop, long step, int size) {
            this.start = start;
            this.stop = stop;
            this.step = step;
            this.size = size;
        }

        @Override
        public Object get(int index) {
            if (index < 0 || index >= size) {
                throw new IndexOutOfBoundsException(index);
            }
            return start + step * index;
        }

        @Override
        public int size() {
            return size;
        }

        String repr() {
            return "range(" + start + ", " + stop + (step == 1 ? "" : ", " + step) + ")";
        }
    }

    /** Jinja2's namespace(): the one object whose attributes a template may assign. */
    static final class Namespace {
        final Map<String, Object> attrs = new LinkedHashMap<>();
    }

    /** Anything a template can call: macros, globals and bound methods. */
    interface PyCallable {
        String describe();
    }

    // ---- conversion of inputs ----

    /**
     * Copies a Java value (JSON-like: Map with String keys, List, String, Number, Boolean, null, or a
     * Jackson JsonNode) into the template's value universe.
     *
     * @throws IllegalArgumentException for any other kind of object
     */
    static Object fromJava(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof java.math.BigInteger b) {
            try {
                return b.longValueExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("integer too large for a chat template: " + b);
            }
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof com.fasterxml.jackson.databind.JsonNode node) {
            return fromJava(JSON.convertValue(node, Object.class));
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String)) {
                    throw new IllegalArgumentException("map keys must be strings, got " + e.getKey());
                }
                out.put(e.getKey(), fromJava(e.getValue()));
            }
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(fromJava(o));
            }
            return out;
        }
        throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
    }

    /** The characters of all strings (keys included) in a value from {@link #fromJava}: a rendering's input size. */
    static long textSize(Object v) {
        if (v instanceof String s) {
            return s.length();
        }
        long n = 0;
        if (v instanceof List<?> l) {
            for (Object o : l) {
                n += 1 + textSize(o);
            }
        } else if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                n += 1 + textSize(e.getKey()) + textSize(e.getValue());
            }
        }
        return n;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    // ---- type names and truthiness ----

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Markup) {
            return "Markup";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof Tuple) {
            return "tuple";
        }
        if (v instanceof Range) {
            return "range";
        }
        if (v instanceof Iter it) {
            return it.type;
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        return "function";
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Markup m) {
            return !m.text().isEmpty();
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0.0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Iter it && !it.sized) {
            return true;
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    // ---- equality and ordering ----

    static boolean eq(Object a, Object b) {
        a = unmark(a);
        b = unmark(b);
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a == null || b == null) {
            return a == b;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return toDouble(a) == toDouble(b);
            }
            return toLong(a) == toLong(b);
        }
        if (a instanceof Iter || b instanceof Iter) {
            return a == b;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || (a instanceof Range) != (b instanceof Range) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof String || b instanceof String) {
            return a.equals(b);
        }
        return a == b;
    }

    /** Python's ordering; null when the types cannot be ordered (a TypeError in Python). */
    static Integer compare(Object a, Object b) {
        a = unmark(a);
        b = unmark(b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(toDouble(a), toDouble(b));
            }
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return compareCodePoints(sa, sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i));
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        return null;
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return (Long) v;
    }

    static double toDouble(Object v) {
        if (v instanceof Double d) {
            return d;
        }
        return toLong(v);
    }

    // ---- strings ----

    /** Python's str.isspace for one code point. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || cp == 0x85 || cp == 0xA0 || cp == 0x2007 || cp == 0x202F;
    }

    static boolean isAllSpace(String s) {
        return s.codePoints().allMatch(Py::isSpace);
    }

    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    private static boolean inChars(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(Character.toString(cp)) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!inChars(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (!inChars(cp, chars)) {
                break;
            }
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    static String strip(String s, String chars) {
        return lstrip(rstrip(s, chars), chars);
    }

    /** str.split(sep, maxsplit): sep null splits on runs of whitespace and drops empty pieces. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) {
                    j += Character.charCount(s.codePointAt(j));
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    static String replace(String s, String old, String repl, long count) {
        StringBuilder sb = new StringBuilder();
        long done = 0;
        if (old.isEmpty()) {
            int i = 0;
            while (i <= s.length()) {
                if (count < 0 || done < count) {
                    sb.append(repl);
                    done++;
                }
                if (i == s.length()) {
                    break;
                }
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            return sb.toString();
        }
        int from = 0;
        while (count < 0 || done < count) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            sb.append(s, from, at).append(repl);
            from = at + old.length();
            done++;
        }
        return sb.append(s.substring(from)).toString();
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    /** Python's str.title(). */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String c = Character.toString(cp);
            sb.append(prevCased ? c.toLowerCase(java.util.Locale.ROOT) : titleCase(cp));
            prevCased = isCased(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    static String titleCase(int cp) {
        int t = Character.toTitleCase(cp);
        if (t != cp || !Character.isLowerCase(cp)) {
            return Character.toString(t);
        }
        return Character.toString(cp).toUpperCase(java.util.Locale.ROOT);
    }

    /** Python's str.capitalize() (3.8+): first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int cp = s.codePointAt(0);
        return titleCase(cp) + s.substring(Character.charCount(cp)).toLowerCase(java.util.Locale.ROOT);
    }

    /** Code points of a string, each as a one-character string. */
    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>();
        s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
        return out;
    }

    // ---- str() and repr() ----

    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Markup m) {
            return m.text();
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    /** Thrown when a string being built would pass the caller's size cap. */
    static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    static String repr(Object v) {
        return repr(v, Long.MAX_VALUE);
    }

    /** str() with a size cap: lists and dicts holding many (large) items stop at {@code cap} characters. */
    static String str(Object v, long cap) {
        return v instanceof String s ? s : v instanceof Markup m ? m.text() : v instanceof Undefined ? "" : repr(v, cap);
    }

    /** repr(); a list or dict whose text would pass {@code cap} characters throws {@link TooLarge}. */
    static String repr(Object v, long cap) {
        StringBuilder sb = new StringBuilder();
        repr(sb, v, cap);
        return sb.toString();
    }

    private static void repr(StringBuilder sb, Object v, long cap) {
        if (v == null) {
            sb.append("None");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "True" : "False");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(floatRepr(d));
        } else if (v instanceof String s) {
            sb.append(reprString(s));
        } else if (v instanceof Markup m) {
            sb.append("Markup(").append(reprString(m.text())).append(')');
        } else if (v instanceof Range r) {
            sb.append(r.repr());
        } else if (v instanceof Iter it) {
            sb.append(it.type).append('(');
            repr(sb, new ArrayList<>(it), cap);
            sb.append(')');
        } else if (v instanceof List<?> l) {
            boolean tuple = v instanceof Tuple;
            sb.append(tuple ? '(' : '[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? ", " : "");
                repr(sb, l.get(i), cap);
                if (sb.length() > cap) {
                    throw new TooLarge();
                }
            }
            sb.append(tuple ? (l.size() == 1 ? ",)" : ")") : "]");
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ");
                repr(sb, e.getKey(), cap);
                sb.append(": ");
                repr(sb, e.getValue(), cap);
                if (sb.length() > cap) {
                    throw new TooLarge();
                }
                first = false;
            }
            sb.append('}');
        } else if (v instanceof Undefined) {
            sb.append("Undefined");   // jinja2.Undefined.__repr__: an undefined item of a list prints as [Undefined]
        } else {
            throw new IllegalStateException("cannot print a " + typeName(v));
        }
    }

    static boolean printable(Object v) {
        if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof String
                || v instanceof Undefined || v instanceof Markup) {
            return true;
        }
        if (v instanceof Iter it && !it.sized) {
            return false;
        }
        if (v instanceof List<?> l) {
            return l.stream().allMatch(Py::printable);
        }
        if (v instanceof Map<?, ?> m) {
            return m.values().stream().allMatch(Py::printable);
        }
        return false;
    }

    static String reprString(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == q || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp != ' ' && !isPrintable(cp)) {
                if (cp < 0x100) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        }
        return sb.append(q).toString();
    }

    private static boolean isPrintable(int cp) {
        int t = Character.getType(cp);
        return t != Character.CONTROL && t != Character.FORMAT && t != Character.SPACE_SEPARATOR
                && t != Character.LINE_SEPARATOR && t != Character.PARAGRAPH_SEPARATOR && t != Character.SURROGATE
                && t != Character.PRIVATE_USE && t != Character.UNASSIGNED;
    }

    /** Python's repr(float): the shortest round-tripping digits, exponent form below 1e-4 or from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - bd.scale() - 1;
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String body;
            if (exp < 0) {
                body = "0." + "0".repeat(-exp - 1) + digits;
            } else if (digits.length() <= exp + 1) {
                body = digits + "0".repeat(exp + 1 - digits.length()) + ".0";
            } else {
                body = digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
            }
            return sign + body;
        }
        String mant = digits.charAt(0) + (digits.length() > 1 ? "." + digits.substring(1) : "");
        String e = String.valueOf(Math.abs(exp));
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }

    // ---- json.dumps ----

    /** Python's json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=...). */
    static String json(Object v, String indent, String itemSep, String keySep, boolean sortKeys) {
        return json(v, indent, itemSep, keySep, sortKeys, Long.MAX_VALUE);
    }

    /** json.dumps with a size cap: throws {@link TooLarge} once the text passes {@code cap} characters. */
    static String json(Object v, String indent, String itemSep, String keySep, boolean sortKeys, long cap) {
        StringBuilder sb = new StringBuilder();
        json(sb, v, indent, itemSep, keySep, sortKeys, 0, cap);
        return sb.toString();
    }

    private static void json(StringBuilder sb, Object v, String indent, String itemSep, String keySep,
                             boolean sortKeys, int level, long cap) {
        if (sb.length() > cap) {
            throw new TooLarge();
        }
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : floatRepr(d));
        } else if (v instanceof String s) {
            jsonString(sb, s);
        } else if (v instanceof Markup m) {
            jsonString(sb, m.text());
        } else if (v instanceof Range) {
            throw new IllegalArgumentException("Object of type range is not JSON serializable");
        } else if (v instanceof Iter it) {
            throw new IllegalArgumentException("Object of type " + it.type + " is not JSON serializable");
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(itemSep);
                }
                newline(sb, indent, level + 1);
                json(sb, l.get(i), indent, itemSep, keySep, sortKeys, level + 1, cap);
            }
            newline(sb, indent, level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) {
                entries.sort((x, y) -> {
                    Integer c = compare(x.getKey(), y.getKey());
                    if (c == null) {
                        throw new IllegalArgumentException("tojson(sort_keys=true): keys of different types");
                    }
                    return c;
                });
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) {
                    sb.append(itemSep);
                }
                first = false;
                newline(sb, indent, level + 1);
                Object k = e.getKey();
                if (k instanceof String ks) {
                    jsonString(sb, ks);
                } else if (k == null || k instanceof Boolean || k instanceof Long || k instanceof Double) {
                    jsonString(sb, k == null ? "null" : k instanceof Boolean b ? (b ? "true" : "false") : repr(k));
                } else {
                    throw new IllegalArgumentException("keys must be str, int, float, bool or None, not " + typeName(k));
                }
                sb.append(keySep);
                json(sb, e.getValue(), indent, itemSep, keySep, sortKeys, level + 1, cap);
            }
            newline(sb, indent, level);
            sb.append('}');
        } else if (v instanceof Undefined) {
            throw new IllegalArgumentException("Object of type Undefined is not JSON serializable");
        } else {
            throw new IllegalArgumentException("Object of type " + typeName(v) + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder sb, String indent, int level) {
        if (indent != null) {
            sb.append('\n').append(indent.repeat(level));
        }
    }

    private static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    // ---- iteration ----

    /** What `for x in v` iterates; null when v is not iterable. */
    static List<Object> iterate(Object v) {
        v = unmark(v);
        if (v instanceof Undefined) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            return chars(s);
        }
        return null;
    }

    static Iterator<Object> none() {
        return java.util.Collections.emptyIterator();
    }

    static List<Object> listOf(Object... items) {
        return new ArrayList<>(Arrays.asList(items));
    }

    static boolean same(Object a, Object b) {
        if (a instanceof Long || a instanceof String || a instanceof Double) {
            return Objects.equals(a, b);
        }
        return a == b;
    }
}
