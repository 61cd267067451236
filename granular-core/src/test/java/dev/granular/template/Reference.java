package dev.granular.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The reference the tests compare against, computed at test time (so it cannot go stale): runs
 * {@code node scripts/reference-chat-template.mjs}, i.e. transformers.js's apply_chat_template and
 * tokenizer, on the same tokenizer files. Needs node and scripts/fetch-test-assets (scripts/test runs it).
 */
public final class Reference {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 300;

    /** A conversation as the reference receives it. */
    public record Conversation(String name, List<Map<String, Object>> messages, List<Object> tools, boolean addGenerationPrompt) { }

    /** What transformers.js gave for one conversation: the rendering and its ids, or an error. */
    /** {@code tokenEnds} (only with detail): for each token, the UTF-16 end in {@code text} of the decoded ids up to it. */
    public record Rendered(String text, int[] ids, String error, int[] tokenEnds) {
        Rendered(String text, int[] ids, String error) {
            this(text, ids, error, null);
        }
    }

    public record Result(List<Rendered> conversations, List<int[]> texts) { }

    private Reference() {
    }

    public static Path tokenizerDir(String name) {
        Path dir = assetsDir().resolve("tokenizers").resolve(name);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("missing test asset " + dir.resolve("tokenizer.json") + ": run scripts/fetch-test-assets");
        }
        return dir;
    }

    public static Path assetsDir() {
        String property = System.getProperty("granular.testAssets");
        if (property != null && !property.isBlank() && !property.contains("${")) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".test-assets"))) {
                return dir.resolve(".test-assets");
            }
        }
        return fail("no .test-assets folder above " + Path.of("").toAbsolutePath() + ": run scripts/fetch-test-assets");
    }

    /** Runs the reference once for a tokenizer directory. */
    public static Result run(Path tokenizerDir, List<Conversation> conversations, List<String> texts) {
        return run(tokenizerDir, conversations, texts, false);
    }

    /**
     * Like {@link #run(Path, List, List)}; with {@code detail}, each rendering also comes with the
     * end of each token in the text (see the script).
     */
    public static Result run(Path tokenizerDir, List<Conversation> conversations, List<String> texts, boolean detail) {
        Path root = assetsDir().toAbsolutePath().getParent();
        Path script = root.resolve("scripts").resolve("reference-chat-template.mjs");
        if (!Files.isRegularFile(script)) {
            fail("missing " + script);
        }
        if (!Files.isRegularFile(assetsDir().resolve("node/node_modules/@huggingface/transformers/package.json"))) {
            fail("transformers.js is not installed in " + assetsDir().resolve("node") + ": run scripts/fetch-test-assets");
        }
        try {
            List<Object> convs = new ArrayList<>();
            for (Conversation c : conversations) {
                java.util.LinkedHashMap<String, Object> o = new java.util.LinkedHashMap<>();
                o.put("messages", c.messages());
                o.put("tools", c.tools());
                o.put("add_generation_prompt", c.addGenerationPrompt());
                convs.add(o);
            }
            Path in = Files.createTempFile("granular-reference", ".json");
            Path out = Files.createTempFile("granular-reference", ".out.json");
            Path err = Files.createTempFile("granular-reference", ".err.txt");
            try {
                JSON.writeValue(in.toFile(), Map.of("conversations", convs, "texts", texts, "detail", detail));
                Process p;
                try {
                    p = new ProcessBuilder("node", script.toString(), tokenizerDir.toAbsolutePath().toString(), in.toString())
                            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                } catch (IOException e) {
                    return fail("cannot run node (needed for the transformers.js reference; install node >= 18): " + e.getMessage());
                }
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return fail("node scripts/reference-chat-template.mjs took more than " + TIMEOUT_SECONDS + " s");
                }
                if (p.exitValue() != 0) {
                    return fail("node scripts/reference-chat-template.mjs failed (exit " + p.exitValue() + "): "
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                JsonNode result = JSON.readTree(out.toFile());
                List<Rendered> rendered = new ArrayList<>();
                for (JsonNode r : result.get("conversations")) {
                    if (r.has("error")) {
                        rendered.add(new Rendered(null, null, r.get("error").asText()));
                    } else if (r.has("token_ends")) {
                        rendered.add(new Rendered(r.get("rendered").asText(), ints(r.get("ids")), null, ints(r.get("token_ends"))));
                    } else {
                        rendered.add(new Rendered(r.get("rendered").asText(), ints(r.get("ids")), null));
                    }
                }
                List<int[]> ids = new ArrayList<>();
                for (JsonNode t : result.get("texts")) {
                    ids.add(ints(t));
                }
                return new Result(rendered, ids);
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return fail("reference run failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
