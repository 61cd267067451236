package dev.granular.judge;

import dev.granular.io.BadInputException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Decides whether a model's reply to a task is correct. Pure (except {@link ModelJudge},
 * which asks a model) and thread-safe.
 *
 * <p>Specs, as the {@code --judge} option takes them: {@code auto} (choice when the task has
 * choices, else number when the gold answer is a number, else exact), {@code exact},
 * {@code choice}, {@code number}, {@code regex:PATTERN} (the first group, or the whole match,
 * of the last match in the reply is the answer), {@code model:SPEC} (see {@link ModelJudge}).
 */
public sealed interface Judge permits AutoJudge, ExactJudge, ChoiceJudge, NumberJudge, RegexJudge, ModelJudge {

    Verdict judge(Task task, String reply);

    /** The spec this judge was made from, for manifests. */
    String spec();

    /**
     * Parses a spec; {@code model:SPEC} needs {@code models} to build the model judge.
     *
     * @throws BadInputException for an unknown spec or a bad pattern
     */
    static Judge parse(String spec, java.util.function.Function<String, ModelJudge> models) {
        String s = spec.trim();
        if (s.equals("auto")) {
            return new AutoJudge();
        }
        if (s.equals("exact")) {
            return new ExactJudge();
        }
        if (s.equals("choice")) {
            return new ChoiceJudge();
        }
        if (s.equals("number")) {
            return new NumberJudge();
        }
        if (s.startsWith("regex:")) {
            try {
                return new RegexJudge(Pattern.compile(s.substring(6)));
            } catch (PatternSyntaxException e) {
                throw new dev.granular.io.InvalidConfigException("${judge} " + s + ": not a valid regular expression: " + e.getDescription());
            }
        }
        if (s.startsWith("model:")) {
            if (models == null) {
                throw new dev.granular.io.InvalidConfigException("${judge} model:SPEC is not available here");
            }
            return models.apply(s.substring(6));
        }
        throw new dev.granular.io.InvalidConfigException("${judge} " + s + ": expected auto, exact, choice, number, regex:PATTERN or model:SPEC");
    }
}
