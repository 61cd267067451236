package dev.granular.teacher.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffsetIndexTest {
    @Test
    void agreesWithAHashMapThroughGrowthAndOverwrites() {
        OffsetIndex idx = new OffsetIndex();
        Map<Long, Long> ref = new HashMap<>();
        Random rnd = new Random(7);
        for (int k = 0; k < 200_000; k++) {
            long key = k % 3 == 0 ? rnd.nextLong(Long.MAX_VALUE) : rnd.nextInt(150_000);
            long value = rnd.nextLong(Long.MAX_VALUE);
            idx.put(key, value);
            ref.put(key, value);
        }
        assertThat(idx.size()).isEqualTo(ref.size());
        ref.forEach((k, v) -> assertThat(idx.get(k)).isEqualTo(v));
        assertThat(idx.get(Long.MAX_VALUE - 1)).isEqualTo(ref.getOrDefault(Long.MAX_VALUE - 1, -1L));
    }
}
