package dev.granular.judge;

import java.math.BigDecimal;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finding the final answer inside a free-text reply. */
final class Answers {
    private static final Pattern NUMBER = Pattern.compile("-?\\$?\\d[\\d,]*(?:\\.\\d+)?");
    /** Phrases that introduce a final answer, strongest first. */
    private static final Pattern FINAL = Pattern.compile(
            "(?:####|final answer\\s*(?:is|:)|the answer is|answer\\s*:)\\s*", Pattern.CASE_INSENSITIVE);

    private Answers() {
    }

    /** The text after the last "final answer" marker, else the last non-empty line. */
    static String finalPart(String reply) {
        Matcher m = FINAL.matcher(reply);
        int end = -1;
        while (m.find()) {
            end = m.end();
        }
        if (end >= 0) {
            String rest = reply.substring(end).strip();
            int nl = rest.indexOf('\n');
            return nl >= 0 ? rest.substring(0, nl).strip() : rest;
        }
        String[] lines = reply.strip().split("\\R");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** The final number of a reply: after a final-answer marker if any, else the last number. */
    static Optional<BigDecimal> number(String reply) {
        Optional<BigDecimal> inFinal = lastNumber(finalPart(reply));
        return inFinal.isPresent() ? inFinal : lastNumber(reply);
    }

    static Optional<BigDecimal> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return last == null ? Optional.empty() : parseNumber(last);
    }

    static Optional<BigDecimal> parseNumber(String s) {
        String t = s.replace(",", "").replace("$", "").strip();
        if (t.endsWith(".")) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Optional.of(new BigDecimal(t).stripTrailingZeros());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Lower case, accents folded, punctuation and the articles a/an/the removed, spaces collapsed (SQuAD-style). */
    static String normalise(String s) {
        String t = Normalizer.normalize(s, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
        t = t.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ");
        t = (" " + t + " ").replaceAll(" (a|an|the) ", " ");
        return t.strip().replaceAll("\\s+", " ");
    }

    /**
     * The choice label a reply picks: an explicit "answer is (B)" / "Answer: B" / a final "(B)",
     * else the single choice whose full text the final part names.
     */
    static Optional<String> choice(String reply, List<Task.Choice> choices) {
        String labels = choices.stream().map(c -> Pattern.quote(c.label())).reduce((a, b) -> a + "|" + b).orElse("[A-E]");
        // The label itself is matched case-sensitively: case-insensitive, "the answer is a rock" read the article "a" as label A.
        Pattern explicit = Pattern.compile("(?:answer|option|choice)\\s*(?:is|:)?\\s*\\(?\\b(?-i:(" + labels + "))\\b\\)?",
                Pattern.CASE_INSENSITIVE);
        String last = null;
        Matcher m = explicit.matcher(reply);
        while (m.find()) {
            last = m.group(1);
        }
        if (last != null) {
            return Optional.of(canonical(last, choices));
        }
        String fin = finalPart(reply);
        Matcher bare = Pattern.compile("^\\(?(" + labels + ")\\)?[.:)]?(\\s|$)").matcher(fin);
        if (bare.find()) {
            return Optional.of(canonical(bare.group(1), choices));
        }
        Matcher paren = Pattern.compile("\\((" + labels + ")\\)").matcher(fin);
        String p = null;
        while (paren.find()) {
            p = paren.group(1);
        }
        if (p != null) {
            return Optional.of(canonical(p, choices));
        }
        String nf = normalise(fin);
        String match = null;
        for (Task.Choice c : choices) {
            String nc = normalise(c.text());
            if (!nc.isEmpty() && (nf.equals(nc) || (" " + nf + " ").contains(" " + nc + " "))) {
                if (match != null) {
                    return Optional.empty(); // names two choices: no single answer
                }
                match = c.label();
            }
        }
        return Optional.ofNullable(match);
    }

    private static String canonical(String label, List<Task.Choice> choices) {
        for (Task.Choice c : choices) {
            if (c.label().equalsIgnoreCase(label)) {
                return c.label();
            }
        }
        return label.toUpperCase(Locale.ROOT);
    }
}
