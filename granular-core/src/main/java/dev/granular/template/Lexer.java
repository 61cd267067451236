package dev.granular.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits template source into tokens the way Jinja2's lexer does with the options transformers
 * uses ({@code trim_blocks=True, lstrip_blocks=True}, {@code keep_trailing_newline=False}):
 * newlines are normalized to {@code \n} and one trailing newline is dropped; {@code {%-}/{@code -%}}
 * (and the same for {@code {{ }}} and {@code {# #}}) strip all whitespace on that side;
 * {@code {%+}/{@code +%}} disable lstrip/trim; a block or comment tag alone on its line after
 * spaces has those spaces removed, and the first newline after a block or comment tag is removed.
 */
final class Lexer {

    enum Type { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    /** A token; {@code pos} is its offset in {@link #source()}. */
    record Token(Type type, String text, Object value, int pos) {
        boolean is(Type t, String s) {
            return type == t && text.equals(s);
        }

        boolean isName(String s) {
            return is(Type.NAME, s);
        }

        boolean isOp(String s) {
            return is(Type.OP, s);
        }
    }

    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;

    private Lexer(String source) {
        this.src = normalize(source);
    }

    static Lexer lex(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer;
    }

    String source() {
        return src;
    }

    List<Token> tokens() {
        return tokens;
    }

    /** Line and column (1-based) of an offset in the normalized source. */
    int[] lineCol(int offset) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < offset && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {line, col};
    }

    TemplateException error(int offset, String reason) {
        int[] lc = lineCol(offset);
        return new TemplateException(lc[0], lc[1], reason);
    }

    /** A {@link TemplateLimits} bound exceeded at {@code offset}; {@code limit} names it. */
    TemplateException limitError(int offset, String limit, String reason) {
        int[] lc = lineCol(offset);
        return new TemplateException(lc[0], lc[1], reason, limit);
    }

    private static String normalize(String s) {
        String n = s.replace("\r\n", "\n").replace('\r', '\n');
        return n.endsWith("\n") ? n.substring(0, n.length() - 1) : n;
    }

    private void run() {
        boolean lineStarting = true;
        while (pos < src.length()) {
            int tag = nextTag(pos);
            if (tag < 0) {
                addData(src.substring(pos), pos);
                pos = src.length();
                break;
            }
            char kind = src.charAt(tag + 1);
            char mod = tag + 2 < src.length() ? src.charAt(tag + 2) : 0;
            String data = src.substring(pos, tag);
            if (mod == '-') {
                data = Py.rstrip(data, null);
            } else if (mod != '+' && kind != '{') {
                int lineStart = data.lastIndexOf('\n') + 1;
                if (lineStart > 0 || lineStarting) {
                    String tail = data.substring(lineStart);
                    if (!tail.isEmpty() && Py.isAllSpace(tail)) {
                        data = data.substring(0, lineStart);
                    }
                }
            }
            addData(data, pos);
            int inner = tag + 2 + (mod == '-' || mod == '+' ? 1 : 0);
            int consumedFrom;
            if (kind == '#') {
                int end = src.indexOf("#}", inner);
                if (end < 0) {
                    throw error(tag, "unclosed comment: missing '#}'");
                }
                char before = src.charAt(end - 1);
                consumedFrom = end;
                pos = end + 2;
                pos = afterTag(before == '-' && end - 1 >= inner, before == '+' && end - 1 >= inner, true);
            } else if (kind == '%' && RAW.matcher(src).region(inner, src.length()).lookingAt()) {
                consumedFrom = lexRaw(tag, inner);
            } else {
                boolean block = kind == '%';
                tokens.add(new Token(block ? Type.BLOCK_BEGIN : Type.VAR_BEGIN, block ? "{%" : "{{", null, tag));
                pos = inner;
                consumedFrom = lexExpression(block, tag);
            }
            lineStarting = pos > consumedFrom && src.charAt(pos - 1) == '\n';
        }
        tokens.add(new Token(Type.EOF, "", null, src.length()));
    }

    private static final java.util.regex.Pattern RAW = java.util.regex.Pattern.compile("\\s*raw\\s*([-+]?)%}");
    private static final java.util.regex.Pattern ENDRAW = java.util.regex.Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    /**
     * {@code {% raw %}...{% endraw %}}: the text between is data, as written. Whitespace control
     * on the tags applies as on any block tag. Returns where the closing tag's end marker began.
     */
    private int lexRaw(int tag, int inner) {
        java.util.regex.Matcher open = RAW.matcher(src).region(inner, src.length());
        open.lookingAt();
        pos = open.end();
        // Jinja2's raw_begin rule has no trim_blocks suffix: the newline after {% raw %} is data
        pos = afterTag(open.group(1).equals("-"), open.group(1).equals("+"), false);
        java.util.regex.Matcher close = ENDRAW.matcher(src);
        if (!close.find(pos)) {
            throw error(tag, "missing end of raw directive: {% endraw %}");
        }
        String data = src.substring(pos, close.start());
        if (close.group(1).equals("-")) {
            data = Py.rstrip(data, null);
        } else if (!close.group(1).equals("+")) {
            int lineStart = data.lastIndexOf('\n') + 1;
            String tail = data.substring(lineStart);
            if (!tail.isEmpty() && Py.isAllSpace(tail) && lineStart > 0) {
                data = data.substring(0, lineStart);
            }
        }
        addData(data, pos);
        int endMarker = close.end() - 2;
        pos = close.end();
        pos = afterTag(close.group(2).equals("-"), close.group(2).equals("+"), true);
        return endMarker;
    }

    private int nextTag(int from) {
        int i = from;
        while (true) {
            i = src.indexOf('{', i);
            if (i < 0 || i + 1 >= src.length()) {
                return -1;
            }
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i++;
        }
    }

    private void addData(String data, int at) {
        if (!data.isEmpty()) {
            tokens.add(new Token(Type.DATA, data, data, at));
        }
    }

    /** Sets pos after a tag end already passed; returns the new position. */
    private int afterTag(boolean strip, boolean plus, boolean trimNewline) {
        int p = pos;
        if (strip) {
            while (p < src.length() && Py.isSpace(src.charAt(p))) {
                p++;
            }
        } else if (!plus && trimNewline && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        return p;
    }

    /** Lexes the inside of a {{ }} or {% %} tag; returns the offset where the tag's end marker began. */
    private int lexExpression(boolean block, int tagStart) {
        String close = block ? "%}" : "}}";
        int depth = 0;
        while (true) {
            while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
                pos++;
            }
            if (pos >= src.length()) {
                throw error(tagStart, "unclosed tag: missing '" + close + "'");
            }
            if (depth == 0) {
                for (String m : new String[] {"-", "+", ""}) {
                    if (src.startsWith(m + close, pos)) {
                        int end = pos;
                        tokens.add(new Token(block ? Type.BLOCK_END : Type.VAR_END, close, null, pos));
                        pos += m.length() + 2;
                        pos = afterTag(m.equals("-"), m.equals("+"), block);
                        return end;
                    }
                }
            }
            char c = src.charAt(pos);
            int start = pos;
            if (c == '\'' || c == '"') {
                tokens.add(new Token(Type.STRING, null, readString(c), start));
            } else if (Character.isDigit(c)) {
                readNumber();
            } else if (Character.isLetter(c) || c == '_') {
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Type.NAME, src.substring(start, pos), null, start));
            } else {
                String op = null;
                for (String o : OPERATORS) {
                    if (src.startsWith(o, pos)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw error(pos, "unexpected character '" + c + "'");
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    depth--;
                    if (depth < 0) {
                        throw error(pos, "unexpected '" + op + "'");
                    }
                }
                pos += op.length();
                tokens.add(new Token(Type.OP, op, null, start));
            }
        }
    }

    private void readNumber() {
        int start = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int p = pos + 1;
            if (p < src.length() && (src.charAt(p) == '+' || src.charAt(p) == '-')) {
                p++;
            }
            if (p < src.length() && Character.isDigit(src.charAt(p))) {
                isFloat = true;
                pos = p;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            }
        }
        String text = src.substring(start, pos).replace("_", "");
        if (isFloat) {
            tokens.add(new Token(Type.FLOAT, text, Double.parseDouble(text), start));
        } else {
            try {
                tokens.add(new Token(Type.INT, text, Long.parseLong(text), start));
            } catch (NumberFormatException e) {
                throw error(start, "integer literal too large: " + text);
            }
        }
    }

    /** A Python string literal body with its escapes decoded (unknown escapes are kept as written). */
    private String readString(char quote) {
        int start = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) {
                throw error(start, "unterminated string literal");
            }
            char c = src.charAt(pos);
            if (c == quote) {
                pos++;
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= src.length()) {
                throw error(start, "unterminated string literal");
            }
            char e = src.charAt(pos + 1);
            pos += 2;
            switch (e) {
                case '\n' -> { }
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000b');
                case 'x' -> sb.appendCodePoint(hex(2, start));
                case 'u' -> sb.appendCodePoint(hex(4, start));
                case 'U' -> sb.appendCodePoint(hex(8, start));
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = e - '0';
                    for (int k = 0; k < 2 && pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '7'; k++) {
                        v = v * 8 + (src.charAt(pos++) - '0');
                    }
                    sb.appendCodePoint(v);
                }
                case 'N' -> throw error(start, "\\N{...} escapes in string literals are not supported");
                default -> sb.append('\\').append(e);
            }
        }
    }

    private int hex(int digits, int start) {
        if (pos + digits > src.length()) {
            throw error(start, "truncated \\x/\\u escape in string literal");
        }
        try {
            int v = Integer.parseInt(src.substring(pos, pos + digits), 16);
            if (!Character.isValidCodePoint(v)) {
                throw error(start, "illegal Unicode escape in string literal");
            }
            pos += digits;
            return v;
        } catch (NumberFormatException ex) {
            throw error(start, "malformed \\x/\\u escape in string literal");
        }
    }
}
