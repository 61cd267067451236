package dev.granular.report;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Pearson's chi-square goodness-of-fit test against the uniform distribution, used to check that
 * needle positions, answer slots and the like are spread evenly over their bins.
 */
public final class Uniformity {

    private Uniformity() {
    }

    /**
     * The chi-square statistic {@code sum((o - e)^2 / e)} of {@code observed} against equal expected
     * counts {@code e = total / bins}.
     *
     * @throws IllegalArgumentException if there are fewer than two bins, a count is negative or all
     *     counts are zero
     */
    public static double chiSquareStatistic(long[] observed) {
        long total = checkedTotal(observed);
        double expected = (double) total / observed.length;
        double sum = 0;
        for (long o : observed) {
            double d = o - expected;
            sum += d * d;
        }
        return sum / expected;
    }

    /**
     * The p-value of Pearson's chi-square test that {@code observed} comes from a uniform
     * distribution over its bins: the probability, under uniformity, of a statistic at least as
     * large as {@link #chiSquareStatistic}, from the chi-squared distribution with
     * {@code bins - 1} degrees of freedom. Near 1 means "as even as chance allows"; a tiny value
     * means the counts are very unlikely to be uniform. Like any chi-square test it assumes
     * expected counts of about five or more per bin.
     *
     * @throws IllegalArgumentException if there are fewer than two bins, a count is negative or all
     *     counts are zero (no observations, no evidence either way)
     */
    public static double chiSquarePValue(long[] observed) {
        double statistic = chiSquareStatistic(observed);
        return ChiSquaredDistribution.of(observed.length - 1).survivalProbability(statistic);
    }

    private static long checkedTotal(long[] observed) {
        if (observed.length < 2) {
            throw new IllegalArgumentException(
                    "a uniformity test needs at least two bins, got " + observed.length);
        }
        long total = 0;
        for (long o : observed) {
            if (o < 0) {
                throw new IllegalArgumentException("negative count " + o);
            }
            total = Math.addExact(total, o);
        }
        if (total == 0) {
            throw new IllegalArgumentException("no observations: all counts are zero");
        }
        return total;
    }
}
