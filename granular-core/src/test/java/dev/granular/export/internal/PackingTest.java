package dev.granular.export.internal;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackingTest {

    @Test
    void everyExampleOnceAndNoRowOverCapacity() {
        Random rnd = new Random(7);
        int[] lengths = rnd.ints(500, 1, 300).toArray();
        List<int[]> rows = Packing.bestFitDecreasing(lengths, 512);
        int[] seen = new int[lengths.length];
        long total = 0;
        for (int[] row : rows) {
            int sum = 0;
            for (int i : row) {
                seen[i]++;
                sum += lengths[i];
            }
            assertThat(sum).isLessThanOrEqualTo(512);
            total += sum;
        }
        assertThat(seen).containsOnly(1);
        // Best-fit decreasing is within 11/9 OPT + 1 rows; the volume bound is a lower bound on OPT.
        long lower = (total + 511) / 512;
        assertThat((long) rows.size()).isLessThanOrEqualTo(lower * 11 / 9 + 1);
    }

    @Test
    void bestFitPicksTheTightestRow() {
        // Decreasing: 6, 5, 4, 3 into rows of 10: 6 opens row 0, 5 opens row 1, 4 fits row 0 (room 4: tightest), 3 goes to row 1.
        List<int[]> rows = Packing.bestFitDecreasing(new int[]{3, 5, 6, 4}, 10);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsExactly(2, 3);
        assertThat(rows.get(1)).containsExactly(1, 0);
    }

    @Test
    void anExampleLongerThanARowIsRefused() {
        assertThatThrownBy(() -> Packing.bestFitDecreasing(new int[]{3, 11}, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("example 1 has 11 tokens; rows hold 1..10");
        assertThat(Packing.bestFitDecreasing(new int[0], 10)).isEmpty();
        assertThat(Arrays.stream(new int[]{1}).sum()).isEqualTo(1);
    }
}
