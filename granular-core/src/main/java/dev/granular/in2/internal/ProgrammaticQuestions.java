package dev.granular.in2.internal;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes question/answer pairs without an LLM, each verifiable from the quoted text.
 *
 * <p>A writer gets candidate segment texts and returns a {@link Qa} or nothing (the
 * segments lack the material for that kind); the caller then tries other segments. It is a
 * pure function of its inputs and the random source.
 *
 * <p>Every answer must need the context: a next word is never a stop word ({@link StopWords}:
 * "the" follows almost any phrase), a blanked name is a name by {@link Names}' rule (not a
 * capitalised sentence start), and a blanked number is a whole token (not a piece of "1/2",
 * "9-1/2", "1930-31", a mixed number "2 1/2", or a day after a month name).
 */
public final class ProgrammaticQuestions {
    public static final String BLANK = "___";
    private static final int MIN_WORDS = 8;
    private static final int MAX_WORDS = 60;
    private static final int PHRASE_WORDS = 6;

    private static final Pattern NUMBER = Pattern.compile("(?<![\\p{L}\\p{N}.,$£€-])\\d{1,3}(?:,\\d{3})+(?![\\p{L}\\p{N}]|[.,]\\d)|(?<![\\p{L}\\p{N}.,$£€-])\\d+(?:\\.\\d+)?(?![\\p{L}\\p{N}]|[.,]\\d)");
    private static final Pattern NAME = Pattern.compile("(?<![\\p{L}\\p{N}'’-])\\p{Lu}\\p{Ll}+(?:[ -]\\p{Lu}\\p{Ll}+)*(?![\\p{L}\\p{N}'’])");
    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern AFTER_MONTH = Pattern.compile(
            "(?:January|February|March|April|May|June|July|August|September|October|November|December)\\s+$");
    private static final Set<String> NOT_NAMES = Set.of("The", "This", "That", "These", "Those", "There", "Their", "They",
            "It", "Its", "We", "Our", "In", "On", "At", "Of", "For", "By", "With", "From", "As", "If", "When", "While",
            "But", "And", "Or", "Nor", "So", "Yet", "He", "She", "His", "Her", "Mr", "Mrs", "Ms", "Dr", "Sir", "You",
            "Your", "Yes", "No", "Not", "All", "Any", "Some", "Every", "Each", "Such", "Then", "Now", "Here", "What",
            "Which", "Who", "Whom", "Why", "How", "Where", "Let", "May", "Will", "Shall", "Would", "Should", "Could");

    private ProgrammaticQuestions() {
    }

    /** A single-segment question about {@code text}, a document of its own (names need no other evidence). */
    public static Optional<Qa> single(QaKind kind, String text, boolean startsSentence, SplittableRandom rnd) {
        return single(kind, text, startsSentence, () -> Names.in(text), rnd);
    }

    /**
     * A single-segment question about {@code text}, or nothing if it has no material for {@code kind}.
     *
     * @param names which capitalised words the segment's document shows to be names (asked only for names)
     */
    public static Optional<Qa> single(QaKind kind, String text, boolean startsSentence, Supplier<Names> names, SplittableRandom rnd) {
        return switch (kind) {
            case CLOZE_NUMBER -> cloze(kind, text, startsSentence, NUMBER, null, "number", rnd);
            case CLOZE_NAME -> cloze(kind, text, startsSentence, NAME, names.get(), "name", rnd);
            case NEXT_WORD -> nextWord(text, rnd);
            case NEXT_SENTENCE -> nextSentence(text, startsSentence, rnd);
            case ORDER, SUM -> throw new IllegalArgumentException(kind + " needs several segments");
            case TEACHER_SINGLE, TEACHER_MULTI -> throw new IllegalArgumentException(kind + " is written by a teacher");
        };
    }

    /** A question that needs two of the {@code texts} (segments of one document, in order). */
    public static Optional<Qa> multi(QaKind kind, List<String> texts, List<Boolean> startsSentence, SplittableRandom rnd) {
        if (texts.size() < 2) {
            return Optional.empty();
        }
        return switch (kind) {
            case ORDER -> order(texts, startsSentence, rnd);
            case SUM -> sum(texts, startsSentence, rnd);
            case CLOZE_NUMBER, CLOZE_NAME, NEXT_WORD, NEXT_SENTENCE ->
                    throw new IllegalArgumentException(kind + " is a single-segment kind");
            case TEACHER_SINGLE, TEACHER_MULTI -> throw new IllegalArgumentException(kind + " is written by a teacher");
        };
    }

