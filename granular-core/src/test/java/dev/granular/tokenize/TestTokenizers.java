package dev.granular.tokenize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/** Where the tests find the real tokenizer files, and which tokenizers they run. */
final class TestTokenizers {

    /** The Hugging Face tokenizers fetched by scripts/fetch-test-assets. */
    static final List<String> HUGGING_FACE = List.of("qwen3", "llama3", "gemma3", "llama2");

    /** Every tokenizer the contract tests run: the built-in encodings, then the Hugging Face ones. */
    static final List<String> ALL = List.of("o200k_base", "cl100k_base", "qwen3", "llama3", "gemma3", "llama2");

    private TestTokenizers() {
    }

    /** The spec that loads tokenizer {@code id}: the name itself, or the asset directory. */
    static String spec(String id) {
        return HUGGING_FACE.contains(id) ? tokenizerDir(id).toString() : id;
    }

    /**
     * True for tokenizers whose decoder drops one leading space (Llama 2's SentencePiece
     * {@code Strip} decoder): it undoes the {@code ▁} its normalizer prepends, but also eats the
     * space of a slice that starts with a word-initial {@code ▁} token.
     */
    static boolean stripsLeadingSpace(String id) {
        return id.equals("llama2");
    }

    /** {@code .test-assets/tokenizers/NAME}; fails the test when the assets were not fetched. */
    static Path tokenizerDir(String name) {
        Path dir = assetsDir().resolve("tokenizers").resolve(name);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("missing test asset " + dir.resolve("tokenizer.json") + ": run scripts/fetch-test-assets");
        }
        return dir;
    }

    /** The system property granular.testAssets (set by surefire), else .test-assets above the working directory. */
    static Path assetsDir() {
        String property = System.getProperty("granular.testAssets");
        if (property != null && !property.isBlank() && !property.contains("${")) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".test-assets"))) {
                return dir.resolve(".test-assets");
            }
        }
        return fail("no .test-assets folder above " + Path.of("").toAbsolutePath()
                + " and no -Dgranular.testAssets: run scripts/fetch-test-assets");
    }
}
