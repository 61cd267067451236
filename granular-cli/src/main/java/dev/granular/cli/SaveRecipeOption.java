package dev.granular.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.granular.cli.recipe.Recipe;
import dev.granular.files.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code --save-recipe FILE}: writes the recipe equivalent of the command line (one step, or one delivery for
 * {@code export}) before the command runs, so that {@code granular run FILE} makes the same data. The recipe's
 * {@code out} is the command's {@code --out} with {@code -run} appended: the step lands in
 * {@code OUT-run/steps/COMMAND}, next to (never inside) the command's own folder. {@link Granular}'s execution
 * strategy calls {@link #saveIfAsked}, so a command only adds the mixin.
 */
public final class SaveRecipeOption {
    private static final Set<String> LEFT_OUT = Set.of("--out", "--overwrite", "--save-recipe", "--help", "--version", "--verbose",
            "--dry-run", "--dry-run-json");
    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    @Option(names = "--save-recipe", paramLabel = "FILE",
            description = "Also write this command line as a recipe (YAML) that 'granular run FILE' reproduces (docs/recipes.md).")
    Path file;

    /** Writes the recipe when the leaf command of {@code parsed} was given {@code --save-recipe}. */
    static void saveIfAsked(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult leaf = parsed;
        while (leaf.subcommand() != null) {
            leaf = leaf.subcommand();
        }
        if (!leaf.hasMatchedOption("--save-recipe")) {
            return;
        }
        Path target = leaf.matchedOption("--save-recipe").getValue();
        AtomicFiles.write(target, recipe(leaf));
    }

    /** The recipe text for a parsed command line. */
    static String recipe(CommandLine.ParseResult leaf) {
        String command = leaf.commandSpec().name();
        Map<String, Object> options = new LinkedHashMap<>();
        Object out = null;
        for (OptionSpec o : leaf.matchedOptions()) {
            String name = o.longestName();
            if (name.equals("--out")) {
                out = o.getValue();
            }
            if (LEFT_OUT.contains(name)) {
                continue;
            }
            List<String> values = new ArrayList<>(leaf.matchedOption(name).originalStringValues());
            String key = name.substring(2);
            if (o.typeInfo().isBoolean() && o.arity().max() == 0) {
                options.put(key, true);
            } else if (values.size() == 1 && !o.typeInfo().isMultiValue()) {
                options.put(key, values.get(0));
            } else {
                options.put(key, values);
            }
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("out", (out == null ? "out/" + command : out.toString()) + "-run");
        if (command.equals("export")) {
            root.put("deliveries", Map.of(command, options));
        } else if (Recipe.STEP_COMMANDS.contains(command)) {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("command", command);
            step.putAll(options);
            root.put("steps", Map.of(command, step));
        } else {
            throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), "--save-recipe: granular " + command
                    + " is not a recipe step");
        }
        try {
            return "# Written by: granular " + String.join(" ", leaf.originalArgs()) + "\n"
                    + "# Rerun with: granular run THIS-FILE (docs/recipes.md)\n" + YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
