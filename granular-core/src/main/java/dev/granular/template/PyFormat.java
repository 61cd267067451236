package dev.granular.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * Python's two string-formatting languages over template values: printf-style {@code '%s' % x}
 * (also Jinja2's {@code format} filter) and {@code str.format}. A conversion this class cannot
 * reproduce exactly throws {@link IllegalArgumentException} (the interpreter reports it as a
 * template error) rather than printing something Python would not.
 */
final class PyFormat {

    private PyFormat() {
    }

    /** {@code fmt % args}: {@code args} is a Tuple (several values), a Map ({@code %(name)s}) or one value. */
    static String percent(String fmt, Object args, LongPredicate fits) {
        List<?> list = args instanceof Py.Tuple t ? t : null;
        Map<?, ?> map = args instanceof Map<?, ?> m ? m : null;
        int next = 0;
        StringBuilder sb = new StringBuilder();
        int i = 0;
        boolean usedMap = false;
        while (i < fmt.length()) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= fmt.length()) {
                throw new IllegalArgumentException("incomplete format");
            }
            Object value;
            String key = null;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0) {
                    throw new IllegalArgumentException("incomplete format key");
                }
                key = fmt.substring(i + 1, close);
                i = close + 1;
            }
            int specStart = i;
            while (i < fmt.length() && "-+ #0".indexOf(fmt.charAt(i)) >= 0) {
                i++;
            }
            String flags = fmt.substring(specStart, i);
            int widthStart = i;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                i++;
            }
            String width = fmt.substring(widthStart, i);
            String precision = null;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                int p = ++i;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                    i++;
                }
                precision = fmt.substring(p, i);
            }
            if (i >= fmt.length()) {
                throw new IllegalArgumentException("incomplete format");
            }
            char type = fmt.charAt(i++);
            if (type == '%') {
                sb.append('%');
                continue;
            }
            if (key != null) {
                if (map == null) {
                    throw new IllegalArgumentException("format requires a mapping");
                }
                if (!map.containsKey(key)) {
                    throw new IllegalArgumentException("KeyError: " + Py.repr(key));
                }
                usedMap = true;
                value = map.get(key);
            } else if (list != null) {
                if (next >= list.size()) {
                    throw new IllegalArgumentException("not enough arguments for format string");
                }
                value = list.get(next++);
            } else {
                if (next > 0) {
                    throw new IllegalArgumentException("not enough arguments for format string");
                }
                next++;
                value = args;
            }
            Spec spec = new Spec(flags.contains("-") ? '<' : '>', flags.contains("0") && !flags.contains("-") ? '0' : ' ',
                    flags.contains("+") ? '+' : flags.contains(" ") ? ' ' : '-', flags.contains("#"),
                    width.isEmpty() ? 0 : Integer.parseInt(width), precision == null ? -1 : Integer.parseInt(precision), false);
            if (!fits.test(spec.width)) {
                throw new TooWide(spec.width);
            }
            sb.append(convert(value, type, spec, true));
        }
        if (list != null && next < list.size()) {
            throw new IllegalArgumentException("not all arguments converted during string formatting");
        }
        if (list == null && map == null && next == 0 && !(args instanceof String) && !usedMap) {
            throw new IllegalArgumentException("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    /** A width the caller's size limit refuses. */
    static final class TooWide extends RuntimeException {
        final long width;

        TooWide(long width) {
            super(null, null, false, false);
            this.width = width;
        }
    }

    /** A parsed format spec: alignment, fill, sign, alternate form, width, precision, thousands separator. */
    private record Spec(char align, char fill, char sign, boolean alt, int width, int precision, boolean comma) { }

    private static String convert(Object v, char type, Spec spec, boolean printf) {
        String body;
        switch (type) {
            case 's' -> body = truncate(Py.str(v), spec.precision);
            case 'r', 'a' -> body = truncate(Py.repr(v), spec.precision);
            case 'd', 'i', 'u' -> body = integer(v, 10, spec, printf);
            case 'x', 'X', 'o', 'b' -> {
                int radix = type == 'o' ? 8 : type == 'b' ? 2 : 16;
                body = integer(v, radix, spec, printf);
                if (type == 'X') {
                    body = body.toUpperCase(Locale.ROOT);
                }
            }
            case 'f', 'F', 'e', 'E', 'g', 'G', '%' -> body = floating(v, type, spec);
            case 'c' -> {
                if (v instanceof String s && Py.length(s) == 1) {
                    body = s;
                } else if (v instanceof Long l) {
                    body = Character.toString((int) (long) l);
                } else {
                    throw new IllegalArgumentException("%c requires an int or a character");
                }
            }
            default -> throw new IllegalArgumentException("unsupported format character '" + type + "'");
        }
        return pad(body, spec, "dixXobfFeEgG%u".indexOf(type) >= 0);
    }

    private static String truncate(String s, int precision) {
        return precision >= 0 && Py.length(s) > precision ? s.substring(0, s.offsetByCodePoints(0, precision)) : s;
    }

    private static String integer(Object v, int radix, Spec spec, boolean printf) {
        long n;
        if (v instanceof Long || v instanceof Boolean) {
            n = Py.toLong(v);
        } else if (v instanceof Double d && printf && radix == 10) {
            n = (long) (double) d;
        } else {
            throw new IllegalArgumentException("%" + (radix == 10 ? "d" : "x") + " format: an integer is required, not " + Py.typeName(v));
        }
        String digits = Long.toString(Math.abs(n), radix);
        if (n == Long.MIN_VALUE) {
            digits = digits.substring(1);
        }
        if (spec.comma && radix == 10) {
            digits = String.format(Locale.ROOT, "%,d", Math.abs(n));
        }
        if (spec.precision >= 0 && printf && digits.length() < spec.precision) {
            digits = "0".repeat(spec.precision - digits.length()) + digits;
        }
        String prefix = spec.alt ? (radix == 16 ? "0x" : radix == 8 ? "0o" : radix == 2 ? "0b" : "") : "";
        return sign(n < 0, spec) + prefix + digits;
    }

    private static String sign(boolean negative, Spec spec) {
        return negative ? "-" : spec.sign == '+' ? "+" : spec.sign == ' ' ? " " : "";
    }

    private static String floating(Object v, char type, Spec spec) {
        if (!Py.isNumber(v)) {
            throw new IllegalArgumentException("must be real number, not " + Py.typeName(v));
        }
        double d = Py.toDouble(v);
        int precision = spec.precision < 0 ? 6 : spec.precision;
        boolean negative = d < 0 || (d == 0 && 1 / d < 0);
        double a = Math.abs(d);
        String body;
        if (Double.isNaN(d)) {
            body = "nan";
        } else if (Double.isInfinite(d)) {
            body = "inf";
        } else {
            switch (Character.toLowerCase(type)) {
                case 'f' -> body = fixed(a, precision);
                case '%' -> body = fixed(a * 100, precision) + "%";
                case 'e' -> body = exponent(a, precision);
                default -> {
                    int p = precision == 0 ? 1 : precision;
                    if (a == 0) {
                        body = "0";
                    } else {
                        String e = exponent(a, p - 1);
                        int exp = Integer.parseInt(e.substring(e.indexOf('e') + 1));
                        if (exp >= -4 && exp < p) {
                            body = fixed(a, p - 1 - exp);
                        } else {
                            body = e;
                        }
                        if (!spec.alt) {
                            body = stripZeros(body);
                        }
                    }
                }
            }
        }
        if (spec.comma) {
            int dot = body.indexOf('.');
            String intPart = dot < 0 ? body : body.substring(0, dot);
            if (intPart.chars().allMatch(Character::isDigit)) {
                body = String.format(Locale.ROOT, "%,d", Long.parseLong(intPart)) + (dot < 0 ? "" : body.substring(dot));
            }
        }
        if (Character.isUpperCase(type)) {
            body = body.toUpperCase(Locale.ROOT);
        }
        return sign(negative && !Double.isNaN(d), spec) + body;
    }

    private static String stripZeros(String s) {
        int e = s.indexOf('e');
        String mant = e < 0 ? s : s.substring(0, e);
        String exp = e < 0 ? "" : s.substring(e);
        if (mant.contains(".")) {
            mant = mant.replaceAll("0+$", "");
            if (mant.endsWith(".")) {
                mant = mant.substring(0, mant.length() - 1);
            }
        }
        return mant + exp;
    }

    private static String fixed(double a, int precision) {
        return new BigDecimal(a).setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String exponent(double a, int precision) {
        if (a == 0) {
            return fixed(0, precision) + "e+00";
        }
        BigDecimal bd = new BigDecimal(a);
        int exp = bd.precision() - bd.scale() - 1;
        BigDecimal mant = bd.movePointLeft(exp).setScale(precision, RoundingMode.HALF_EVEN);
        if (mant.compareTo(BigDecimal.TEN) >= 0) {
            exp++;
            mant = bd.movePointLeft(exp).setScale(precision, RoundingMode.HALF_EVEN);
        }
        String es = String.valueOf(Math.abs(exp));
        return mant.toPlainString() + "e" + (exp < 0 ? "-" : "+") + (es.length() < 2 ? "0" + es : es);
    }

    private static String pad(String body, Spec spec, boolean numeric) {
        int len = Py.length(body);
        if (len >= spec.width) {
            return body;
        }
        int n = spec.width - len;
        char align = spec.align;
        if (spec.fill == '0' && numeric && align != '<') {
            int signLen = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0 ? 1 : 0;
            if (body.startsWith("0x", signLen) || body.startsWith("0o", signLen) || body.startsWith("0b", signLen)
                    || body.startsWith("0X", signLen)) {
                signLen += 2;
            }
            return body.substring(0, signLen) + "0".repeat(n) + body.substring(signLen);
        }
        String fill = String.valueOf(spec.fill == '0' && !numeric ? '0' : spec.fill);
        return switch (align) {
            case '<' -> body + fill.repeat(n);
            case '^' -> fill.repeat(n / 2) + body + fill.repeat(n - n / 2);
            case '=' -> {
                int signLen = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0 ? 1 : 0;
                yield body.substring(0, signLen) + fill.repeat(n) + body.substring(signLen);
            }
            default -> fill.repeat(n) + body;
        };
    }

    /** {@code fmt.format(*args, **kwargs)}. */
    static String format(String fmt, List<Object> args, Map<String, Object> kwargs, LongPredicate fits) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        boolean manual = false;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                    sb.append('}');
                    i += 2;
                    continue;
                }
                throw new IllegalArgumentException("Single '}' encountered in format string");
            }
            if (c != '{') {
                sb.append(c);
                i++;
                continue;
            }
            if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                sb.append('{');
                i += 2;
                continue;
            }
            int close = fmt.indexOf('}', i);
            if (close < 0) {
                throw new IllegalArgumentException("Single '{' encountered in format string");
            }
            String field = fmt.substring(i + 1, close);
            if (field.indexOf('{') >= 0) {
                throw new IllegalArgumentException("nested replacement fields are not supported");
            }
            i = close + 1;
            String specText = "";
            int colon = field.indexOf(':');
            if (colon >= 0) {
                specText = field.substring(colon + 1);
                field = field.substring(0, colon);
            }
            char conversion = 0;
            int bang = field.indexOf('!');
            if (bang >= 0) {
                if (field.length() != bang + 2) {
                    throw new IllegalArgumentException("invalid conversion in format string");
                }
                conversion = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            // the first part of the field: an index, a name or nothing (automatic numbering)
            int end = 0;
            while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') {
                end++;
            }
            String head = field.substring(0, end);
            Object value;
            if (head.isEmpty()) {
                if (manual) {
                    throw new IllegalArgumentException("cannot switch from manual field specification to automatic field numbering");
                }
                value = positional(args, auto++);
            } else if (head.chars().allMatch(Character::isDigit)) {
                if (auto > 0) {
                    throw new IllegalArgumentException("cannot switch from automatic field numbering to manual field specification");
                }
                manual = true;
                value = positional(args, Integer.parseInt(head));
            } else {
                if (!kwargs.containsKey(head)) {
                    throw new IllegalArgumentException("KeyError: " + Py.repr(head));
                }
                value = kwargs.get(head);
            }
            String rest = field.substring(end);
            while (!rest.isEmpty()) {
                if (rest.charAt(0) == '.') {
                    int k = 1;
                    while (k < rest.length() && rest.charAt(k) != '.' && rest.charAt(k) != '[') {
                        k++;
                    }
                    String attr = rest.substring(1, k);
                    rest = rest.substring(k);
                    // Jinja2's sandboxed formatter reads attributes as the template does: a dict answers with its item
                    if (!(value instanceof Map<?, ?> m) || !m.containsKey(attr) || attr.startsWith("_")) {
                        throw new IllegalArgumentException("'" + Py.typeName(value) + "' object has no attribute '" + attr + "'");
                    }
                    value = m.get(attr);
                    continue;
                }
                int close2 = rest.indexOf(']');
                if (rest.charAt(0) != '[' || close2 < 0) {
                    throw new IllegalArgumentException("invalid field name");
                }
                String key = rest.substring(1, close2);
                rest = rest.substring(close2 + 1);
                if (value instanceof List<?> l && key.chars().allMatch(Character::isDigit) && !key.isEmpty()) {
                    int idx = Integer.parseInt(key);
                    if (idx >= l.size()) {
                        throw new IllegalArgumentException("IndexError: list index out of range");
                    }
                    value = l.get(idx);
                } else if (value instanceof Map<?, ?> m) {
                    Object k = key.chars().allMatch(Character::isDigit) && !key.isEmpty() ? (Object) Long.parseLong(key) : key;
                    if (!m.containsKey(k)) {
                        throw new IllegalArgumentException("KeyError: " + Py.repr(k));
                    }
                    value = m.get(k);
                } else {
                    throw new IllegalArgumentException("'" + Py.typeName(value) + "' object is not subscriptable");
                }
            }
            if (conversion == 'r' || conversion == 'a') {
                value = Py.repr(value);
            } else if (conversion == 's') {
                value = Py.str(value);
            } else if (conversion != 0) {
                throw new IllegalArgumentException("Unknown conversion specifier " + conversion);
            }
            sb.append(formatSpec(value, specText, fits));
        }
        return sb.toString();
    }

    private static Object positional(List<Object> args, int index) {
        if (index >= args.size()) {
            throw new IllegalArgumentException("IndexError: Replacement index " + index + " out of range for positional args tuple");
        }
        return args.get(index);
    }

    /** format(value, spec) for the format-spec mini-language: [[fill]align][sign][#][0][width][,][.precision][type]. */
    private static String formatSpec(Object value, String spec, LongPredicate fits) {
        int i = 0;
        char fill = ' ';
        char align = 0;
        if (spec.length() >= 2 && "<>^=".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if (!spec.isEmpty() && "<>^=".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < spec.length() && "+- ".indexOf(spec.charAt(i)) >= 0) {
            sign = spec.charAt(i++);
        }
        boolean alt = false;
        if (i < spec.length() && spec.charAt(i) == '#') {
            alt = true;
            i++;
        }
        boolean zero = false;
        if (i < spec.length() && spec.charAt(i) == '0') {
            zero = true;
            i++;
        }
        int ws = i;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
            i++;
        }
        int width = ws == i ? 0 : Integer.parseInt(spec.substring(ws, i));
        if (!fits.test(width)) {
            throw new TooWide(width);
        }
        boolean comma = false;
        if (i < spec.length() && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) {
            if (spec.charAt(i) == '_') {
                throw new IllegalArgumentException("'_' thousands separators are not supported");
            }
            comma = true;
            i++;
        }
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            int ps = ++i;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                i++;
            }
            precision = Integer.parseInt(spec.substring(ps, i));
        }
        char type = 0;
        if (i < spec.length()) {
            type = spec.charAt(i++);
        }
        if (i != spec.length()) {
            throw new IllegalArgumentException("Invalid format specifier '" + spec + "'");
        }
        boolean numeric = Py.isNumber(value);
        if (type == 0) {
            if (value instanceof Double) {
                if (precision < 0) {
                    String body = sign(Py.toDouble(value) < 0, new Spec('>', ' ', sign, alt, 0, -1, false))
                            + Py.floatRepr(Math.abs(Py.toDouble(value)));
                    if (comma) {
                        throw new IllegalArgumentException("',' with a float and no type is not supported");
                    }
                    return pad(body, new Spec(align == 0 ? '>' : align, zero && align == 0 ? '0' : fill, sign, alt, width, -1, false), true);
                }
                type = 'g';
            } else if (value instanceof Long || value instanceof Boolean) {
                if (value instanceof Boolean && spec.isEmpty()) {
                    return Py.str(value);
                }
                type = 'd';
            } else {
                type = 's';
            }
        }
        if (type == 's' && numeric) {
            throw new IllegalArgumentException("Unknown format code 's' for object of type '" + Py.typeName(value) + "'");
        }
        if ((type == 's') && !(value instanceof String)) {
            if (value == null || value instanceof List || value instanceof Map) {
                if (!spec.isEmpty()) {
                    throw new IllegalArgumentException("unsupported format string passed to " + Py.typeName(value) + ".__format__");
                }
                return Py.str(value);
            }
        }
        if ("dxXobc".indexOf(type) >= 0 && value instanceof Double) {
            throw new IllegalArgumentException("Unknown format code '" + type + "' for object of type 'float'");
        }
        char defaultAlign = numeric ? '>' : '<';
        Spec sp = new Spec(align == 0 ? (zero ? '=' : defaultAlign) : align, zero && align == 0 ? '0' : fill, sign, alt, width,
                precision, comma);
        String body = switch (type) {
            case 's' -> truncate(Py.str(value), precision);
            case 'd', 'x', 'X', 'o', 'b', 'c' -> convertBody(value, type, sp);
            case 'f', 'F', 'e', 'E', 'g', 'G', '%' -> floating(value, type, sp);
            case 'n' -> throw new IllegalArgumentException("format code 'n' is locale-dependent and not supported");
            default -> throw new IllegalArgumentException("Unknown format code '" + type + "' for object of type '" + Py.typeName(value) + "'");
        };
        if (sp.fill == '0' && sp.align == '=') {
            return pad(body, new Spec('>', '0', sign, alt, width, precision, comma), true);
        }
        return pad(body, new Spec(sp.align, sp.fill, sign, alt, width, precision, comma), false);
    }

    private static String convertBody(Object value, char type, Spec spec) {
        if (type == 'c') {
            return convert(value, 'c', new Spec('>', ' ', '-', false, 0, -1, false), false);
        }
        return integer(value, type == 'd' ? 10 : type == 'o' ? 8 : type == 'b' ? 2 : 16,
                new Spec('>', ' ', spec.sign, spec.alt, 0, -1, spec.comma), false)
                .transform(s -> type == 'X' ? s.toUpperCase(Locale.ROOT) : s);
    }
}
