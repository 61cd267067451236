package dev.granular.tokenize;

/**
 * UTF-16 helpers shared by the tokenizer adapters.
 *
 * <p>Both adapters hand text to code that works on UTF-8 (jtokkit's byte-pair merges, the Rust
 * tokenizers behind DJL). An unpaired surrogate has no UTF-8 form, and the two libraries replace it
 * differently (jtokkit with {@code ?}, DJL's JNI bridge with three U+FFFD), which would shift every
 * offset after it. Replacing it up front with one U+FFFD keeps one character for one character.
 */
final class Utf16 {

    /** The replacement character U+FFFD. */
    static final char REPLACEMENT = '\uFFFD';

    private Utf16() {
    }

    /**
     * {@code text} with each unpaired surrogate replaced by U+FFFD; the same instance when there is
     * none (the usual case). The result has the same length as {@code text}.
     */
    static String replaceLoneSurrogates(String text) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (isPairAt(text, i)) {
                    i++;
                } else {
                    return repairFrom(text, i);
                }
            }
        }
        return text;
    }

    private static String repairFrom(String text, int from) {
        char[] chars = text.toCharArray();
        for (int i = from; i < chars.length; i++) {
            if (Character.isSurrogate(chars[i])) {
                if (isPairAt(text, i)) {
                    i++;
                } else {
                    chars[i] = REPLACEMENT;
                }
            }
        }
        return new String(chars);
    }

    private static boolean isPairAt(String text, int i) {
        return Character.isHighSurrogate(text.charAt(i))
                && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1));
    }

    /**
     * The UTF-16 index of each code point of {@code text}: element {@code k} is where code point
     * {@code k} starts, and the last element, at index {@code codePointCount}, is
     * {@code text.length()}. Returns null when {@code text} has no surrogate pair, i.e. when code
     * point indices and UTF-16 indices coincide.
     */
    static int[] codePointStarts(String text) {
        int n = text.length();
        int count = text.codePointCount(0, n);
        if (count == n) {
            return null;
        }
        int[] starts = new int[count + 1];
        int k = 0;
        for (int i = 0; i < n; i += Character.charCount(text.codePointAt(i))) {
            starts[k++] = i;
        }
        starts[count] = n;
        return starts;
    }

    /** Number of bytes of code point {@code cp} in UTF-8. */
    static int utf8Length(int cp) {
        if (cp < 0x80) {
            return 1;
        }
        if (cp < 0x800) {
            return 2;
        }
        return cp < 0x10000 ? 3 : 4;
    }
}
