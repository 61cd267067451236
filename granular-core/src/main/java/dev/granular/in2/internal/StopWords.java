package dev.granular.in2.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * English stop words: the Snowball list for English plus seven auxiliaries it leaves out for
 * homonymy (the resource {@code stopwords-en.txt} says which and why). A question whose answer
 * is one of them ("the", "of", "would") can be guessed without reading the context, so
 * programmatic questions never ask for one.
 */
public final class StopWords {
    private static final Set<String> WORDS = load();

    private StopWords() {
    }

    /** Whether {@code word} is a stop word, in any case; a curly apostrophe counts as a straight one. */
    public static boolean contains(String word) {
        return WORDS.contains(word.toLowerCase(Locale.ROOT).replace('\u2019', '\''));
    }

    /** How many words the list holds. */
    public static int size() {
        return WORDS.size();
    }

    private static Set<String> load() {
        try (InputStream in = StopWords.class.getResourceAsStream("stopwords-en.txt")) {
            if (in == null) {
                throw new IllegalStateException("stopwords-en.txt is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toUnmodifiableSet());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stopwords-en.txt", e);
        }
    }
}