    // ---- single-segment kinds

    /** A blank in a sentence: the sentence, the blanked match, and the question's quote. */
    private record Blank(Sentences.Span sentence, int begin, int end, String quoted, Pattern unique) {
        String value(String text) {
            return text.substring(begin, end);
        }
    }

    private static Optional<Qa> cloze(QaKind kind, String text, boolean startsSentence, Pattern what, Names names,
                                      String noun, SplittableRandom rnd) {
        Optional<Blank> b = blank(text, startsSentence, what, names, false, rnd);
        if (b.isEmpty()) {
            return Optional.empty();
        }
        Blank blank = b.get();
        String question = "Fill in the blank with the " + noun + " that the text above gives: \"" + blank.quoted() + "\"";
        String answer = "The missing " + noun + " is " + blank.value(text) + ".";
        Sentences.Span s = blank.sentence();
        return Optional.of(new Qa(kind, question, answer, List.of(new Qa.Evidence(0, s.begin(), s.end())),
                List.of(blank.unique())));
    }

    /**
     * A blank for a match of {@code what} in a whole sentence of {@code text}: a name when
     * {@code names} is given (the document's evidence), else a number.
     */
    private static Optional<Blank> blank(String text, boolean startsSentence, Pattern what, Names names,
                                         boolean integersOnly, SplittableRandom rnd) {
        List<Blank> candidates = new ArrayList<>();
        for (Sentences.Span s : Sentences.whole(text, startsSentence)) {
            String sentence = s.of(text);
            int words = Sentences.words(sentence);
            if (words < MIN_WORDS || words > MAX_WORDS || sentence.indexOf('\n') >= 0 || sentence.contains(BLANK)) {
                continue;
            }
            Matcher m = what.matcher(sentence);
            while (m.find()) {
                int start = names == null ? m.start() : nameStart(sentence, m.start(), m.end());
                String value = sentence.substring(start, m.end());
                if (start == 0 || m.end() >= sentence.length() - 1) {
                    continue; // a blank at either end leaves nothing to anchor it on one side
                }
                if (names != null && (value.length() < 3 || !names.isName(value.split("[ -]", 2)[0]))) {
                    continue;
                }
                if (names == null && (!wholeToken(sentence, start, m.end()) || AFTER_MONTH.matcher(sentence.substring(0, start)).find())) {
                    continue; // a piece of a fraction, range or date, or a day of the month
                }
                if (integersOnly && (value.contains(".") || isYear(value) || parse(value).bitLength() > 40)) {
                    continue; // years make odd sums
                }
                String left = sentence.substring(0, start);
                String right = sentence.substring(m.end());
                Pattern unique = Pattern.compile(Pattern.quote(left) + "(?:.{1,80}?)" + Pattern.quote(right), Pattern.DOTALL);
                candidates.add(new Blank(s, s.begin() + start, s.begin() + m.end(), left + BLANK + right, unique));
            }
        }
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(candidates.get(rnd.nextInt(candidates.size())));
    }

    /**
     * Where a name match really starts: leading words that are stop words or titles ("The United
     * States", "Mr Lincoln") are left in the sentence; {@code end} when every word is one.
     */
    private static int nameStart(String sentence, int start, int end) {
        int at = start;
        while (at < end) {
            int space = at;
            while (space < end && sentence.charAt(space) != ' ' && sentence.charAt(space) != '-') {
                space++;
            }
            String word = sentence.substring(at, space);
            if (!NOT_NAMES.contains(word) && !StopWords.contains(word)) {
                return at;
            }
            at = space + 1;
        }
        return end;
    }

    /** Characters that may enclose a whole number: quotes, brackets, and punctuation after it. */
    private static final String OPENERS = "\"'(\u201C\u2018[";
    private static final String CLOSERS = "\"')\u201D\u2019].,;:!?%";
    private static final Pattern FRACTION = Pattern.compile("^(?:\\d+/\\d+|[\u00BC-\u00BE\u2150-\u215E])");

