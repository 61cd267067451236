package dev.granular.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class UniformityTest {

    @Test
    void perfectlyEvenCountsGivePOne() {
        assertThat(Uniformity.chiSquareStatistic(new long[] {10, 10, 10, 10})).isZero();
        assertThat(Uniformity.chiSquarePValue(new long[] {10, 10, 10, 10})).isEqualTo(1.0);
    }

    @Test
    void twoDegreesOfFreedomMatchTheClosedForm() {
        // Expected 30 each: chi2 = (100 + 0 + 100) / 30; with df = 2 the survival is exp(-chi2 / 2).
        double chi2 = 200.0 / 30;
        assertThat(Uniformity.chiSquareStatistic(new long[] {20, 30, 40})).isCloseTo(chi2, within(1e-12));
        assertThat(Uniformity.chiSquarePValue(new long[] {20, 30, 40}))
                .isCloseTo(Math.exp(-chi2 / 2), within(1e-12))
                .isCloseTo(0.035673993347252, within(1e-12));
    }

    @Test
    void matchesTheTextbookDieExample() {
        // A die thrown 60 times: chi2 = 13.4 with 5 df, p = 0.019905... (scipy.stats.chisquare agrees).
        long[] faces = {5, 8, 9, 8, 10, 20};
        assertThat(Uniformity.chiSquareStatistic(faces)).isCloseTo(13.4, within(1e-12));
        assertThat(Uniformity.chiSquarePValue(faces)).isCloseTo(0.01990522033477438, within(1e-9));
    }

    @Test
    void matchesACoinExampleWithOneDegreeOfFreedom() {
        // 44 heads, 56 tails: chi2 = 1.44, p = 0.230139...
        assertThat(Uniformity.chiSquarePValue(new long[] {44, 56})).isCloseTo(0.23013934044341314, within(1e-9));
    }

    @Test
    void acceptsUniformSamplesAndRejectsSkewedOnes() {
        Random random = new Random(20240521);
        Histogram uniform = Histogram.of(0, 1, 10, random.doubles(10_000).toArray());
        // Squaring a uniform value piles it up near 0.
        Histogram skewed = Histogram.of(0, 1, 10, random.doubles(10_000).map(x -> x * x).toArray());

        assertThat(Uniformity.chiSquarePValue(uniform.counts())).isGreaterThan(0.001);
        assertThat(Uniformity.chiSquarePValue(skewed.counts())).isLessThan(1e-6);
    }

    @Test
    void rejectsDegenerateInput() {
        assertThatThrownBy(() -> Uniformity.chiSquarePValue(new long[] {7}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two bins");
        assertThatThrownBy(() -> Uniformity.chiSquarePValue(new long[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Uniformity.chiSquarePValue(new long[] {0, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no observations");
        assertThatThrownBy(() -> Uniformity.chiSquarePValue(new long[] {3, -1}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
