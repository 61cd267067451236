package dev.granular.template;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Differential test against Python's Jinja2 set up as transformers sets it up: every snippet of
 * {@code jinja2-snippets.txt} renders to exactly Python's text, or fails where Python fails.
 * The snippets cover the Jinja2 built-in filters, tests, statements and the Python methods chat
 * templates call. Skipped (saying why) only when python3 cannot import jinja2.
 */
class JinjaDifferentialTest {

    /** The variables every snippet sees. */
    static Map<String, Object> vars() {
        Map<String, Object> v = new LinkedHashMap<>();
        List<Object> messages = new ArrayList<>();
        messages.add(map("role", "system", "content", "You are helpful."));
        messages.add(map("role", "user", "content", "Hi <there> & \"you\""));
        messages.add(map("role", "assistant", "content", "Hello!\nHow can I help?", "reasoning_content", "think"));
        messages.add(map("role", "user", "content", "Count: 3 items, price 4.5"));
        v.put("messages", messages);
        v.put("tools", List.of(map("type", "function", "function", map("name", "get_weather", "description", "Weather",
                "parameters", map("type", "object", "properties", map("city", map("type", "string")), "required", List.of("city"))))));
        v.put("add_generation_prompt", true);
        v.put("bos_token", "<s>");
        v.put("eos_token", "</s>");
        v.put("users", List.of(map("name", "ann", "city", "Paris", "age", 31), map("name", "bob", "city", "Oslo", "age", 25),
                map("name", "cy", "city", "Paris", "age", 40)));
        v.put("d", map("b", 2, "a", 1, "C", 3));
        v.put("s", "Hello World, hello Jinja");
        v.put("n", 7);
        v.put("f", 2.5);
        v.put("empty", "");
        v.put("nil", null);
        return v;
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Snippets separated by lines starting with {@code ===} (the rest of that line names it). */
    static List<String[]> snippets() throws IOException {
        try (InputStream in = JinjaDifferentialTest.class.getResourceAsStream("jinja2-snippets.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String[]> out = new ArrayList<>();
            String name = null;
            StringBuilder body = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.startsWith("===")) {
                    if (name != null) {
                        out.add(new String[] {name, strip(body)});
                    }
                    name = line.substring(3).strip();
                    body.setLength(0);
                } else if (name != null) {
                    body.append(line).append('\n');
                }
            }
            if (name != null) {
                out.add(new String[] {name, strip(body)});
            }
            return out;
        }
    }

    private static String strip(StringBuilder body) {
        String s = body.toString();
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    @TestFactory
    Stream<DynamicTest> everySnippetRendersAsPythonJinja2() {
        return PythonJinja.orSkipped(this::compare);
    }

    private Stream<DynamicTest> compare() {
        List<String[]> snippets;
        try {
            snippets = snippets();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, Object> vars = vars();
        List<PythonJinja.Case> cases = snippets.stream().map(s -> new PythonJinja.Case(s[1], vars)).toList();
        List<PythonJinja.Result> expected = PythonJinja.render(cases);
        long rendered = expected.stream().filter(PythonJinja.Result::ok).count();
        // Each test passes only when granular agrees: identical text where Jinja2 renders, a failure where it fails.
        System.out.println("JinjaDifferentialTest: " + snippets.size() + " snippets, " + rendered
                + " rendered by Jinja2 (granular must match exactly), " + (snippets.size() - rendered) + " refused by Jinja2 (granular must refuse)");
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < snippets.size(); i++) {
            String[] s = snippets.get(i);
            PythonJinja.Result want = expected.get(i);
            tests.add(dynamicTest(s[0], () -> check(s[1], vars, want)));
        }
        return tests.stream();
    }

    static void check(String template, Map<String, Object> vars, PythonJinja.Result want) {
        String got;
        try {
            got = JinjaTemplate.parse(template).render(vars);
        } catch (TemplateException e) {
            assertThat(want.ok()).as("granular fails (%s) where Jinja2 renders %s", e.getMessage(), want.out()).isFalse();
            return;
        }
        assertThat(want.ok()).as("granular renders %s where Jinja2 fails: %s", got, want.error()).isTrue();
        assertThat(got).isEqualTo(want.out());
    }
}
