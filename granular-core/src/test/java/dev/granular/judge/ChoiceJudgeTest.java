package dev.granular.judge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Regression: the article "a" after "the answer is" was read as choice label A. */
class ChoiceJudgeTest {
    static final Task TASK = new Task("Which is a mammal?", "B",
            List.of(new Task.Choice("A", "shark"), new Task.Choice("B", "whale")));

    @Test
    void anArticleIsNotALabel() {
        Verdict v = new ChoiceJudge().judge(TASK, "Whales breathe air, so the answer is a whale.");
        assertThat(v.outcome()).isEqualTo(Verdict.Outcome.CORRECT);
        assertThat(v.extracted()).isEqualTo("B");
    }

    @Test
    void explicitLabelsStillWin() {
        assertThat(new ChoiceJudge().judge(TASK, "Sharks are fish.\nAnswer: B").extracted()).isEqualTo("B");
        assertThat(new ChoiceJudge().judge(TASK, "The answer is (A).").outcome()).isEqualTo(Verdict.Outcome.WRONG);
    }
}
