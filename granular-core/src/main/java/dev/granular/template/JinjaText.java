package dev.granular.template;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Jinja2's text filters (wordcount, truncate, striptags, wordwrap, urlencode, xmlattr, filesizeformat) as pure functions. */
final class JinjaText {

    private JinjaText() {
    }

    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);
    private static final Pattern TAG = Pattern.compile("<.*?>", Pattern.DOTALL);
    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);");
    private static final Pattern ATTR_KEY_INVALID = Pattern.compile("[\\s/>=]");

    /** int(s, base) as Jinja2's int filter calls it; {@code dflt} when it does not parse. */
    static Object parseInt(String s, int base, Object dflt) {
        String t = Py.strip(s, null).replace("_", "").toLowerCase(Locale.ROOT);
        boolean negative = t.startsWith("-");
        if (negative || t.startsWith("+")) {
            t = t.substring(1);
        }
        int b = base;
        if ((b == 0 || b == 16) && t.startsWith("0x")) {
            b = 16;
            t = t.substring(2);
        } else if ((b == 0 || b == 8) && t.startsWith("0o")) {
            b = 8;
            t = t.substring(2);
        } else if ((b == 0 || b == 2) && t.startsWith("0b")) {
            b = 2;
            t = t.substring(2);
        } else if (b == 0) {
            b = 10;
        }
        try {
            if (b < 2 || b > 36 || t.isEmpty()) {
                throw new NumberFormatException();
            }
            long v = Long.parseLong(t, b);
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            // Jinja2's int filter falls back to int(float(value))
            Double d = parseFloat(s);
            return d != null && Double.isFinite(d) ? (Object) (long) (double) d : dflt;
        }
    }

    private static final Pattern FLOAT = Pattern.compile(
            "[+-]?(?:(?:\\d(?:_?\\d)*)?\\.?\\d(?:_?\\d)*(?:[eE][+-]?\\d(?:_?\\d)*)?|\\d(?:_?\\d)*\\.(?:[eE][+-]?\\d+)?|inf(?:inity)?|nan)",
            Pattern.CASE_INSENSITIVE);

    /** Python's float(str): surrounding whitespace allowed, digits with '_', inf and nan; null when it does not parse. */
    static Double parseFloat(String s) {
        String t = Py.strip(s, null);
        if (!FLOAT.matcher(t).matches()) {
            return null;
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.contains("inf")) {
            return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (lower.contains("nan")) {
            return Double.NaN;
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    static long wordcount(String s) {
        Matcher m = WORD.matcher(s);
        long n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Jinja2's do_truncate. */
    static String truncate(String s, int length, boolean killwords, String end, int leeway) {
        int len = Py.length(s);
        if (len <= length + leeway) {
            return s;
        }
        String head = s.substring(0, s.offsetByCodePoints(0, Math.max(0, length - Py.length(end))));
        if (killwords) {
            return head + end;
        }
        int space = head.lastIndexOf(' ');
        return (space < 0 ? head : head.substring(0, space)) + end;
    }

    /** str.ljust / rjust / center ({@code align} '<', '>', '^') with a one-character fill. */
    static String justify(String s, int width, String fill, char align) {
        int n = width - Py.length(s);
        if (n <= 0) {
            return s;
        }
        return switch (align) {
            case '<' -> s + fill.repeat(n);
            case '>' -> fill.repeat(n) + s;
            default -> {
                // CPython's str.center: the extra character goes left when n and width are both odd
                int left = n / 2 + (n & width & 1);
                yield fill.repeat(left) + s + fill.repeat(n - left);
            }
        };
    }

    /** markupsafe's Markup.striptags: comments and tags removed, whitespace collapsed, entities unescaped. */
    static String striptags(String s) {
        String v = COMMENT.matcher(s).replaceAll("");
        v = TAG.matcher(v).replaceAll("");
        v = String.join(" ", Py.split(v, null, -1).stream().map(Object::toString).toList());
        return unescape(v);
    }

    private static String unescape(String s) {
        Matcher m = ENTITY.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String e = m.group(1);
            String r;
            if (e.startsWith("#x") || e.startsWith("#X")) {
                r = Character.toString(Integer.parseInt(e.substring(2), 16));
            } else if (e.startsWith("#")) {
                r = Character.toString(Integer.parseInt(e.substring(1)));
            } else {
                r = switch (e) {
                    case "amp" -> "&";
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "quot" -> "\"";
                    case "apos" -> "'";
                    case "nbsp" -> "\u00a0";
                    default -> m.group();
                };
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(r));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Jinja2's wordwrap for text without hyphens: each line wrapped greedily on whitespace as
     * Python's textwrap does (whitespace at line breaks dropped), joined with {@code wrapstring}.
     */
    static String wordwrap(String s, int width, boolean breakLong, String wrapstring) {
        List<String> out = new ArrayList<>();
        for (Object lineObj : Py.split(s.replace("\r\n", "\n").replace('\r', '\n'), "\n", -1)) {
            String line = (String) lineObj;
            List<String> wrapped = wrapLine(line, width, breakLong);
            out.addAll(wrapped);
        }
        return String.join(wrapstring, out);
    }

    private static List<String> wrapLine(String text, int width, boolean breakLong) {
        // textwrap chunks: runs of whitespace and runs of non-whitespace
        List<String> chunks = new ArrayList<>();
        Matcher m = Pattern.compile("\\s+|\\S+").matcher(text);
        while (m.find()) {
            chunks.add(m.group());
        }
        List<String> lines = new ArrayList<>();
        int i = 0;
        while (i < chunks.size()) {
            List<String> cur = new ArrayList<>();
            int curLen = 0;
            if (!lines.isEmpty() && chunks.get(i).isBlank()) {
                i++;   // drop_whitespace at the start of every line but the first
            }
            while (i < chunks.size()) {
                int l = Py.length(chunks.get(i));
                if (curLen + l <= width) {
                    cur.add(chunks.get(i));
                    curLen += l;
                    i++;
                } else {
                    break;
                }
            }
            if (i < chunks.size() && Py.length(chunks.get(i)) > width) {
                int spaceLeft = width < 1 ? 1 : width - curLen;
                if (breakLong) {
                    String chunk = chunks.get(i);
                    int cut = chunk.offsetByCodePoints(0, Math.min(spaceLeft, Py.length(chunk)));
                    cur.add(chunk.substring(0, cut));
                    chunks.set(i, chunk.substring(cut));
                } else if (cur.isEmpty()) {
                    cur.add(chunks.get(i));
                    i++;
                }
            }
            if (!cur.isEmpty() && cur.get(cur.size() - 1).isBlank()) {
                cur.remove(cur.size() - 1);
            }
            if (!cur.isEmpty()) {
                lines.add(String.join("", cur));
            } else if (i < chunks.size() && chunks.get(i).isEmpty()) {
                i++;
            }
        }
        return lines;
    }

    /** Jinja2's urlencode: a string quoted (safe "/"), a dict or list of pairs as a query string. */
    static String urlencode(Object v) {
        if (v instanceof String s) {
            return quote(s, "/", false);
        }
        List<Object[]> pairs = new ArrayList<>();
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> pairs.add(new Object[] {k, x}));
        } else if (v instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof List<?> p) || p.size() != 2) {
                    throw new IllegalArgumentException("urlencode: expected pairs");
                }
                pairs.add(new Object[] {p.get(0), p.get(1)});
            }
        } else {
            return quote(Py.str(v), "/", false);
        }
        List<String> parts = new ArrayList<>();
        for (Object[] p : pairs) {
            parts.add(quote(Py.str(p[0]), "", true) + "=" + quote(Py.str(p[1]), "", true));
        }
        return String.join("&", parts);
    }

    private static String quote(String s, String safe, boolean forQuery) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "_.-~".indexOf(c) >= 0
                    || safe.indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        String out = sb.toString();
        return forQuery ? out.replace("%20", "+") : out;
    }

    /** Jinja2's xmlattr: {@code key="escaped value"} pairs, skipping None and undefined values. */
    static String xmlattr(Map<?, ?> m, boolean autospace) {
        List<String> items = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Object value = e.getValue();
            if (value == null || value instanceof Py.Undefined) {
                continue;
            }
            String key = Py.str(e.getKey());
            if (ATTR_KEY_INVALID.matcher(key).find()) {
                throw new IllegalArgumentException("Invalid character in attribute name: " + Py.repr(key));
            }
            String text = value instanceof Py.Markup mk ? mk.text() : Py.Markup.escape(Py.str(value));
            items.add(Py.Markup.escape(key) + "=\"" + text + "\"");
        }
        String rv = String.join(" ", items);
        return autospace && !rv.isEmpty() ? " " + rv : rv;
    }

    /** Jinja2's filesizeformat. */
    static String filesizeformat(double bytes, boolean binary) {
        double base = binary ? 1024 : 1000;
        String[] prefixes = binary ? new String[] {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
                : new String[] {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
        if (bytes == 1) {
            return "1 Byte";
        }
        if (bytes < base) {
            return (long) bytes + " Bytes";
        }
        double unit = base;
        String prefix = prefixes[0];
        for (int i = 0; i < prefixes.length; i++) {
            unit = Math.pow(base, i + 2);
            prefix = prefixes[i];
            if (bytes < unit) {
                break;
            }
        }
        return new java.math.BigDecimal(base * bytes / unit).setScale(1, java.math.RoundingMode.HALF_EVEN).toPlainString() + " " + prefix;
    }
}
