package dev.granular.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Python's Jinja2 as a second reference next to transformers.js: runs {@code python3
 * scripts/jinja2-reference.py}, which renders in the environment transformers' apply_chat_template
 * builds. Needs python3 with jinja2 (Debian: python3-jinja2; scripts/fetch-test-assets installs it
 * when it can); without it the calling test is skipped, saying so.
 */
final class PythonJinja {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 300;

    /** One case: a template and its variables. */
    record Case(String template, Map<String, Object> vars) { }

    /** What Python gave: the text, or the error (then {@code out} is null). */
    record Result(String out, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private PythonJinja() {
    }

    private static Path script() {
        Path root = Reference.assetsDir().toAbsolutePath().getParent();
        return root.resolve("scripts").resolve("jinja2-reference.py");
    }

    /** Why python3 cannot run the Jinja2 reference here, or null when it can. */
    static String unavailable() {
        try {
            Process p = new ProcessBuilder("python3", script().toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            if (done && p.exitValue() == 0) {
                return null;
            }
            return "python3 cannot import jinja2 (apt-get install python3-jinja2, or run scripts/fetch-test-assets as root): "
                    + out.lines().reduce((a, b) -> b).orElse("");
        } catch (IOException e) {
            return "no python3 to run the Jinja2 reference (apt-get install python3-jinja2): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The tests of a factory, or, when python3 cannot import jinja2, one test reported as skipped
     * with the reason (so the skip shows in the report instead of an empty factory).
     */
    static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> orSkipped(
            java.util.function.Supplier<java.util.stream.Stream<org.junit.jupiter.api.DynamicTest>> tests) {
        String reason = unavailable();
        if (reason != null) {
            System.err.println("SKIPPED: " + reason);
            return java.util.stream.Stream.of(org.junit.jupiter.api.DynamicTest.dynamicTest("SKIPPED: " + reason,
                    () -> Assumptions.abort(reason)));
        }
        return tests.get();
    }

    static List<Result> render(List<Case> cases) {
        return render(cases, Map.of());
    }

    /** Like {@link #render(List)}, with extra environment variables for the script (e.g. GRANULAR_JINJA2_NOW). */
    static List<Result> render(List<Case> cases, Map<String, String> env) {
        try {
            Path in = Files.createTempFile("granular-jinja2", ".json");
            Path out = Files.createTempFile("granular-jinja2", ".out.json");
            Path err = Files.createTempFile("granular-jinja2", ".err.txt");
            try {
                List<Object> list = new ArrayList<>();
                for (Case c : cases) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("template", c.template());
                    o.put("vars", c.vars());
                    list.add(o);
                }
                JSON.writeValue(in.toFile(), list);
                ProcessBuilder pb = new ProcessBuilder("python3", script().toString()).redirectInput(in.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("scripts/jinja2-reference.py took more than " + TIMEOUT_SECONDS + " s");
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError("scripts/jinja2-reference.py failed: " + Files.readString(err));
                }
                List<Result> results = new ArrayList<>();
                for (JsonNode r : JSON.readTree(out.toFile())) {
                    results.add(r.get("ok").asBoolean() ? new Result(r.get("out").asText(), null) : new Result(null, r.get("error").asText()));
                }
                return results;
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run python3 scripts/jinja2-reference.py: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
