package dev.granular.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link EvalComparison}: finished eval runs read from their scores.json and written side by side. */
class EvalComparisonTest {
    @TempDir
    Path tmp;

    private Path run(String name, String scores) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir.resolve("report"));
        Files.writeString(dir.resolve("report/scores.json"), scores);
        return dir;
    }

    @Test
    void readsEachRunsTasksAndWritesTheComparison() throws IOException {
        Path base = run("eval-base", """
                {"tasks": {"document": {"avg": 0.7, "gap": 0.3, "bins": [0.9, 0.6, null]}}, "all": {"avg": 0.7, "gap": 0.3}}""");
        Path tuned = run("eval-in2", """
                {"tasks": {"document": {"avg": 0.85, "gap": 0.1, "bins": [0.9, 0.85, 0.8]}}, "all": {"avg": 0.85, "gap": 0.1}}""");
        Path out = tmp.resolve("compare");

        List<EvalComparison.Run> runs = EvalComparison.write(List.of(base, tuned), out);

        assertThat(runs).extracting(EvalComparison.Run::name).containsExactly("eval-base", "eval-in2");
        EvalComparison.Scores doc = runs.get(0).tasks().get("document");
        assertThat(doc.avg()).isEqualTo(0.7);
        assertThat(doc.gap()).isEqualTo(0.3);
        assertThat(doc.bins()).hasSize(3).startsWith(0.9, 0.6);
        assertThat(doc.bins().get(2)).isNaN();   // a bin without probes
        assertThat(runs.get(1).tasks().keySet()).containsExactly("document", "All");
        assertThat(runs.get(1).tasks().get("All").bins()).isEmpty();
        assertThat(EvalComparison.read(List.of(base, tuned))).isEqualTo(runs);

        assertThat(out.resolve("compare.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("compare.md"))).contains("| eval-in2 | 85.0 | 10.0 | 85.0 | 10.0 |");
        assertThat(Files.readString(out.resolve("compare.html"))).contains("<td>eval-base</td><td>70.0</td><td>30.0</td>");
    }

    @Test
    void aFolderThatIsNotAFinishedEvalIsBadInputNamingTheFile() {
        Path missing = tmp.resolve("not-an-eval");
        assertThatThrownBy(() -> EvalComparison.read(List.of(missing))).isInstanceOf(BadInputException.class)
                .hasMessageContaining("scores.json").hasMessageContaining("not a finished granular eval run");
    }
}
