package dev.granular.erasure.internal;

import dev.granular.erasure.Strategy;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Proves that erasure erased: no strategy instruction, nor any run of {@value #WINDOW}
 * consecutive words of one, appears in a training record. A teacher that quotes its system
 * prompt back ("As instructed, I will break the task into the parts it depends on ...") would
 * otherwise smuggle the strategy into the student's data and defeat the design.
 *
 * <p>Text is compared after normalising: lower case, every run of characters that are not
 * letters or digits treated as one space. So punctuation, line breaks or capitals cannot hide
 * an echo. An instruction shorter than the window is looked for whole.
 *
 * <p>Pure and thread-safe: the windows are built once; a lookup is one hash probe per word.
 */
public final class LeakCheck {
    /** Words in a window. */
    public static final int WINDOW = 8;

    /** What leaked: the strategy and the normalised words found. */
    public record Leak(String strategy, String words, int message) {
    }

    private final Map<String, String> windows = new HashMap<>();
    private final Map<Integer, Integer> shortLengths = new HashMap<>();

    /** @param strategies every strategy whose instruction must not appear */
    public LeakCheck(Collection<Strategy> strategies) {
        for (Strategy s : strategies) {
            List<String> w = words(s.instruction());
            if (w.isEmpty()) {
                continue;
            }
            if (w.size() < WINDOW) {
                windows.putIfAbsent(String.join(" ", w), s.name());
                shortLengths.merge(w.size(), 1, Integer::sum);
                continue;
            }
            for (int i = 0; i + WINDOW <= w.size(); i++) {
                windows.putIfAbsent(String.join(" ", w.subList(i, i + WINDOW)), s.name());
            }
        }
    }

    /** The first leak in {@code text} (message index -1), if any. */
    public Optional<Leak> find(String text) {
        return find(text, -1);
    }

    /** The first leak in any message (content or reasoning) of {@code record}, if any. */
    public Optional<Leak> find(TrainingRecord record) {
        List<Message> ms = record.messages();
        for (int i = 0; i < ms.size(); i++) {
            Optional<Leak> l = find(ms.get(i).content(), i);
            if (l.isEmpty() && ms.get(i).reasoningContent() != null) {
                l = find(ms.get(i).reasoningContent(), i);
            }
            if (l.isPresent()) {
                return l;
            }
        }
        return Optional.empty();
    }

    private Optional<Leak> find(String text, int message) {
        List<String> w = words(text);
        List<Integer> sizes = new ArrayList<>(shortLengths.keySet());
        sizes.add(WINDOW);
        for (int size : sizes) {
            for (int i = 0; i + size <= w.size(); i++) {
                String key = String.join(" ", w.subList(i, i + size));
                String s = windows.get(key);
                if (s != null) {
                    return Optional.of(new Leak(s, key, message));
                }
            }
        }
        return Optional.empty();
    }

    /** Lower-cased words: maximal runs of letters and digits. */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }
}
