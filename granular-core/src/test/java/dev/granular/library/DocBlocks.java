package dev.granular.library;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a docs page's Java blocks are kept true: each ```java block is, verbatim, a region of a compiled test source
 * between {@code // tag::NAME[]} and {@code // end::NAME[]}. Shared by LibraryDocTest and granular-spark's SparkDocTest.
 */
public final class DocBlocks {
    private DocBlocks() {
    }

    /** The page's ```java blocks, in order. */
    public static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** The regions between tag::NAME[] and end::NAME[], without their common indentation, in order. */
    public static Map<String, String> tagged(String source) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("// tag::(\\w+)\\[]\\n(.*?)\\n\\s*// end::\\1\\[]", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            out.put(m.group(1), m.group(2).stripIndent() + "\n");
        }
        return out;
    }
}