    /**
     * Whether {@code sentence[start, end)} is a whole token: the whitespace-delimited word it sits
     * in is the number itself, give or take quotes, brackets and trailing punctuation (so not
     * "1/2", "9-1/2", "1930-31", "12/7/1941"), and no fraction follows it ("2 1/2", "1 ½").
     */
    public static boolean wholeToken(String sentence, int start, int end) {
        int b = start;
        while (b > 0 && !Character.isWhitespace(sentence.charAt(b - 1))) {
            b--;
        }
        int e = end;
        while (e < sentence.length() && !Character.isWhitespace(sentence.charAt(e))) {
            e++;
        }
        while (b < start && OPENERS.indexOf(sentence.charAt(b)) >= 0) {
            b++;
        }
        while (e > end && CLOSERS.indexOf(sentence.charAt(e - 1)) >= 0) {
            e--;
        }
        if (b != start || e != end) {
            return false;
        }
        int next = end;
        while (next < sentence.length() && sentence.charAt(next) == ' ') {
            next++;
        }
        return !FRACTION.matcher(sentence.substring(next)).find();
    }

    private static Optional<Qa> nextWord(String text, SplittableRandom rnd) {
        List<int[]> words = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            words.add(new int[] {m.start(), m.end()});
        }
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i + PHRASE_WORDS < words.size(); i++) {
            int b = words.get(i)[0];
            int e = words.get(i + PHRASE_WORDS)[1];
            String span = text.substring(b, e);
            String next = bare(text.substring(words.get(i + PHRASE_WORDS)[0], e));
            // a stop word ("the", "of") follows almost any phrase: guessable without the context
            if (span.indexOf('\n') < 0 && !span.contains("\"") && next.codePoints().anyMatch(Character::isLetter)
                    && !StopWords.contains(next)) {
                starts.add(i);
            }
        }
        if (starts.isEmpty()) {
            return Optional.empty();
        }
        int i = starts.get(rnd.nextInt(starts.size()));
        int b = words.get(i)[0];
        String phrase = text.substring(b, words.get(i + PHRASE_WORDS - 1)[1]);
        int[] nextWord = words.get(i + PHRASE_WORDS);
        String next = bare(text.substring(nextWord[0], nextWord[1]));
        String question = "In the text above, which word comes right after \"" + phrase + "\"?";
        String answer = "The next word is \"" + next + "\".";
        return Optional.of(new Qa(QaKind.NEXT_WORD, question, answer, List.of(new Qa.Evidence(0, b, nextWord[1])),
                List.of(Pattern.compile(Pattern.quote(phrase)))));
    }

    /** A word without the punctuation around it: {@code "(war,"} → {@code war}. */
    public static String bare(String word) {
        int b = 0;
        int e = word.length();
        while (b < e && !Character.isLetterOrDigit(word.codePointAt(b))) {
            b += Character.charCount(word.codePointAt(b));
        }
        while (e > b && !Character.isLetterOrDigit(word.codePointBefore(e))) {
            e -= Character.charCount(word.codePointBefore(e));
        }
        return word.substring(b, e);
    }

    private static Optional<Qa> nextSentence(String text, boolean startsSentence, SplittableRandom rnd) {
        List<Sentences.Span> all = Sentences.all(text);
        List<Integer> pairs = new ArrayList<>();
        for (int i = startsSentence ? 0 : 1; i + 1 < all.size(); i++) {
            Sentences.Span a = all.get(i);
            Sentences.Span b = all.get(i + 1);
            // The evidence runs from a to b: no line break between them, as meta.evidence joins pieces with "\n".
            if (quotable(text, a, 5) && quotable(text, b, 3) && text.substring(a.end(), b.begin()).indexOf('\n') < 0) {
                pairs.add(i);
            }
        }
        if (pairs.isEmpty()) {
            return Optional.empty();
        }
        int i = pairs.get(rnd.nextInt(pairs.size()));
        Sentences.Span a = all.get(i);
        Sentences.Span b = all.get(i + 1);
        String question = "Which sentence comes right after this one in the text above: \"" + a.of(text) + "\"";
        String answer = "The next sentence is: \"" + b.of(text) + "\"";
        return Optional.of(new Qa(QaKind.NEXT_SENTENCE, question, answer, List.of(new Qa.Evidence(0, a.begin(), b.end())),
                List.of(Pattern.compile(Pattern.quote(a.of(text))))));
    }

    private static boolean quotable(String text, Sentences.Span s, int minWords) {
        String t = s.of(text);
        int w = Sentences.words(t);
        return Sentences.looksWhole(text, s) && w >= minWords && w <= MAX_WORDS && t.indexOf('\n') < 0;
    }

    // ---- multi-segment kinds

    private static Optional<Qa> order(List<String> texts, List<Boolean> startsSentence, SplittableRandom rnd) {
        List<int[]> cands = new ArrayList<>(); // part, begin, end
        for (int p = 0; p < texts.size(); p++) {
            String t = texts.get(p);
            for (Sentences.Span s : Sentences.whole(t, startsSentence.get(p))) {
                if (quotable(t, s, 6) && Sentences.words(s.of(t)) <= 40) {
                    cands.add(new int[] {p, s.begin(), s.end()});
                }
            }
        }
        for (int attempt = 0; attempt < 8 && cands.size() >= 2; attempt++) {
            int[] x = cands.get(rnd.nextInt(cands.size()));
            int[] y = cands.get(rnd.nextInt(cands.size()));
            if (x[0] == y[0]) {
                continue;
            }
            int[] first = x[0] < y[0] ? x : y;
            int[] second = x[0] < y[0] ? y : x;
            String s1 = texts.get(first[0]).substring(first[1], first[2]);
            String s2 = texts.get(second[0]).substring(second[1], second[2]);
            if (s1.equals(s2)) {
                continue;
            }
            boolean firstIsA = rnd.nextBoolean();
            String a = firstIsA ? s1 : s2;
            String b = firstIsA ? s2 : s1;
            String question = "Two statements appear in different places in the text above:\n(A) \"" + a + "\"\n(B) \""
                    + b + "\"\nWhich of them comes first in the text?";
            String answer = "Statement (" + (firstIsA ? "A" : "B") + ") comes first.";
            return Optional.of(new Qa(QaKind.ORDER, question, answer,
                    List.of(new Qa.Evidence(first[0], first[1], first[2]), new Qa.Evidence(second[0], second[1], second[2])),
                    List.of(Pattern.compile(Pattern.quote(s1)), Pattern.compile(Pattern.quote(s2)))));
        }
        return Optional.empty();
    }

    private static Optional<Qa> sum(List<String> texts, List<Boolean> startsSentence, SplittableRandom rnd) {
        List<Integer> parts = new ArrayList<>();
        List<Blank> blanks = new ArrayList<>();
        for (int p = 0; p < texts.size(); p++) {
            Optional<Blank> b = blank(texts.get(p), startsSentence.get(p), NUMBER, null, true, rnd);
            if (b.isPresent()) {
                parts.add(p);
                blanks.add(b.get());
            }
        }
        if (parts.size() < 2) {
            return Optional.empty();
        }
        int i = rnd.nextInt(parts.size());
        int j = rnd.nextInt(parts.size() - 1);
        if (j >= i) {
            j++;
        }
        if (parts.get(i) > parts.get(j)) {
            int t = i;
            i = j;
            j = t;
        }
        Blank x = blanks.get(i);
        Blank y = blanks.get(j);
        String vx = x.value(texts.get(parts.get(i)));
        String vy = y.value(texts.get(parts.get(j)));
        BigInteger total = parse(vx).add(parse(vy));
        boolean grouped = vx.contains(",") || vy.contains(",");
        String sum = grouped ? String.format(java.util.Locale.ROOT, "%,d", total) : total.toString();
        String question = "Two sentences from different places in the text above are shown with a number blanked out:\n1. \""
                + x.quoted() + "\"\n2. \"" + y.quoted() + "\"\nWhat is the sum of the two missing numbers?";
        String answer = "The missing numbers are " + vx + " and " + vy + ", so their sum is " + sum + ".";
        return Optional.of(new Qa(QaKind.SUM, question, answer,
                List.of(new Qa.Evidence(parts.get(i), x.sentence().begin(), x.sentence().end()),
                        new Qa.Evidence(parts.get(j), y.sentence().begin(), y.sentence().end())),
                List.of(x.unique(), y.unique())));
    }

    static BigInteger parse(String number) {
        return new BigInteger(number.replace(",", ""));
    }

    private static boolean isYear(String value) {
        if (value.length() != 4 || value.contains(",")) {
            return false;
        }
        int v = Integer.parseInt(value);
        return v >= 1500 && v <= 2100;
    }
}
