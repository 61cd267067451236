package dev.granular.spark;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.granular.library.DocBlocks;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/spark.md's ```java blocks are the compiled regions of {@link SparkDocExamples}, verbatim, as LibraryDocTest checks
 * docs/library.md against LibraryExamples; its runnable programs (examples/spark) are {@link SparkExamplesTest}'s.
 */
class SparkDocTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void theDocsCodeBlocksAreTheCompiledExamples() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/spark.md"));
        List<String> blocks = DocBlocks.javaBlocks(doc);
        Map<String, String> tagged = DocBlocks.tagged(Files.readString(
                ROOT.resolve("granular-spark/src/test/java/dev/granular/spark/SparkDocExamples.java")));
        assertThat(tagged).containsOnlyKeys("export", "frames", "in2", "corpus");
        assertThat(blocks).containsExactlyElementsOf(tagged.values());
    }

    @Test
    void theDocLinksOnlyExamplesThatExist() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/spark.md"));
        Matcher m = Pattern.compile("\\(\\.\\./(examples/spark/\\w+\\.java)\\)").matcher(doc);
        List<String> linked = new ArrayList<>();
        while (m.find()) {
            linked.add(m.group(1));
        }
        assertThat(linked).isNotEmpty().allSatisfy(p -> assertThat(ROOT.resolve(p)).isRegularFile());
    }

}
