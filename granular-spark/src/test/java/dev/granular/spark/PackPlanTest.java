package dev.granular.spark;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The packing plan: windows packed one by one (rows numbered on across windows), places found by (file, line). */
class PackPlanTest {
    static long place(long row, int slot) {
        return row << 32 | slot;
    }

    @Test
    void eachWindowIsPackedAloneAndRowsAreNumberedOnAcrossWindows() {
        // Window 1 (examples 0-2, lengths 5 3 4): 5 opens row 0, 4 opens row 1, 3 fills row 0 (the least room that fits).
        // Window 2 (examples 3-4, lengths 2 6): 6 opens row 2, 2 joins it.
        PackPlan plan = PackPlan.of(2, new int[]{0, 0, 0, 1, 1}, new long[]{1, 2, 4, 1, 3}, new int[]{5, 3, 4, 2, 6}, 8, 3);
        assertThat(plan.rows()).isEqualTo(3);
        assertThat(plan.place(0, 1)).isEqualTo(place(0, 0));
        assertThat(plan.place(0, 2)).isEqualTo(place(0, 1));
        assertThat(plan.place(0, 4)).isEqualTo(place(1, 0));
        assertThat(plan.place(1, 3)).isEqualTo(place(2, 0));
        assertThat(plan.place(1, 1)).isEqualTo(place(2, 1));
        assertThat(PackPlan.row(plan.place(1, 1))).isEqualTo(2);

        PackPlan oneWindow = PackPlan.of(2, new int[]{0, 0, 0, 1, 1}, new long[]{1, 2, 4, 1, 3}, new int[]{5, 3, 4, 2, 6}, 8, 100);
        // One window of all five: the longest of all (6, file 1 line 3) opens row 0, and the rows come in another order.
        assertThat(oneWindow.place(1, 3)).isEqualTo(place(0, 0));
        assertThat(oneWindow.place(0, 1)).isEqualTo(place(1, 0));
        assertThat(oneWindow.place(0, 4)).isEqualTo(place(2, 0));
    }

    @Test
    void aLineWithoutAnExampleOrOutOfOrderInputIsRefused() {
        PackPlan plan = PackPlan.of(1, new int[]{0}, new long[]{7}, new int[]{3}, 8, 10);
        assertThatThrownBy(() -> plan.place(0, 6)).isInstanceOf(IllegalStateException.class).hasMessageContaining("line 6");
        assertThatThrownBy(() -> PackPlan.of(1, new int[]{0, 0}, new long[]{2, 1}, new int[]{3, 3}, 8, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not in input order");
        assertThatThrownBy(() -> PackPlan.of(1, new int[]{0}, new long[]{1}, new int[]{9}, 8, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9 tokens");
    }
}
