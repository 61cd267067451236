package dev.granular.report;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;

/**
 * Counts of values in equal-width bins over {@code [min, max]}.
 *
 * <p>Bin {@code i} holds values in {@code [edges()[i], edges()[i + 1])}; the last bin is closed
 * and also holds values equal to {@code max}. Values outside {@code [min, max]} are not rejected:
 * they are counted in {@link #below()} and {@link #above()}, so a report can say how many fell
 * off the plot. NaN is rejected, since it has no place on any axis.
 *
 * <p>The record is immutable: the {@code counts} array is copied on the way in and out.
 *
 * @param min lower edge of the first bin (finite)
 * @param max upper edge of the last bin (finite, greater than {@code min})
 * @param counts the number of values in each bin; at least one bin
 * @param below the number of values smaller than {@code min}
 * @param above the number of values greater than {@code max}
 */
public record Histogram(double min, double max, long[] counts, long below, long above) {

    /** Most bins {@link #ofIntegers} will make, to keep reports and plots small. */
    public static final int MAX_INTEGER_BINS = 100_000;

    public Histogram {
        checkRange(min, max);
        Objects.requireNonNull(counts, "counts");
        if (counts.length == 0) {
            throw new IllegalArgumentException("need at least one bin");
        }
        counts = counts.clone();
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("negative count " + c);
            }
        }
        if (below < 0 || above < 0) {
            throw new IllegalArgumentException("negative below/above count");
        }
    }

    /** A histogram of {@code values} in {@code bins} equal bins over {@code [min, max]}. */
    public static Histogram of(double min, double max, int bins, DoubleStream values) {
        Builder b = builder(min, max, bins);
        values.sequential().forEach(b::add);
        return b.build();
    }

    /** A histogram of {@code values} in {@code bins} equal bins over {@code [min, max]}. */
    public static Histogram of(double min, double max, int bins, double... values) {
        return of(min, max, bins, Arrays.stream(values));
    }

    /**
     * One bin per integer in {@code [min, max]}: bin {@code k - min} counts the value {@code k}, and
     * its edges are {@code [k, k + 1)}, so the histogram's own range is {@code [min, max + 1]}.
     * Suited to small discrete quantities such as a needle's slot or a turn count.
     *
     * @throws IllegalArgumentException if {@code max < min} or the range needs more than
     *     {@link #MAX_INTEGER_BINS} bins
     */
    public static Histogram ofIntegers(int min, int max, IntStream values) {
        long bins = (long) max - min + 1;
        if (bins < 1 || bins > MAX_INTEGER_BINS) {
            throw new IllegalArgumentException(
                    "integer range [" + min + ", " + max + "] needs 1.." + MAX_INTEGER_BINS + " bins");
        }
        long[] counts = new long[(int) bins];
        long[] outside = new long[2];
        values.sequential().forEach(v -> {
            if (v < min) {
                outside[0]++;
            } else if (v > max) {
                outside[1]++;
            } else {
                counts[v - min]++;
            }
        });
        return new Histogram(min, (double) max + 1, counts, outside[0], outside[1]);
    }

    /** An empty accumulator for {@code bins} equal bins over {@code [min, max]}. */
    public static Builder builder(double min, double max, int bins) {
        return new Builder(min, max, bins);
    }

    /** The number of bins. */
    public int bins() {
        return counts.length;
    }

    /** A copy of the per-bin counts. */
    @Override
    public long[] counts() {
        return counts.clone();
    }

    /** The count in bin {@code i}. */
    public long count(int i) {
        return counts[i];
    }

    /** The width of every bin. */
    public double binWidth() {
        return (max - min) / counts.length;
    }

    /** The {@code bins() + 1} bin edges, from exactly {@code min} to exactly {@code max}. */
    public double[] edges() {
        return edges(min, max, counts.length);
    }

    /** The number of values inside {@code [min, max]}, i.e. the sum of the bin counts. */
    public long total() {
        long sum = 0;
        for (long c : counts) {
            sum += c;
        }
        return sum;
    }

    /**
     * The histogram for {@code summary.json}, in this order: {@code min}, {@code max},
     * {@code bin_width}, {@code counts}, {@code edges}, then {@code below} and {@code above}.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("min", min);
        json.put("max", max);
        json.put("bin_width", binWidth());
        json.put("counts", counts());
        json.put("edges", edges());
        json.put("below", below);
        json.put("above", above);
        return json;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Histogram h
                && Double.compare(min, h.min) == 0
                && Double.compare(max, h.max) == 0
                && below == h.below
                && above == h.above
                && Arrays.equals(counts, h.counts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(min, max, below, above, Arrays.hashCode(counts));
    }

    @Override
    public String toString() {
        return "Histogram[min=" + min + ", max=" + max + ", counts=" + Arrays.toString(counts)
                + ", below=" + below + ", above=" + above + "]";
    }

    private static void checkRange(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(min < max)) {
            throw new IllegalArgumentException("need finite min < max, got [" + min + ", " + max + "]");
        }
    }

    private static double[] edges(double min, double max, int bins) {
        double[] edges = new double[bins + 1];
        for (int i = 0; i < bins; i++) {
            edges[i] = min + (max - min) * i / bins;
        }
        edges[bins] = max;
        return edges;
    }

    /**
     * Adds values one at a time, for commands that see them while streaming. Not thread-safe:
     * give each worker its own builder and {@link #addAll(Builder) merge} them (serializable, so that a
     * distributed job's tasks can send theirs back).
     */
    public static final class Builder implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final double min;
        private final double max;
        private final double[] edges;
        private final long[] counts;
        private long below;
        private long above;

        private Builder(double min, double max, int bins) {
            if (bins < 1) {
                throw new IllegalArgumentException("need at least one bin, got " + bins);
            }
            checkRange(min, max);
            this.min = min;
            this.max = max;
            this.edges = edges(min, max, bins);
            this.counts = new long[bins];
        }

        /**
         * Counts one value.
         *
         * @throws IllegalArgumentException if {@code x} is NaN
         */
        public Builder add(double x) {
            if (Double.isNaN(x)) {
                throw new IllegalArgumentException("NaN has no bin");
            }
            if (x < min) {
                below++;
            } else if (x > max) {
                above++;
            } else {
                counts[binOf(x)]++;
            }
            return this;
        }

        /** Adds the counts of {@code other}, which must have the same range and bins. */
        public Builder addAll(Builder other) {
            if (Double.compare(min, other.min) != 0 || Double.compare(max, other.max) != 0
                    || counts.length != other.counts.length) {
                throw new IllegalArgumentException("cannot merge histograms with different bins");
            }
            for (int i = 0; i < counts.length; i++) {
                counts[i] += other.counts[i];
            }
            below += other.below;
            above += other.above;
            return this;
        }

        /** The histogram of the values added so far. */
        public Histogram build() {
            return new Histogram(min, max, counts, below, above);
        }

        /** The bin of {@code x} in [min, max], consistent with {@link #edges} despite rounding. */
        private int binOf(double x) {
            int last = counts.length - 1;
            int i = (int) Math.min(last, Math.floor((x - min) / (max - min) * counts.length));
            i = Math.max(0, i);
            if (i < last && x >= edges[i + 1]) {
                i++;
            } else if (i > 0 && x < edges[i]) {
                i--;
            }
            return i;
        }
    }
}
