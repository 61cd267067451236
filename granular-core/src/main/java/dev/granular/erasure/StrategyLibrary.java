package dev.granular.erasure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The strategies a run may choose from, by name, in a fixed order (built-ins first, then a
 * file's additions), so that ties and reports are deterministic.
 *
 * <p>The built-in instructions are written for this project. Each spells out a way of working
 * through a task and asks for the final answer on a last line of its own, which keeps the
 * answers judgeable whichever strategy produced them.
 */
public record StrategyLibrary(Map<String, Strategy> strategies) {
    private static final String LAST_LINE = " Put the final answer alone on the last line, written as 'Final answer: <answer>'.";

    /** The six built-in strategies. */
    public static final List<Strategy> BUILT_IN = List.of(
            new Strategy("step-by-step", "You work through problems in small, explicit steps. Before answering, "
                    + "break the task into the parts it depends on, settle each part in order and show the working for "
                    + "every one, checking that each step follows from the ones before it. Only when all steps are done, "
                    + "state the result they lead to." + LAST_LINE, null),
            new Strategy("recall-then-generate", "First bring to mind the facts, definitions and background knowledge "
                    + "that bear on the request and write them down briefly as a list. Then compose the answer from that "
                    + "list, using only what you recalled and saying nothing you did not first write down." + LAST_LINE, null),
            new Strategy("recall-reason-generate", "Begin by writing down the pieces of knowledge the question needs. "
                    + "Next reason over those pieces: relate them to one another and to the question, rule out options "
                    + "they contradict, and draw the conclusion they support. Finish by giving the answer that this "
                    + "reasoning arrived at." + LAST_LINE, null),
            new Strategy("extract-then-answer", "The material you need is inside the request itself. Quote the exact "
                    + "sentences or values from the given text that matter for the question, word for word, and only "
                    + "then answer, relying on those quotations rather than on outside knowledge." + LAST_LINE, null),
            new Strategy("explain-then-answer", "Write a short explanation a curious learner could follow: why the "
                    + "question is asked the way it is, which idea decides it, and how that idea applies here. After "
                    + "the explanation, commit to one answer." + LAST_LINE, null),
            new Strategy("direct-answer", "Reply with the answer and nothing else: no working, no explanation, no "
                    + "restating of the question. Keep it as short as the answer allows." + LAST_LINE, null));

    public StrategyLibrary {
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("a strategy library needs at least one strategy");
        }
        strategies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(strategies));
    }

    /** Only the built-in strategies. */
    public static StrategyLibrary builtIn() {
        Map<String, Strategy> m = new LinkedHashMap<>();
        BUILT_IN.forEach(s -> m.put(s.name(), s));
        return new StrategyLibrary(m);
    }

    /**
     * This library with the strategies of a YAML (or JSON) file added, replacing built-ins of the
     * same name: a list of {@code {name, instruction, extract?}}.
     *
     * @throws BadInputException naming the file and the entry for anything malformed
     */
    public StrategyLibrary withFile(Path file) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file.toString(), 0, "cannot read the strategies file: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new BadInputException(file.toString(), 0, "expected a list of {name, instruction, extract?}");
        }
        Map<String, Strategy> m = new LinkedHashMap<>(strategies);
        for (int i = 0; i < root.size(); i++) {
            JsonNode e = root.get(i);
            String where = "strategy #" + (i + 1);
            if (!e.path("name").isTextual() || !e.path("instruction").isTextual()) {
                throw new BadInputException(file.toString(), 0, where + " needs string 'name' and 'instruction'");
            }
            Pattern extract = null;
            if (e.hasNonNull("extract")) {
                try {
                    extract = Pattern.compile(e.get("extract").asText());
                } catch (PatternSyntaxException ex) {
                    throw new BadInputException(file.toString(), 0, where + ": 'extract' is not a valid regular expression: "
                            + ex.getDescription());
                }
            }
            try {
                Strategy s = new Strategy(e.get("name").asText(), e.get("instruction").asText(), extract);
                m.put(s.name(), s);
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(file.toString(), 0, where + ": " + ex.getMessage());
            }
        }
        return new StrategyLibrary(m);
    }

    /** @throws BadInputException when there is no strategy of that name */
    public Strategy get(String name) {
        Strategy s = strategies.get(name);
        if (s == null) {
            throw new BadInputException("unknown strategy '" + name + "'; known: " + String.join(", ", strategies.keySet()));
        }
        return s;
    }

    public Collection<Strategy> all() {
        return strategies.values();
    }

    public List<String> instructions() {
        return strategies.values().stream().map(Strategy::instruction).toList();
    }
}
