package dev.granular.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The number, exact, regex and auto judges on hand-made replies; spec parsing. */
class JudgeTest {
    static Task task(String answer) {
        return new Task("q", answer, List.of());
    }

    @Test
    void numbersAfterTheGsm8kMarkerOrTheLastNumberCount() {
        NumberJudge j = new NumberJudge();
        assertThat(j.judge(task("1,250"), "She has 3 boxes of 400 and 50 more.\n#### 1250").correct()).isTrue();
        assertThat(j.judge(task("72"), "48 + 24 = 72 clips in total.").correct()).isTrue();
        assertThat(j.judge(task("18"), "The answer is $18.00.").correct()).isTrue();
        Verdict wrong = j.judge(task("18"), "The answer is 16, not 18 as one might think... final answer: 16");
        assertThat(wrong.outcome()).isEqualTo(Verdict.Outcome.WRONG);
        assertThat(wrong.extracted()).isEqualTo("16");
        assertThat(j.judge(task("18"), "I am not sure.").outcome()).isEqualTo(Verdict.Outcome.UNPARSEABLE);
        assertThat(j.judge(task("-3.5"), "Answer: -3.50").correct()).isTrue();
    }

    @Test
    void exactCompareNormalisedFinalAnswers() {
        ExactJudge j = new ExactJudge();
        assertThat(j.judge(task("The Eiffel Tower"), "Let me think.\nFinal answer: eiffel tower!").correct()).isTrue();
        assertThat(j.judge(task("Paris"), "It is in France.\nParis").correct()).isTrue();
        assertThat(j.judge(task("Paris"), "Answer: Lyon").outcome()).isEqualTo(Verdict.Outcome.WRONG);
        assertThat(j.judge(task("Paris"), "   ").outcome()).isEqualTo(Verdict.Outcome.UNPARSEABLE);
        // "therefore" in the reasoning is not a final-answer marker.
        assertThat(j.judge(task("7"), "We therefore, add three.\nFinal answer: 7").correct()).isTrue();
    }

    @Test
    void regexTakesTheLastMatchAndItsGroup() {
        Judge j = Judge.parse("regex:ANSWER=(\\w+)", null);
        assertThat(j.judge(task("blue"), "ANSWER=red ... no wait ANSWER=Blue").correct()).isTrue();
        assertThat(j.judge(task("blue"), "no marker").outcome()).isEqualTo(Verdict.Outcome.UNPARSEABLE);
        assertThat(j.spec()).isEqualTo("regex:ANSWER=(\\w+)");
    }

    @Test
    void autoPicksChoiceThenNumberThenExact() {
        AutoJudge auto = new AutoJudge();
        Task mc = new Task("q", "B", List.of(new Task.Choice("A", "a rock"), new Task.Choice("B", "a whale")));
        assertThat(auto.pick(mc)).isInstanceOf(ChoiceJudge.class);
        assertThat(auto.pick(task("42"))).isInstanceOf(NumberJudge.class);
        assertThat(auto.pick(task("Paris"))).isInstanceOf(ExactJudge.class);
        assertThat(auto.judge(mc, "Whales are mammals, so the answer is (B).").correct()).isTrue();
        assertThat(auto.judge(mc, "It must be a whale.").correct()).isTrue();
    }

    @Test
    void badSpecsAreBadInput() {
        assertThatThrownBy(() -> Judge.parse("fuzzy", null)).isInstanceOf(BadInputException.class).hasMessageContaining("auto, exact");
        assertThatThrownBy(() -> Judge.parse("regex:(", null)).isInstanceOf(BadInputException.class).hasMessageContaining("regular expression");
        assertThatThrownBy(() -> Judge.parse("model:openai:x", null)).isInstanceOf(BadInputException.class);
    }
}
