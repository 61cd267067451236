package dev.granular.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.corpus.CorpusOptions;
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
        ProbeJob.Spec spec = new ProbeJob.Spec(ProbeTask.NEEDLE, null, List.of(), CorpusOptions.defaults(),
                ProbeFixtures.config(2000, 40, 10, 1), "o200k_base", List.of(300, 600), List.of(0, 50, 100), Needle.BUILTIN,
                tmp.resolve("needle"), 100, false, List.of("probe"));

        ProbeJob.Result r = ProbeJob.run(spec, seen::add);

        assertThat(r.probes()).isEqualTo(6);
        assertThat(seen.sum()).isEqualTo(6);
    }
}
