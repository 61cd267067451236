package dev.granular.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeJobProgressTest {
    @TempDir
    Path tmp;

    @Test
    void reportsEveryProbeToTheProgress() {
        LongAdder seen = new LongAdder();
        ProbeJob.Spec spec = ProbeJob.Spec.of(ProbeTask.NEEDLE, tmp.resolve("needle")).withLengths(List.of(300, 600))
                .withDepths(List.of(0, 50, 100)).withShardSize(100);

        ProbeJob.Result r = ProbeJob.run(spec, seen::add);

        assertThat(r.probes()).isEqualTo(6);
        assertThat(seen.sum()).isEqualTo(6);
    }
}
