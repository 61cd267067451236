package dev.granular.cli;

import dev.granular.cli.recipe.Recipe;
import dev.granular.cli.recipe.RecipeRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granular run}: a recipe from sources to deliveries ({@link Recipe}, {@link RecipeRunner}). */
@Command(name = "run",
        header = "Run a recipe: design steps, the mix and the deliveries, resuming and redoing only what changed.",
        description = {
                "A recipe (YAML) names the target model, sources, design steps (in2, generate, distill, erase, self-correct, "
                        + "probe, with the options of those commands), a mix of their outputs and the export formats to deliver. "
                        + "Each step writes OUT/steps/NAME exactly as its command would; the mix goes to OUT/mix, deliveries to "
                        + "OUT/deliveries/NAME. A rerun skips what is finished and unchanged, resumes what was interrupted and "
                        + "redoes a changed step and what depends on it.",
                "",
                "Examples:",
                "  granular run examples/quickstart.yaml",
                "  granular run --check examples/film-mix.yaml",
                "  granular run examples/reasoning-mix.yaml \\",
                "      --set erased.teacher=openai:qwen@http://localhost:8000/v1",
                "Docs: docs/recipes.md"},
        mixinStandardHelpOptions = true)
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe file (YAML).")
    Path recipe;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (overrides the recipe's 'out').")
    Path out;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value: STEP.OPTION=VALUE (e.g. long.examples=200), "
            + "or a path from the top (mix.seed=7, model.tokenizer=models/qwen3). Repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--check", description = "Only check the recipe (keys, files, references between steps, each command's options); "
            + "exit 2 naming file:line of each problem.")
    boolean check;

    @Option(names = "--dry-run", description = "Print what would run, resume, be redone or skipped, and why, with each step's "
            + "own --dry-run estimate (requests, tokens, cost) where its command has one; run nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        var o = spec.commandLine().getOut();
        var e = spec.commandLine().getErr();
        Recipe r = Recipe.load(recipe, sets, out, System.getenv());
        if (check) {
            long steps = r.units().stream().filter(u -> u.kind() == Recipe.Kind.STEP).count();
            long deliveries = r.units().stream().filter(u -> u.kind() == Recipe.Kind.DELIVERY).count();
            boolean mix = r.units().stream().anyMatch(u -> u.kind() == Recipe.Kind.MIX);
            o.printf("run: %s is valid: %d step%s%s, %d deliver%s, into %s%n", recipe, steps, steps == 1 ? "" : "s",
                    mix ? ", a mix" : ", no mix", deliveries, deliveries == 1 ? "y" : "ies", r.out());
            o.flush();
            return Granular.OK;
        }
        RecipeRunner runner = new RecipeRunner(r, r.effectiveText(sets), o, e);
        if (dryRun) {
            runner.printPlan(runner.commandDryRuns());
            return Granular.OK;
        }
        return runner.run();
    }
}
