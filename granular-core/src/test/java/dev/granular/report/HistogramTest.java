package dev.granular.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HistogramTest {

    @Test
    void countsValuesIntoHalfOpenBinsWithMaxInTheLastBin() {
        Histogram h = Histogram.of(0, 10, 5, 0, 1.99, 2, 3, 9.999, 10);

        assertThat(h.counts()).containsExactly(2, 2, 0, 0, 2);
        assertThat(h.total()).isEqualTo(6);
        assertThat(h.binWidth()).isEqualTo(2.0);
        assertThat(h.edges()).containsExactly(0, 2, 4, 6, 8, 10);
    }

    @Test
    void countsValuesOutsideTheRangeSeparately() {
        Histogram h = Histogram.of(0, 1, 2, DoubleStream.of(-0.1, 0.5, 1.0, 1.01, Double.POSITIVE_INFINITY));

        assertThat(h.counts()).containsExactly(0, 2);
        assertThat(h.below()).isEqualTo(1);
        assertThat(h.above()).isEqualTo(2);
        assertThat(h.total()).isEqualTo(2);
    }

    @Test
    void valuesOnAnEdgeGoToTheBinThatStartsThere() {
        // Tenths are not exact in binary; each edge must still open its own bin.
        Histogram.Builder b = Histogram.builder(0, 1, 10);
        double[] edges = Histogram.of(0, 1, 10).edges();
        for (int i = 0; i < 10; i++) {
            b.add(edges[i]);
        }
        assertThat(b.build().counts()).containsOnly(1L);
    }

    @Test
    void edgesEndExactlyAtMax() {
        double[] edges = Histogram.of(0.1, 0.7, 3).edges();
        assertThat(edges).hasSize(4);
        assertThat(edges[0]).isEqualTo(0.1);
        assertThat(edges[3]).isEqualTo(0.7);
    }

    @Test
    void integerHistogramHasOneBinPerValue() {
        Histogram h = Histogram.ofIntegers(1, 4, IntStream.of(0, 1, 2, 2, 4, 4, 4, 5));

        assertThat(h.counts()).containsExactly(1, 2, 0, 3);
        assertThat(h.min()).isEqualTo(1.0);
        assertThat(h.max()).isEqualTo(5.0);
        assertThat(h.binWidth()).isEqualTo(1.0);
        assertThat(h.below()).isEqualTo(1);
        assertThat(h.above()).isEqualTo(1);
    }

    @Test
    void buildersMerge() {
        Histogram.Builder a = Histogram.builder(0, 4, 4).add(0.5).add(3.5);
        Histogram.Builder b = Histogram.builder(0, 4, 4).add(0.5).add(-1);

        assertThat(a.addAll(b).build()).isEqualTo(new Histogram(0, 4, new long[] {2, 0, 0, 1}, 1, 0));
        assertThatThrownBy(() -> a.addAll(Histogram.builder(0, 4, 2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isImmutableAndComparesByContent() {
        long[] counts = {1, 2};
        Histogram h = new Histogram(0, 1, counts, 0, 0);
        counts[0] = 99;
        h.counts()[1] = 99;

        assertThat(h.counts()).containsExactly(1, 2);
        assertThat(h).isEqualTo(new Histogram(0, 1, new long[] {1, 2}, 0, 0));
        assertThat(h.hashCode()).isEqualTo(new Histogram(0, 1, new long[] {1, 2}, 0, 0).hashCode());
        assertThat(h.toString()).contains("[1, 2]");
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> Histogram.of(1, 1, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Histogram.of(0, Double.NaN, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Histogram.of(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Histogram.of(0, 1, 2, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Histogram.ofIntegers(3, 2, IntStream.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Histogram.ofIntegers(0, Integer.MAX_VALUE, IntStream.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Histogram(0, 1, new long[] {-1}, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonHasTheDocumentedFieldsInOrder() {
        Map<String, Object> json = Histogram.of(0, 4, 2, 1, 3, 3, 5).toJson();

        assertThat(json).containsOnlyKeys("min", "max", "bin_width", "counts", "edges", "below", "above");
        assertThat(json.keySet()).startsWith("min", "max", "bin_width", "counts", "edges");
        assertThat(json.get("bin_width")).isEqualTo(2.0);
        assertThat((long[]) json.get("counts")).containsExactly(1, 2);
        assertThat((double[]) json.get("edges")).containsExactly(0, 2, 4);
        assertThat(json.get("above")).isEqualTo(1L);
    }
}
