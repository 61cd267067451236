package dev.granular.erasure.internal;

import dev.granular.erasure.Strategy;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check finds any 8-word run of an instruction however it is cased, punctuated or wrapped. */
class LeakCheckTest {
    final Strategy s = new Strategy("s", "Break the problem into small parts and solve each part in order, showing work.", null);
    final Strategy tiny = new Strategy("tiny", "Answer tersely.", null);
    final LeakCheck check = new LeakCheck(List.of(s, tiny));

    @Test
    void findsAnEightWordRunDespiteCaseLineBreaksAndPunctuation() {
        assertThat(check.find("Sure! Small parts AND solve each part,\nin order; showing work. Final answer: 4"))
                .hasValueSatisfying(l -> assertThat(l.strategy()).isEqualTo("s"));
    }

    @Test
    void sevenWordsAreNotALeak() {
        assertThat(check.find("I solve each part in order, showing it all.")).isEmpty();
        assertThat(check.find("small parts and solve each part in")).isEmpty();
    }

    @Test
    void anInstructionShorterThanTheWindowIsLookedForWhole() {
        assertThat(check.find("They told me to answer tersely, so: 4")).hasValueSatisfying(l -> assertThat(l.strategy())
                .isEqualTo("tiny"));
        assertThat(check.find("answer quickly")).isEmpty();
    }
}
