package dev.granular.in2.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which capitalised words of a document are names. English capitalises the first word of every
 * sentence, and a sentence splitter misses some starts (after a colon, a quote, a heading), so
 * a capital letter alone proves nothing: "Are", "Throughout" and "Well" were blanked as names.
 * The rule: a capitalised word counts as a name only if the document also has it capitalised
 * <em>inside</em> a sentence, right after a letter, digit or comma ("said Maria", "the
 * Congress", "1902, Congress"). Those places cannot be sentence starts, whatever the splitter
 * thinks.
 */
public final class Names {
    private static final Pattern CAPITALISED = Pattern.compile("(?<![\\p{L}\\p{N}'’-])\\p{Lu}\\p{Ll}+");

    private final Set<String> midSentence;

    private Names(Set<String> midSentence) {
        this.midSentence = midSentence;
    }

    /** The evidence {@code document} gives. */
    public static Names in(String document) {
        Set<String> mid = new HashSet<>();
        Matcher m = CAPITALISED.matcher(document);
        while (m.find()) {
            int i = m.start() - 1;
            while (i >= 0 && Character.isWhitespace(document.charAt(i))) {
                i--;
            }
            if (i >= 0 && (Character.isLetterOrDigit(document.charAt(i)) || document.charAt(i) == ',')) {
                mid.add(m.group());
            }
        }
        return new Names(mid);
    }

    /** Whether the capitalised {@code word} occurs inside a sentence of the document. */
    boolean isName(String word) {
        return midSentence.contains(word);
    }
}
