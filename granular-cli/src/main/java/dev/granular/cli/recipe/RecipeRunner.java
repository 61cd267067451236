package dev.granular.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granular.cli.Granular;
import dev.granular.files.AtomicFiles;
import dev.granular.io.BadInputException;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.files.OutputDirectory;
import dev.granular.mix.MixJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Runs a {@link Recipe}: each unit (step, mix, delivery) in order, into
 * <pre>
 * OUT/steps/NAME        each exactly the output folder of the step's command
 * OUT/mix               the mix ({@link MixJob})
 * OUT/deliveries/NAME   each an export's output folder
 * OUT/.granular/recipe-state.json   per unit: its key and whether it finished
 * </pre>
 * A unit's key hashes its resolved options, the keys of the units it reads and the sizes and times of the files it
 * reads. A rerun skips a finished unit whose key is unchanged, continues an unfinished one (the commands resume), and
 * redoes a unit whose key changed (its folder's run is invalidated and replaced; paid replies stay), which changes the
 * keys of everything downstream, and only that.
 */
public final class RecipeRunner {
    public static final String STATE = ".granular/recipe-state.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a run would do with a unit. */
    public enum Action { RUN, RESUME, RERUN, SKIP }

    /** One unit's decision, with why. */
    public record Planned(Recipe.Unit unit, String key, Action action, String why) {
    }

    /**
     * The hook for per-step spend estimates in {@code --dry-run} (requests, tokens, cost): returns a line to print
     * under a unit that would run, or null when none is known. The estimates themselves live with the commands
     * (their own {@code --dry-run}); {@link #NONE} is what {@code granular run --dry-run} uses until they are wired in.
     */
    @FunctionalInterface
    public interface StepEstimates {
        StepEstimates NONE = p -> null;

        String estimate(Planned planned);
    }

    /**
     * Per-step estimates from the steps' own commands: a step whose command has {@code --dry-run} is run with it (the
     * same parser and code as {@code granular COMMAND ... --dry-run}: nothing is sent or written) and its table is
     * shown. A step that reads an upstream step not finished yet has no estimate (its input does not exist).
     */
    public StepEstimates commandDryRuns() {
        return p -> {
            Recipe.Unit u = p.unit();
            if (u.kind() != Recipe.Kind.STEP || Recipe.commandSpec(u.command()).findOption("--dry-run") == null) {
                return "no model calls"; // the mix, exports, erase and probe never call a model
            }
            for (String d : u.deps()) {
                Recipe.Unit dep = recipe.units().stream().filter(x -> x.id().equals(d)).findFirst().orElseThrow();
                if (!Files.isRegularFile(dep.dir().resolve("manifest.json"))) {
                    return "not available until " + d + " has run (this step reads its output)";
                }
            }
            java.io.StringWriter table = new java.io.StringWriter();
            java.io.StringWriter errors = new java.io.StringWriter();
            List<String> args = new ArrayList<>(u.args());
            args.add("--dry-run");
            try {
                CommandLine root = Granular.commandLine(new PrintWriter(table, true), new PrintWriter(errors, true));
                CommandLine.ParseResult parsed = root.parseArgs(args.toArray(String[]::new));
                @SuppressWarnings("unchecked")
                Callable<Integer> call = (Callable<Integer>) parsed.subcommand().commandSpec().userObject();
                call.call();
            } catch (Exception e) {
                return "not available: " + e.getMessage();
            }
            return "\n" + table.toString().strip().indent(12).stripTrailing();
        };
    }

    private final Recipe recipe;
    private final PrintWriter out;
    private final PrintWriter err;
    private final String recipeText;

    public RecipeRunner(Recipe recipe, String recipeText, PrintWriter out, PrintWriter err) {
        this.recipe = recipe;
        this.recipeText = recipeText;
        this.out = out;
        this.err = err;
    }

    /** What a run would do now, unit by unit (nothing is written). */
    public List<Planned> plan() {
        Map<String, JsonNode> state = readState();
        Map<String, String> keys = new LinkedHashMap<>();
        List<Planned> plan = new ArrayList<>();
        Map<String, Action> actions = new LinkedHashMap<>();
        for (Recipe.Unit u : recipe.units()) {
            Map<String, String> depKeys = new LinkedHashMap<>();
            u.deps().forEach(d -> depKeys.put(d, keys.get(d)));
            String configHash = OutputDirectory.fingerprint(u.config());
            String inputsHash = OutputDirectory.fingerprint(stamps(u.inputs()));
            String key = OutputDirectory.fingerprint(Map.of("config", configHash, "deps", depKeys, "inputs", inputsHash));
            keys.put(u.id(), key);
            JsonNode prev = state.get(u.id());
            boolean finished = Files.isRegularFile(u.dir().resolve("manifest.json"));
            Action action;
            String why;
            if (prev == null) {
                action = Files.exists(u.dir()) ? Action.RESUME : Action.RUN;
                why = Files.exists(u.dir()) ? "not recorded as finished; the command resumes or finds it complete" : "new";
            } else if (!prev.path("key").asText().equals(key)) {
                action = Action.RERUN;
                List<String> reasons = new ArrayList<>();
                if (!prev.path("config").asText().equals(configHash)) {
                    reasons.add("its options changed");
                }
                depKeys.forEach((d, k) -> {
                    if (!Objects.equals(prev.path("deps").path(d).asText(null), k)) {
                        reasons.add(d + (actions.get(d) == Action.RERUN ? " is redone" : " changed"));
                    }
                });
                if (!prev.path("inputs").asText().equals(inputsHash)) {
                    reasons.add("its input files changed");
                }
                why = reasons.isEmpty() ? "changed" : String.join(", ", reasons);
            } else if (!prev.path("done").asBoolean() || !finished) {
                action = Action.RESUME;
                why = finished ? "not recorded as finished" : prev.path("done").asBoolean() ? "its output is gone or incomplete" : "interrupted";
            } else {
                action = Action.SKIP;
                why = "unchanged and finished";
            }
            actions.put(u.id(), action);
            plan.add(new Planned(u, key, action, why));
        }
        return plan;
    }

    /** Prints the plan ({@code --dry-run}). */
    public void printPlan(StepEstimates estimates) {
        out.println("run: " + recipe.file() + " into " + recipe.out() + " (dry run: nothing is run or written)");
        for (Planned p : plan()) {
            out.printf("  %-7s %-24s %s%n", p.action().name().toLowerCase(java.util.Locale.ROOT), p.unit().id(), p.why());
            if (p.action() != Action.SKIP) {
                if (p.unit().kind() != Recipe.Kind.MIX) {
                    out.println("          granular " + String.join(" ", p.unit().args()) + (p.action() == Action.RERUN ? " --overwrite" : ""));
                }
                String e = estimates.estimate(p);
                out.println("          estimate:" + (e == null ? " not available" : e.startsWith("\n") ? e : " " + e));
            }
        }
        out.flush();
    }

    /** Runs every unit that is not finished and unchanged; the first failure stops the run (its exception). */
    public int run() throws Exception {
        Map<String, JsonNode> stateNodes = readState();
        Map<String, Object> state = new LinkedHashMap<>();
        stateNodes.forEach((k, v) -> state.put(k, JSON.convertValue(v, Object.class)));
        int ran = 0;
        int skipped = 0;
        Map<String, String> keys = new LinkedHashMap<>();
        for (Planned p : plan()) {
            Recipe.Unit u = p.unit();
            keys.put(u.id(), p.key());
            if (p.action() == Action.SKIP) {
                err.println("run: " + u.id() + ": skipped (" + p.why() + ")");
                skipped++;
                continue;
            }
            err.println("run: " + u.id() + ": " + p.action().name().toLowerCase(java.util.Locale.ROOT) + " (" + p.why() + ")");
            err.flush();
            if (p.action() == Action.RERUN) {
                OutputDirectory.invalidate(u.dir());
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("key", p.key());
            entry.put("done", false);
            entry.put("config", OutputDirectory.fingerprint(u.config()));
            Map<String, String> deps = new LinkedHashMap<>();
            u.deps().forEach(d -> deps.put(d, keys.get(d)));
            entry.put("deps", deps);
            entry.put("inputs", OutputDirectory.fingerprint(stamps(u.inputs())));
            entry.put("dir", u.dir().toString());
            state.put(u.id(), entry);
            writeState(state);
            // The mix never resumes (it is rewritten whole, nothing in it was paid for), so it may always replace an
            // unfinished or stale mix; a finished one with the same configuration is kept.
            int code = u.kind() == Recipe.Kind.MIX ? mix(u, true) : command(u, p.action() == Action.RERUN);
            if (code != Granular.OK) {
                return code;
            }
            entry.put("done", true);
            writeState(state);
            ran++;
        }
        out.printf("run: %s is complete in %s (%d run, %d unchanged)%n", recipe.file(), recipe.out(), ran, skipped);
        out.flush();
        return Granular.OK;
    }

    /** Runs the step's command exactly as {@code granular ARGS} would (same parser, same code). */
    private int command(Recipe.Unit u, boolean overwrite) throws Exception {
        List<String> args = new ArrayList<>(u.args());
        if (overwrite) {
            args.add("--overwrite");
        }
        CommandLine root = Granular.commandLine(out, err);
        CommandLine.ParseResult parsed;
        try {
            parsed = root.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new BadInputException(u.where() + ": " + u.id() + ": " + e.getMessage());
        }
        Object command = parsed.subcommand().commandSpec().userObject();
        @SuppressWarnings("unchecked")
        Callable<Integer> call = (Callable<Integer>) command;
        Integer code = call.call();
        return code == null ? Granular.OK : code;
    }

    private int mix(Recipe.Unit u, boolean overwrite) {
        Recipe.MixPlan m = u.mix();
        List<MixJob.Component> cs = m.components().stream()
                .map(c -> new MixJob.Component(c.name(), c.inputs(), c.share(), c.count())).toList();
        Path template = recipe.chatTemplate() != null ? Path.of(recipe.chatTemplate()) : defaultTemplate(recipe.tokenizer());
        MixJob.Spec spec = new MixJob.Spec(cs, m.total(), m.seed(), m.validation(), m.decontaminate(), m.ngram(), recipe.tokenizer(),
                template, u.dir(), m.shardSize(), overwrite, recipeText,
                m.nearDedup() == null ? null : NearDedupConfig.DEFAULT.withThreshold(m.nearDedup()));
        MixJob.Result r = MixJob.run(spec);
        out.printf("mix: %,d train + %,d validation rows in %s (%s)%n", r.train(), r.validation(), u.dir(), r.resolution());
        r.components().forEach((name, c) -> out.printf("  %-20s %,d taken of %,d read (%,d duplicates, %s%,d contaminated removed)%n",
                name, c.taken(), c.read(), c.removedDuplicates(),
                spec.nearDedup() == null ? "" : String.format("%,d near duplicates, ", c.removedNearDuplicates()), c.removedContaminated()));
        out.flush();
        return Granular.OK;
    }

    /** A tokenizer folder with a chat template in it: the mix report renders with it. */
    static Path defaultTemplate(String tokenizer) {
        if (tokenizer == null || !Files.isDirectory(Path.of(tokenizer))) {
            return null;
        }
        Path dir = Path.of(tokenizer);
        if (Files.isRegularFile(dir.resolve("chat_template.jinja")) || Files.isRegularFile(dir.resolve("chat_template.json"))) {
            return dir;
        }
        try {
            Path cfg = dir.resolve("tokenizer_config.json");
            return Files.isRegularFile(cfg) && JSON.readTree(cfg.toFile()).hasNonNull("chat_template") ? dir : null;
        } catch (IOException e) {
            return null;
        }
    }

    private Path stateFile() {
        return recipe.out().resolve(STATE);
    }

    private Map<String, JsonNode> readState() {
        Path f = stateFile();
        Map<String, JsonNode> m = new LinkedHashMap<>();
        if (!Files.isRegularFile(f)) {
            return m;
        }
        try {
            JSON.readTree(f.toFile()).path("units").properties().forEach(e -> m.put(e.getKey(), e.getValue()));
        } catch (IOException e) {
            throw new BadInputException(f.toString(), 0, "unreadable recipe state (" + e.getMessage() + "); delete it to run every step again"
                    + " (the steps' own folders still resume)");
        }
        return m;
    }

    private void writeState(Map<String, Object> units) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("recipe", recipe.file().toString());
        root.put("units", units);
        try {
            AtomicFiles.write(stateFile(), JSON.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile(), e);
        }
    }

    /** Sizes and modification times of the files under {@code paths}: a changed input changes the key. */
    static Map<String, Object> stamps(List<Path> paths) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Path p : paths) {
            try {
                if (Files.isRegularFile(p)) {
                    m.put(p.toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
                } else if (Files.isDirectory(p)) {
                    List<String> files = new ArrayList<>();
                    try (Stream<Path> s = Files.walk(p)) {
                        for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                            files.add(p.relativize(f) + ":" + Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
                        }
                    }
                    m.put(p.toString(), OutputDirectory.fingerprint(files));
                }
            } catch (IOException e) {
                m.put(p.toString(), "unreadable");
            }
        }
        return m;
    }
}
