package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.granular.in2.In2;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeTask;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void runsOnTheModulePath() {
        Module core = In2.class.getModule();
        assertEquals("granular.core", core.getName());
        assertEquals("granular.example", Main.class.getModule().getName());
        assertTrue(core.isExported("dev.granular.in2"));
        assertTrue(core.isExported("dev.granular.teacher"));
        assertFalse(core.isExported("dev.granular.teacher.internal"));
        assertTrue(core.isExported("dev.granular.probe"));
        assertFalse(core.isExported("dev.granular.probe.internal"));
        // the evaluation API is usable from a module: the layout of granular probe --task document
        assertEquals(800, ProbeConfig.defaults(ProbeTask.DOCUMENT).positions());
        assertEquals(3, Main.in2Lines(3).size());
    }
}
