package dev.granular.probe.internal;

import dev.granular.corpus.Document;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Probe items made from a plain corpus, for when no pieces file is given: sentences for
 * document, Python functions for code, and invented records for database (ids, labels and
 * descriptions drawn from the corpus's words, so no model can know them beforehand).
 */
public final class CorpusItems {
    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern DEF = Pattern.compile("(?m)^[ \\t]*def ([A-Za-z_][A-Za-z0-9_]*)\\s*\\(");
    private static final Pattern ALPHA = Pattern.compile("[a-z]{4,12}");
    private static final List<String> KINDS = List.of("river", "village", "painting", "scientific article", "family of moths",
            "music album", "football club", "mountain pass", "trading company", "lighthouse", "poem", "railway station");

    private CorpusItems() {
    }

    /** The whole-looking sentences of {@code text}, trimmed, in order. */
    public static List<String> sentences(String text) {
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.US);
        it.setText(text);
        List<String> out = new ArrayList<>();
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String s = text.substring(start, end).strip().replaceAll("\\s+", " ");
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** Sentences of 8 to 60 words that start and end like sentences; the piece is their middle half. */
    public static List<Item> documentItems(List<Document> docs) {
        Set<String> seen = new LinkedHashSet<>();
        List<Item> out = new ArrayList<>();
        for (Document d : docs) {
            for (String s : sentences(d.text())) {
                if (!seen.add(s) || !Character.isUpperCase(s.charAt(0)) || ".!?".indexOf(s.charAt(s.length() - 1)) < 0) {
                    continue;
                }
                List<int[]> words = new ArrayList<>();
                Matcher m = WORD.matcher(s);
                while (m.find()) {
                    words.add(new int[] {m.start(), m.end()});
                }
                if (words.size() < 8 || words.size() > 60) {
                    continue;
                }
                int a = words.size() / 4;
                int b = a + Math.max(4, words.size() / 2) - 1;
                out.add(new Item.Sentence(s, s.substring(words.get(a)[0], words.get(b)[1])));
            }
        }
        return out;
    }

    /**
     * Python functions: the name of each {@code def} and up to five of the indented lines after
     * it; the snippet is the longest of those lines (at least 10 characters), the one most
     * likely to be unique.
     */
    public static List<Item> codeItems(List<Document> docs) {
        List<Item> out = new ArrayList<>();
        for (Document d : docs) {
            String[] lines = d.text().split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = DEF.matcher(lines[i]);
                if (!m.lookingAt()) {
                    continue;
                }
                int indent = indent(lines[i]);
                List<String> body = new ArrayList<>();
                for (int j = i + 1; j < lines.length && body.size() < 5; j++) {
                    if (lines[j].isBlank()) {
                        continue;
                    }
                    if (indent(lines[j]) <= indent) {
                        break;
                    }
                    body.add("    " + lines[j].strip());
                }
                String piece = body.stream().map(String::strip).filter(l -> l.length() >= 10)
                        .max((x, y) -> Integer.compare(x.length(), y.length())).orElse(null);
                if (piece != null) {
                    out.add(new Item.Function(m.group(1), String.join("\n", body), piece));
                }
            }
        }
        return out;
    }

    /** {@code count} invented records with unique ids, labels of two corpus words and templated descriptions. */
    public static List<Item> databaseItems(List<Document> docs, int count, long seed) {
        Set<String> vocab = new LinkedHashSet<>();
        for (Document d : docs) {
            Matcher m = ALPHA.matcher(d.text().toLowerCase(Locale.ROOT));
            while (m.find()) {
                vocab.add(m.group());
            }
        }
        if (vocab.size() < 20) {
            throw new dev.granular.io.BadInputException("the corpus has too few words (" + vocab.size()
                    + ") to invent database records");
        }
        List<String> words = List.copyOf(vocab);
        SplittableRandom rnd = new SplittableRandom(seed);
        Set<String> ids = new LinkedHashSet<>();
        List<Item> out = new ArrayList<>(count);
        while (out.size() < count) {
            String id = "Q" + (1_000_000 + rnd.nextInt(89_000_000));
            if (!ids.add(id)) {
                continue;
            }
            String label = cap(pick(words, rnd)) + " " + cap(pick(words, rnd));
            String description = KINDS.get(rnd.nextInt(KINDS.size())) + " in " + cap(pick(words, rnd));
            out.add(new Item.Entity(id, label, description));
        }
        return out;
    }

    private static String pick(List<String> words, SplittableRandom rnd) {
        return words.get(rnd.nextInt(words.size()));
    }

    private static String cap(String w) {
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    private static int indent(String line) {
        int i = 0;
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }
}
