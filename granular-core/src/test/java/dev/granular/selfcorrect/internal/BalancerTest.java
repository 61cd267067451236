package dev.granular.selfcorrect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BalancerTest {
    /** {@code good} tasks with one right answer each, {@code bad} tasks with one wrong answer each. */
    static List<Candidate> pool(int good, int bad) {
        List<Candidate> out = new ArrayList<>();
        long i = 0;
        for (int g = 0; g < good; g++) {
            out.add(new Candidate(i++, "g" + g, 0, true, "right " + g));
        }
        for (int b = 0; b < bad; b++) {
            out.add(new Candidate(i++, "b" + b, 0, false, "wrong " + b));
        }
        return out;
    }

    @Test
    void keepsMinOfGOverOneMinusRAndBOverR() {
        Balancer.Selection s = Balancer.select(pool(10, 2), 2, 0.5, 7);
        assertThat(s.good()).hasSize(2);
        assertThat(s.bad()).hasSize(2);
        assertThat(s.ratio()).isEqualTo(0.5);

        Balancer.Selection t = Balancer.select(pool(6, 30), 2, 0.25, 7);
        // min(6 / 0.75, 30 / 0.25) = 8 → 2 bad, 6 good
        assertThat(t.bad()).hasSize(2);
        assertThat(t.good()).hasSize(6);
        assertThat(t.goodCandidates()).isEqualTo(6);
        assertThat(t.badCandidates()).isEqualTo(30);
    }

    @Test
    void ratioZeroKeepsOnlyGoodAndOneOnlyBad() {
        assertThat(Balancer.select(pool(3, 4), 2, 0, 1).bad()).isEmpty();
        assertThat(Balancer.select(pool(3, 4), 2, 0, 1).good()).hasSize(3);
        assertThat(Balancer.select(pool(3, 4), 2, 1, 1).good()).isEmpty();
        assertThat(Balancer.select(pool(3, 4), 2, 1, 1).bad()).hasSize(4);
    }

    @Test
    void selectionIsASeededFunctionOfTheCandidatesNotOfTheirOrder() {
        List<Candidate> a = pool(40, 9);
        List<Candidate> b = new ArrayList<>(a);
        Collections.shuffle(b, new Random(3));
        assertThat(Balancer.select(b, 2, 0.5, 11)).isEqualTo(Balancer.select(a, 2, 0.5, 11));
        List<Candidate> otherSeed = Balancer.select(a, 2, 0.5, 12).good();
        assertThat(otherSeed).hasSize(9).isNotEqualTo(Balancer.select(a, 2, 0.5, 11).good());
    }

    @Test
    void capsPerQuestionAndCountsIdenticalAnswersOnce() {
        List<Candidate> c = List.of(
                new Candidate(0, "q", 0, false, "#### 6"),
                new Candidate(1, "q", 1, false, "#### 6"),
                new Candidate(2, "q", 2, false, "#### 7"),
                new Candidate(3, "q", 3, false, "#### 9"),
                new Candidate(4, "q", 4, true, "#### 8"));
        List<Candidate> capped = Balancer.cap(c, 2, 5);
        assertThat(capped.stream().filter(x -> !x.correct())).hasSize(2).noneMatch(x -> x.index() == 1);
        assertThat(capped.stream().filter(Candidate::correct)).hasSize(1);
    }

    @Test
    void badSettingsAreUsageErrors() {
        assertThatThrownBy(() -> Balancer.select(pool(1, 1), 2, 1.5, 0)).isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> Balancer.select(pool(1, 1), 0, 0.5, 0)).isInstanceOf(BadInputException.class);
    }
}
