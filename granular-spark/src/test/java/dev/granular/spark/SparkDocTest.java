package dev.granular.spark;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        Map<String, String> tagged = tagged(Files.readString(
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

    /** The regions between tag::NAME[] and end::NAME[], without their common indentation. */
    private static Map<String, String> tagged(String source) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("// tag::(\\w+)\\[]\\n(.*?)\\n\\s*// end::\\1\\[]", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            out.put(m.group(1), m.group(2).stripIndent() + "\n");
        }
        return out;
    }
}
