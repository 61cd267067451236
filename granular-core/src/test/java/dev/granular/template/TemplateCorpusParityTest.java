package dev.granular.template;

import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference.Conversation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures granular against Python's Jinja2 on a corpus of real chat templates kept outside the
 * repository (third-party files are not committed): runs only when the environment variable
 * {@code GRANULAR_TEMPLATE_CORPUS} names a directory, and is skipped, saying why, otherwise (so CI
 * is unaffected). {@code scripts/template-parity DIR} runs it.
 *
 * <p>Every {@code *.jinja} / {@code *.jinja2} file there, and the {@code chat_template} of every
 * {@code *.json} (a tokenizer_config.json: a string or a list of named templates, with its own
 * special tokens), renders every conversation of {@link ChatTemplateReferenceTest} and every tool
 * conversation of {@link ToolCallTemplatesTest} (with and without tools), each with
 * add_generation_prompt on and off, in granular and in Python's Jinja2 in transformers' environment
 * ({@code scripts/jinja2-reference.py}, one process for many renderings), with the same variables.
 * A {@code .jinja} file sees the special tokens of a Llama-2-style tokenizer, as transformers would
 * pass them from its tokenizer_config.json: {@link #DEFAULT_SPECIAL_TOKENS}.
 *
 * <p>Prints (and writes to {@code target/template-parity.txt}, with every divergence) the figures:
 * templates tried, renderings, identical, refused by both, refused only by granular, refused only by
 * Python, different output, and refused by both where granular does not give the message of the
 * template's own raise_exception (another cause); fails when any rendering diverges.
 */
class TemplateCorpusParityTest {

    static final String ENV = "GRANULAR_TEMPLATE_CORPUS";

    /** What a {@code .jinja} file's template sees: a Llama-2-style tokenizer's special tokens. */
    static final Map<String, String> DEFAULT_SPECIAL_TOKENS = Map.of(
            "bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>", "pad_token", "<pad>");

    /** The time strftime_now reads on both sides. */
    static final java.time.LocalDateTime NOW = java.time.LocalDateTime.of(2026, 3, 7, 9, 5, 3);

    /** Cases per Python process: keeps each run well inside PythonJinja's timeout. */
    private static final int BATCH = 1500;

    /** One rendering to compare. */
    private record Rendering(String template, String conversation, ChatTemplate chatTemplate, String parseError,
                             List<TemplateMessage> messages, List<Object> tools, boolean prompt) {
    }

    @Test
    void corpusRendersAsPythonJinja2() throws IOException {
        String dir = System.getenv(ENV);
        Assumptions.assumeTrue(dir != null && !dir.isBlank(),
                ENV + " is not set: set it to a directory of real chat templates (scripts/template-parity DIR) to measure parity");
        Path corpus = Path.of(dir);
        Assumptions.assumeTrue(Files.isDirectory(corpus), ENV + "=" + dir + " is not a directory");
        String unavailable = PythonJinja.unavailable();
        Assumptions.assumeTrue(unavailable == null, unavailable);

        List<Path> files;
        try (Stream<Path> s = Files.list(corpus)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return Files.isRegularFile(p) && (n.endsWith(".jinja") || n.endsWith(".jinja2") || n.endsWith(".json"));
            }).sorted(Comparator.comparing(Path::toString)).toList();
        }
        List<Conversation> conversations = ChatTemplateReferenceTest.conversations();
        List<Rendering> renderings = new ArrayList<>();
        List<PythonJinja.Case> cases = new ArrayList<>();
        int templates = 0;
        Path work = Files.createTempDirectory("granular-template-corpus");
        try {
            for (Path file : files) {
                Path tokenizerDir = Files.createTempDirectory(work, "t");
                Path override;
                if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
                    Files.copy(file, tokenizerDir.resolve("tokenizer_config.json"));
                    override = null;
                } else {
                    Map<String, Object> config = new LinkedHashMap<>(DEFAULT_SPECIAL_TOKENS);
                    Files.writeString(tokenizerDir.resolve("tokenizer_config.json"),
                            new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(config));
                    override = file;
                }
                TemplateFiles.Found found;
                try {
                    found = TemplateFiles.find(tokenizerDir, override);
                } catch (RuntimeException e) {
                    System.out.println("not a chat template, left out: " + file.getFileName() + ": " + e.getMessage());
                    continue;
                }
                templates++;
                ChatTemplate t = null;
                String parseError = null;
                try {
                    t = ChatTemplate.load(tokenizerDir, override);
                } catch (TemplateException e) {
                    parseError = e.getMessage();
                }
                // the variables are the same whether or not granular parsed it (then from an always-parsable template)
                ChatTemplate vars = t != null ? t : ChatTemplate.of("", found.specialTokens());
                String name = file.getFileName().toString();
                for (Conversation c : conversations) {
                    List<TemplateMessage> messages = ChatTemplateReferenceTest.toTemplateMessages(c.messages());
                    for (boolean prompt : new boolean[] {true, false}) {
                        add(renderings, cases, found, vars, new Rendering(name, c.name() + (prompt ? " +prompt" : ""), t, parseError,
                                messages, c.tools(), prompt));
                    }
                }
                for (var c : ToolCallTemplatesTest.CONVERSATIONS.entrySet()) {
                    for (boolean tools : new boolean[] {true, false}) {
                        TrainingRecord r = ToolCallTemplatesTest.record(c.getValue(), tools);
                        for (boolean prompt : new boolean[] {true, false}) {
                            add(renderings, cases, found, vars, new Rendering(name, c.getKey() + (tools ? " +tools" : "")
                                    + (prompt ? " +prompt" : ""), t, parseError, ToolCallTemplatesTest.messages(r), r.tools(), prompt));
                        }
                    }
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }

        // strftime_now (Llama 3.2, Hunyuan, ...) must read the same time on both sides
        List<PythonJinja.Result> expected = new ArrayList<>();
        for (int from = 0; from < cases.size(); from += BATCH) {
            expected.addAll(PythonJinja.render(cases.subList(from, Math.min(cases.size(), from + BATCH)),
                    Map.of("GRANULAR_JINJA2_NOW", NOW.toString())));
        }
        java.util.function.Supplier<java.time.LocalDateTime> clock = Interpreter.now;
        Interpreter.now = () -> NOW;
        try {
            compare(corpus, templates, renderings, expected);
        } finally {
            Interpreter.now = clock;
        }
    }

    private void compare(Path corpus, int templates, List<Rendering> renderings, List<PythonJinja.Result> expected) throws IOException {

        int identical = 0;
        int refusedByBoth = 0;
        int onlyGranular = 0;
        int onlyPython = 0;
        int different = 0;
        int otherMessage = 0;
        Map<String, String> firstDivergence = new LinkedHashMap<>();
        StringBuilder details = new StringBuilder();
        StringBuilder refusals = new StringBuilder();
        for (int i = 0; i < renderings.size(); i++) {
            Rendering r = renderings.get(i);
            PythonJinja.Result want = expected.get(i);
            String got = null;
            String error = r.parseError();
            if (error == null) {
                try {
                    got = r.chatTemplate().render(r.messages(), r.tools(), r.prompt());
                } catch (TemplateException e) {
                    error = e.getMessage();
                } catch (RuntimeException e) {
                    error = "CRASH " + e;
                }
            }
            String divergence;
            if (got == null && !want.ok() && want.error().startsWith("TemplateError: ")
                    && !error.contains(want.error().substring("TemplateError: ".length()))) {
                // the template's own raise_exception: granular must refuse with its message, not for another cause
                otherMessage++;
                divergence = "refused by both, but not with the template's raise_exception message\n  granular: " + error
                        + "\n  Jinja2:   " + want.error();
            } else if (got == null && !want.ok()) {
                refusedByBoth++;
                refusals.append(r.template()).append(" / ").append(r.conversation()).append("\n  granular: ").append(error)
                        .append("\n  Jinja2:   ").append(want.error()).append("\n");
                continue;
            } else if (got == null) {
                onlyGranular++;
                divergence = "refused only by granular: " + error + "\n  Jinja2 renders: " + clip(want.out());
            } else if (!want.ok()) {
                onlyPython++;
                divergence = "refused only by Jinja2: " + want.error() + "\n  granular renders: " + clip(got);
            } else if (got.equals(want.out())) {
                identical++;
                continue;
            } else {
                different++;
                divergence = "different output\n" + firstDifference(got, want.out());
            }
            String line = r.template() + " / " + r.conversation() + ": " + divergence;
            firstDivergence.putIfAbsent(r.template(), line);
            details.append(line).append("\n\n");
        }
        StringBuilder report = new StringBuilder();
        report.append("TemplateCorpusParityTest (").append(corpus).append("): ").append(templates).append(" templates tried, ")
                .append(renderings.size()).append(" renderings, ").append(identical).append(" identical to Python's Jinja2, ")
                .append(refusedByBoth).append(" refused by both, ").append(onlyGranular).append(" refused only by granular, ")
                .append(onlyPython).append(" refused only by Jinja2, ").append(different).append(" with different output, ")
                .append(otherMessage).append(" refused by both for another cause than the template's raise_exception; ")
                .append(firstDivergence.size()).append(" templates diverge\n");
        for (String line : firstDivergence.values()) {
            report.append("  first divergence: ").append(line.replace("\n", "\n    ")).append("\n");
        }
        System.out.println(report);
        Path out = Path.of("target");
        if (Files.isDirectory(out)) {
            Files.writeString(out.resolve("template-parity.txt"), report + "\nAll divergences:\n\n" + details
                    + "\nRefused by both (granular's error, then Jinja2's):\n\n" + refusals, StandardCharsets.UTF_8);
        }
        assertThat(firstDivergence).as("templates whose rendering diverges from Python's Jinja2 (see above)").isEmpty();
    }

    private static void add(List<Rendering> renderings, List<PythonJinja.Case> cases, TemplateFiles.Found found, ChatTemplate vars,
                            Rendering r) {
        TemplateFiles.Text text = r.tools() != null && found.toolUse() != null ? found.toolUse() : found.main();
        renderings.add(r);
        cases.add(new PythonJinja.Case(text.text(), vars.context(r.messages(), r.tools(), r.prompt(), Map.of())));
    }

    private static String clip(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }

    /** The texts around their first differing character. */
    private static String firstDifference(String got, String want) {
        int i = 0;
        while (i < got.length() && i < want.length() && got.charAt(i) == want.charAt(i)) {
            i++;
        }
        int from = Math.max(0, i - 80);
        return "  at char " + i + "\n  granular: " + clip(got.substring(from)).replace("\n", "⏎")
                + "\n  Jinja2:   " + clip(want.substring(from)).replace("\n", "⏎");
    }
}
