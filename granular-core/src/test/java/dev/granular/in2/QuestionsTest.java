package dev.granular.in2;

import dev.granular.in2.internal.Names;
import dev.granular.in2.internal.ProgrammaticQuestions;
import dev.granular.in2.internal.Qa;
import dev.granular.in2.internal.QaKind;
import dev.granular.in2.internal.Sentences;
import dev.granular.in2.internal.StopWords;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The programmatic questions: each answer follows from its evidence. */
class QuestionsTest {
    static final String TEXT = "The committee met on Tuesday in Geneva to settle the budget. "
            + "It approved 1,250 new grants for the coming year, said Maria Lopez after the vote. "
            + "Funding for the 3 regional offices rose by 12.5 percent compared with last year! "
            + "Élodie Fabre 😀 told reporters that 48 projects would start before the deadline. "
            + "Nobody expected the vote to pass so quickly.";
    static final int SEEDS = 60;

    static String quoted(String question) {
        Matcher m = Pattern.compile("\"(.*)\"", Pattern.DOTALL).matcher(question);
        assertThat(m.find()).as(question).isTrue();
        return m.group(1);
    }

    static String evidence(String text, Qa qa, int i) {
        Qa.Evidence e = qa.evidence().get(i);
        return text.substring(e.begin(), e.end());
    }

    @Test
    void clozeFilledWithTheAnswerIsTheEvidenceSentence() {
        for (QaKind kind : List.of(QaKind.CLOZE_NUMBER, QaKind.CLOZE_NAME)) {
            Set<String> answers = new HashSet<>();
            for (int seed = 0; seed < SEEDS; seed++) {
                Qa qa = ProgrammaticQuestions.single(kind, TEXT, true, new SplittableRandom(seed)).orElseThrow();
                assertThat(qa.kind()).isEqualTo(kind);
                String q = quoted(qa.question());
                assertThat(q).containsOnlyOnce(ProgrammaticQuestions.BLANK);
                Matcher a = Pattern.compile("^The missing (number|name) is (.+)\\.$").matcher(qa.answer());
                assertThat(a.matches()).as(qa.answer()).isTrue();
                String value = a.group(2);
                answers.add(value);
                assertThat(q.replace(ProgrammaticQuestions.BLANK, value)).isEqualTo(evidence(TEXT, qa, 0));
                assertThat(qa.unambiguousIn(TEXT)).isTrue();
            }
            if (kind == QaKind.CLOZE_NUMBER) {
                assertThat(answers).containsExactlyInAnyOrder("1,250", "3", "12.5", "48");
            } else {
                // Geneva, Maria Lopez, Élodie Fabre; "The", "It" and "Funding" at sentence starts can never be blanked
                assertThat(answers).contains("Geneva", "Maria Lopez", "Tuesday").doesNotContain("The", "It", "Nobody", "Funding");
            }
        }
    }

    @Test
    void nextWordEvidenceIsThePhraseThenTheWord() {
        for (int seed = 0; seed < SEEDS; seed++) {
            Qa qa = ProgrammaticQuestions.single(QaKind.NEXT_WORD, TEXT, true, new SplittableRandom(seed)).orElseThrow();
            String phrase = quoted(qa.question());
            Matcher a = Pattern.compile("^The next word is \"(.+)\"\\.$").matcher(qa.answer());
            assertThat(a.matches()).as(qa.answer()).isTrue();
            String ev = evidence(TEXT, qa, 0);
            assertThat(ev).startsWith(phrase);
            Matcher rest = Pattern.compile("^\\s+(\\S+)$").matcher(ev.substring(phrase.length()));
            assertThat(rest.matches()).as(ev).isTrue();
            assertThat(ProgrammaticQuestions.bare(rest.group(1))).isEqualTo(a.group(1));
            assertThat(Sentences.words(phrase)).isEqualTo(6);
        }
    }

    /** "the" follows almost any phrase: an answer a model could give without reading the context. */
    @Test
    void nextWordIsNeverAStopWord() {
        String text = "The members of the board agreed that the plan of the city should go to the voters in the spring. "
                + "After a long debate on the cost of the new bridge they turned to the question of the harbour.";
        Set<String> answers = new HashSet<>();
        for (int seed = 0; seed < 200; seed++) {
            Qa qa = ProgrammaticQuestions.single(QaKind.NEXT_WORD, text, true, new SplittableRandom(seed)).orElseThrow();
            Matcher a = Pattern.compile("^The next word is \"(.+)\"\\.$").matcher(qa.answer());
            assertThat(a.matches()).as(qa.answer()).isTrue();
            answers.add(a.group(1));
        }
        assertThat(answers).noneMatch(StopWords::contains).contains("plan", "city", "voters", "bridge", "harbour");
        // only stop words follow: no question at all
        assertThat(ProgrammaticQuestions.single(QaKind.NEXT_WORD, "one two three four five six the of and to in it",
                true, new SplittableRandom(1))).isEmpty();
    }

    @Test
    void theStopWordListIsSnowballsEnglishListAndItsAdditions() {
        assertThat(StopWords.size()).isEqualTo(174 + 7);
        assertThat(List.of("the", "of", "The", "OF", "would", "don't", "don\u2019t", "will", "may", "us", "yourselves"))
                .allMatch(StopWords::contains);
        assertThat(List.of("congress", "harbour", "mine", "one", "said")).noneMatch(StopWords::contains);
    }

    /** A capitalised sentence start is not a name, even where the sentence splitter misses the start. */
    @Test
    void aNameMustAlsoBeCapitalisedInsideASentence() {
        String text = "The report said: Throughout the year the farmers of Lyon met in Geneva every week. "
                + "Well, the council in Geneva agreed: Are the farmers of Lyon ready for the harvest?";
        Set<String> answers = new HashSet<>();
        for (int seed = 0; seed < SEEDS; seed++) {
            ProgrammaticQuestions.single(QaKind.CLOZE_NAME, text, true, new SplittableRandom(seed))
                    .ifPresent(qa -> answers.add(qa.answer()));
        }
        assertThat(answers).containsExactlyInAnyOrder("The missing name is Lyon.", "The missing name is Geneva.");
        // evidence comes from the whole document, not only the segment: "Throughout" is a name nowhere,
        // "Varnholm" is one because the document has it inside a sentence
        String segment = "The ferry left at dawn: Varnholm lay ahead of the boat in the fog. Throughout, the crew kept silent.";
        Set<String> fromDoc = new HashSet<>();
        for (int seed = 0; seed < SEEDS; seed++) {
            ProgrammaticQuestions.single(QaKind.CLOZE_NAME, segment, true,
                    () -> Names.in(segment + " The keepers of Varnholm repaint the tower each spring."), new SplittableRandom(seed))
                    .ifPresent(qa -> fromDoc.add(qa.answer()));
        }
        assertThat(fromDoc).containsExactly("The missing name is Varnholm.");
        assertThat(ProgrammaticQuestions.single(QaKind.CLOZE_NAME, segment, true, new SplittableRandom(1))).isEmpty();
        // "The United States": the leading stop word stays in the sentence, the name is blanked
        String us = "Trade with the United States grew by a third, and the United States sent two envoys.";
        Qa qa = ProgrammaticQuestions.single(QaKind.CLOZE_NAME, us, true, new SplittableRandom(2)).orElseThrow();
        assertThat(qa.answer()).isEqualTo("The missing name is United States.");
    }

    /** A blanked number is a whole token: never a piece of a fraction, range or date. */
    @Test
    void aBlankedNumberIsAWholeToken() {
        String text = "Over the past 2 1/2 years we have built 40 schools, at 9-1/2 million dollars in all. "
                + "The fiscal years 1930-31 saw 3/4 of the budget spent by December 7, 1941 at the latest. "
                + "A sum of $1.00 3/4 was paid in October on 12/7/1941 for 1990s goods.";
        Set<String> answers = new HashSet<>();
        for (int seed = 0; seed < 200; seed++) {
            ProgrammaticQuestions.single(QaKind.CLOZE_NUMBER, text, true, new SplittableRandom(seed))
                    .ifPresent(qa -> answers.add(qa.answer()));
        }
        assertThat(answers).containsExactlyInAnyOrder("The missing number is 40.", "The missing number is 1941.");
        assertThat(ProgrammaticQuestions.wholeToken("a (48) b", 3, 5)).isTrue();
        assertThat(ProgrammaticQuestions.wholeToken("rose 12.5% then", 5, 9)).isTrue();
        assertThat(ProgrammaticQuestions.wholeToken("cost 2,000, then", 5, 10)).isTrue();
        assertThat(ProgrammaticQuestions.wholeToken("in 1930-31 then", 3, 7)).isFalse();
        assertThat(ProgrammaticQuestions.wholeToken("past 2 \u00BD years", 5, 6)).isFalse();
    }

    @Test
    void nextSentenceEvidenceIsTheQuotedSentenceThenTheAnswer() {
        for (int seed = 0; seed < SEEDS; seed++) {
            Qa qa = ProgrammaticQuestions.single(QaKind.NEXT_SENTENCE, TEXT, true, new SplittableRandom(seed)).orElseThrow();
            String first = quoted(qa.question());
            Matcher a = Pattern.compile("^The next sentence is: \"(.+)\"$").matcher(qa.answer());
            assertThat(a.matches()).as(qa.answer()).isTrue();
            String ev = evidence(TEXT, qa, 0);
            assertThat(ev).startsWith(first).endsWith(a.group(1));
            assertThat(ev.substring(first.length(), ev.length() - a.group(1).length())).isBlank().isNotEmpty();
        }
    }

    /** meta.evidence joins pieces with "\n": a next-sentence evidence never spans a line break. */
    @Test
    void nextSentenceNeverSpansALineBreak() {
        String text = "The committee met on Tuesday in Geneva to settle the budget.\nIt approved 1,250 new grants for the coming year.";
        assertThat(ProgrammaticQuestions.single(QaKind.NEXT_SENTENCE, text, true, new SplittableRandom(1))).isEmpty();
        String both = text + " Nobody expected the vote to pass so quickly.";
        for (int seed = 0; seed < 20; seed++) {
            Qa qa = ProgrammaticQuestions.single(QaKind.NEXT_SENTENCE, both, true, new SplittableRandom(seed)).orElseThrow();
            assertThat(evidence(both, qa, 0)).doesNotContain("\n").startsWith("It approved");
        }
    }

    static final List<String> DOC = List.of(
            "The bakery on Rue Verte sold 2,400 loaves during the first week of March. Customers queued",
            "around the block every morning. Jonathan Reeve said the new oven cost 18,750 euros in total. "
                    + "Most of the flour came from farms near Lyon.",
            "The mayor visited on Friday and praised the 12 young apprentices. Sales fell slightly in April.");

    @Test
    void orderNamesTheStatementThatComesFirst() {
        List<Boolean> starts = List.of(true, false, true);
        String doc = String.join(" ", DOC);
        int made = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            Optional<Qa> o = ProgrammaticQuestions.multi(QaKind.ORDER, DOC, starts, new SplittableRandom(seed));
            if (o.isEmpty()) {
                continue;
            }
            made++;
            Qa qa = o.get();
            Matcher m = Pattern.compile("\\(A\\) \"(.+)\"\\n\\(B\\) \"(.+)\"\\n").matcher(qa.question());
            assertThat(m.find()).isTrue();
            String a = m.group(1);
            String b = m.group(2);
            String named = qa.answer().equals("Statement (A) comes first.") ? a : b;
            String other = named.equals(a) ? b : a;
            assertThat(qa.answer()).isIn("Statement (A) comes first.", "Statement (B) comes first.");
            assertThat(doc.indexOf(named)).isGreaterThanOrEqualTo(0).isLessThan(doc.indexOf(other));
            assertThat(qa.evidence().get(0).part()).isLessThan(qa.evidence().get(1).part());
            assertThat(evidence(DOC.get(qa.evidence().get(0).part()), qa, 0)).isEqualTo(named);
            assertThat(evidence(DOC.get(qa.evidence().get(1).part()), qa, 1)).isEqualTo(other);
            // "Customers queued" is cut by the segment boundary: never quoted
            assertThat(a + b).doesNotContain("Customers").doesNotContain("around the block");
        }
        assertThat(made).isGreaterThan(SEEDS / 2);
    }

    @Test
    void sumAddsTheTwoBlankedNumbers() {
        List<Boolean> starts = List.of(true, false, true);
        int seen = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            Optional<Qa> o = ProgrammaticQuestions.multi(QaKind.SUM, DOC, starts, new SplittableRandom(seed));
            Qa qa = o.orElseThrow();
            Matcher q = Pattern.compile("1\\. \"(.+)\"\\n2\\. \"(.+)\"\\n").matcher(qa.question());
            assertThat(q.find()).isTrue();
            Matcher a = Pattern.compile("^The missing numbers are ([\\d,]+) and ([\\d,]+), so their sum is ([\\d,]+)\\.$")
                    .matcher(qa.answer());
            assertThat(a.matches()).as(qa.answer()).isTrue();
            String e1 = evidence(DOC.get(qa.evidence().get(0).part()), qa, 0);
            String e2 = evidence(DOC.get(qa.evidence().get(1).part()), qa, 1);
            assertThat(q.group(1).replace(ProgrammaticQuestions.BLANK, a.group(1))).isEqualTo(e1);
            assertThat(q.group(2).replace(ProgrammaticQuestions.BLANK, a.group(2))).isEqualTo(e2);
            BigInteger sum = new BigInteger(a.group(1).replace(",", "")).add(new BigInteger(a.group(2).replace(",", "")));
            assertThat(new BigInteger(a.group(3).replace(",", ""))).isEqualTo(sum);
            if (a.group(1).contains(",") || a.group(2).contains(",")) {
                assertThat(a.group(3)).isEqualTo(String.format(Locale.ROOT, "%,d", sum));
            }
            assertThat(qa.evidence().get(0).part()).isLessThan(qa.evidence().get(1).part());
            seen++;
        }
        assertThat(seen).isEqualTo(SEEDS);
    }

    @Test
    void sumWithGroupedNumbers() {
        List<String> texts = List.of("The airline carried 1,234,567 passengers in its first year of service.",
                "Its rival carried 765,433 passengers over the same twelve month period.");
        Qa qa = ProgrammaticQuestions.multi(QaKind.SUM, texts, List.of(true, true), new SplittableRandom(1)).orElseThrow();
        assertThat(qa.answer()).isEqualTo("The missing numbers are 1,234,567 and 765,433, so their sum is 2,000,000.");
    }

    @Test
    void candidatesWithoutMaterialGiveNothing() {
        SplittableRandom r = new SplittableRandom(1);
        String noNumbers = "The committee met in Geneva to settle the budget for everyone. Nobody expected the vote to pass.";
        assertThat(ProgrammaticQuestions.single(QaKind.CLOZE_NUMBER, noNumbers, true, r)).isEmpty();
        assertThat(ProgrammaticQuestions.single(QaKind.CLOZE_NAME, "the committee met on a rainy day to settle the budget for everyone.", true, r)).isEmpty();
        // too short a sentence
        assertThat(ProgrammaticQuestions.single(QaKind.CLOZE_NUMBER, "It cost 5 euros.", true, r)).isEmpty();
        // the only number is in the first sentence, which is a fragment when the segment starts mid-sentence
        assertThat(ProgrammaticQuestions.single(QaKind.CLOZE_NUMBER,
                "committee approved 1,250 new grants for the coming year after the vote. Nobody expected the vote to pass so quickly.",
                false, r)).isEmpty();
        assertThat(ProgrammaticQuestions.single(QaKind.NEXT_SENTENCE, "Only one sentence stands here in this short segment.", true, r)).isEmpty();
        assertThat(ProgrammaticQuestions.single(QaKind.NEXT_WORD, "Too few words here.", true, r)).isEmpty();
        assertThat(ProgrammaticQuestions.single(QaKind.NEXT_WORD, "東京は日本の首都です。北京是中国的首都。", true, r)).isEmpty();
        assertThat(ProgrammaticQuestions.multi(QaKind.SUM, List.of(TEXT), List.of(true), r)).isEmpty();
        assertThat(ProgrammaticQuestions.multi(QaKind.SUM, List.of(TEXT, noNumbers), List.of(true, true), r)).isEmpty();
        assertThat(ProgrammaticQuestions.multi(QaKind.ORDER, List.of("tiny.", "also tiny."), List.of(true, true), r)).isEmpty();
        // years and days of the month are not summed
        assertThat(ProgrammaticQuestions.multi(QaKind.SUM,
                List.of("The bridge over the river was finally opened to traffic in 1987 by the mayor.",
                        "The festival always begins on March 14 with a parade through the old town."),
                List.of(true, true), r)).isEmpty();
        assertThatThrownBy(() -> ProgrammaticQuestions.single(QaKind.SUM, TEXT, true, r)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgrammaticQuestions.multi(QaKind.CLOZE_NAME, DOC, List.of(true, true, true), r))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aContextRepeatingTheQuoteIsAmbiguous() {
        for (QaKind kind : QaKind.single()) {
            for (int seed = 0; seed < 10; seed++) {
                Qa qa = ProgrammaticQuestions.single(kind, TEXT, true, new SplittableRandom(seed)).orElseThrow();
                assertThat(qa.unambiguousIn("Filler text.\n\n" + TEXT + "\n\nMore filler.")).isTrue();
                assertThat(qa.unambiguousIn(TEXT + "\n\n" + TEXT)).as(kind.toString()).isFalse();
                assertThat(qa.unambiguousIn("Nothing relevant at all.")).isFalse();
            }
        }
        // a cloze is ambiguous where another sentence differs only in the blanked value
        Qa qa = ProgrammaticQuestions.single(QaKind.CLOZE_NUMBER, "It approved 1,250 new grants for the coming year, said Maria.",
                true, new SplittableRandom(1)).orElseThrow();
        assertThat(qa.unambiguousIn("It approved 1,250 new grants for the coming year, said Maria.")).isTrue();
        assertThat(qa.unambiguousIn("It approved 1,250 new grants for the coming year, said Maria.\n\n"
                + "It approved 977 new grants for the coming year, said Maria.")).isFalse();
    }

    @Test
    void noQuestionUsesTheEvaluationProbesPhrasing() {
        List<String> probes = List.of("which sentence contains", "which function", "contains the fragment", "label and description",
                "contains the snippet");
        SplittableRandom r = new SplittableRandom(9);
        int made = 0;
        for (int i = 0; i < 300; i++) {
            String doc = In2Fixtures.document(r, 2, true, null);
            for (QaKind kind : QaKind.single()) {
                Optional<Qa> qa = ProgrammaticQuestions.single(kind, doc, true, r);
                if (qa.isPresent()) {
                    made++;
                    String q = qa.get().question().toLowerCase(Locale.ROOT);
                    probes.forEach(p -> assertThat(q).doesNotContain(p));
                }
            }
            String[] halves = {doc.substring(0, doc.length() / 2), doc.substring(doc.length() / 2)};
            for (QaKind kind : QaKind.multiSegment()) {
                Optional<Qa> qa = ProgrammaticQuestions.multi(kind, List.of(halves), List.of(true, false), r);
                if (qa.isPresent()) {
                    made++;
                    String q = qa.get().question().toLowerCase(Locale.ROOT);
                    probes.forEach(p -> assertThat(q).doesNotContain(p));
                }
            }
        }
        assertThat(made).isGreaterThan(500);
    }
}
