package dev.granular.cli.recipe;

import dev.granular.cli.Granular;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.io.BadInputException;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A parsed and checked recipe (docs/recipes.md): the target model, named sources, design steps (each a granular
 * command with its options), the mix and the deliveries. Every problem found is reported at once, each naming the
 * recipe's file and line ({@code --set} values name the setting).
 *
 * <p>A step is the command it names, run with its options as {@code --KEY VALUE} (a list repeats the option, true
 * gives a flag, false or null leaves it out) and {@code --out OUT/steps/NAME}: the recipe adds nothing else, so a
 * step writes what the command would. Only the target model is filled in: a command with {@code --tokenizer} gets
 * {@code model.tokenizer} unless the step sets it.
 *
 * <p>Strings may refer to {@code ${steps.NAME}} (an earlier step's output folder), {@code ${sources.NAME}},
 * {@code ${model.tokenizer}}, {@code ${model.chat_template}}, and {@code ${env.VAR}} or {@code ${env.VAR:-default}}.
 */
public record Recipe(Path file, String text, Path out, String tokenizer, String chatTemplate, List<Unit> units) {
    /** The commands a step may run. */
    public static final List<String> STEP_COMMANDS = List.of("in2", "generate", "distill", "erase", "self-correct", "probe");
    /** Options the runner sets (or that would not make the step's output). */
    static final Set<String> RESERVED = Set.of("out", "overwrite", "help", "version", "dry-run", "dry-run-json", "save-recipe", "verbose");
    /** Path options a command writes, not reads: neither checked for existence nor part of a step's key. */
    static final Set<String> WRITTEN_PATHS = Set.of("cache");
    /**
     * Options that never change a step's output (the commands leave them out of their own fingerprints too): a
     * rerun with a larger budget or another rate limit resumes the step instead of redoing it, and a step run
     * with {@code batch: true} (half price, same replies) is the same step as its real-time run.
     */
    static final Pattern NOT_IN_KEY = Pattern.compile("cache|no-cache|max-cost|prices|threads|api-key-env|.*-api-key-env"
            + "|batch|batch-(poll|linger|size)|(.*-)?(concurrency|rpm|tpm|max-retries|timeout)");
    static final Set<String> TOKEN_FORMATS = Set.of("tokens", "trl-tokens");
    private static final Set<String> TOP = Set.of("out", "model", "sources", "steps", "mix", "deliveries");
    private static final Set<String> MIX_KEYS = Set.of("components", "total", "seed", "validation", "decontaminate", "ngram",
            "shard_size", "near_dedup");
    private static final Pattern REF = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /** What a unit is. */
    public enum Kind { STEP, MIX, DELIVERY }

    /**
     * One thing the run makes, in order: a step, the mix, a delivery.
     *
     * @param id     "steps.NAME", "mix" or "deliveries.NAME" (the key in recipe-state.json)
     * @param args   for a step or delivery: the command line after {@code granular}, {@code --out} included
     * @param config what the unit's key hashes (its resolved options), the upstream units' keys aside
     * @param deps   the units it reads (ids)
     * @param inputs files it reads that no unit makes (their sizes and times go into the key)
     * @param mix    for the mix: its components and options
     */
    public record Unit(String id, Kind kind, String command, Path dir, List<String> args, Object config, List<String> deps,
                       List<Path> inputs, MixPlan mix, String where) {
    }

    /**
     * The mix's resolved options.
     *
     * @param nearDedup the near-dedup Jaccard threshold ({@code near_dedup: 0.8}); null: off
     */
    public record MixPlan(List<MixComponent> components, Long total, long seed, double validation, List<Path> decontaminate,
                          int ngram, int shardSize, Double nearDedup) {
    }

    public record MixComponent(String name, List<Path> inputs, Double share, Long count) {
    }

    /**
     * Reads, overrides ({@code sets}: {@code NAME.key=value} for a step, else a path from the top such as
     * {@code mix.seed=7}) and checks a recipe.
     *
     * @param outOverride {@code --out}: replaces the recipe's {@code out}
     * @throws BadInputException listing every problem found, each with file:line
     */
    public static Recipe load(Path file, List<String> sets, Path outOverride, Map<String, String> env) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file.toString(), 0, "no such recipe file");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadInputException(file.toString(), 0, "cannot read: " + e.getMessage());
        }
        YamlNode root = YamlNode.parse(text, file.toString());
        if (!root.isMap()) {
            throw root.error("a recipe is a mapping (model, sources, steps, mix, deliveries)");
        }
        root = applySets(root, sets);
        return new Checker(file, text, env).check(root, outOverride);
    }

    /** The recipe with each {@code --set} applied. */
    static YamlNode applySets(YamlNode root, List<String> sets) {
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new BadInputException("--set " + s + ": expected KEY=VALUE, e.g. --set long.examples=200");
            }
            List<String> path = new ArrayList<>(List.of(s.substring(0, eq).split("\\.")));
            YamlNode steps = root.map().get("steps");
            if (steps != null && steps.map().containsKey(path.get(0)) && !TOP.contains(path.get(0))) {
                path.add(0, "steps");
            }
            root = set(root, path, YamlNode.ofSetting(s.substring(eq + 1), "--set " + s.substring(0, eq)));
        }
        return root;
    }

    private static YamlNode set(YamlNode node, List<String> path, YamlNode value) {
        if (path.isEmpty()) {
            return value;
        }
        Map<String, YamlNode> m = new LinkedHashMap<>(node == null ? Map.of() : node.map());
        m.put(path.get(0), set(m.get(path.get(0)), path.subList(1, path.size()), value));
        return new YamlNode(m, node == null ? value.where() : node.where());
    }

    /** The recipe's text with the settings applied, for recipe.yaml in the mix. */
    public String effectiveText(List<String> sets) {
        if (sets.isEmpty()) {
            return text;
        }
        return text + "\n# with: " + String.join(" ", sets.stream().map(s -> "--set " + s).toList()) + "\n";
    }

    /** Collects every problem, then fails once. */
    private static final class Checker {
        final Path file;
        final String text;
        final Map<String, String> env;
        final List<String> errors = new ArrayList<>();
        Path out;
        String tokenizer;
        String chatTemplate;
        final Map<String, List<String>> sources = new LinkedHashMap<>();
        final Set<String> stepNames = new LinkedHashSet<>();

        Checker(Path file, String text, Map<String, String> env) {
            this.file = file;
            this.text = text;
            this.env = env;
        }

        void error(YamlNode at, String message) {
            errors.add(at.error(message).getMessage());
        }

        Recipe check(YamlNode root, Path outOverride) {
            Map<String, YamlNode> top = root.map();
            top.forEach((k, v) -> {
                if (!TOP.contains(k)) {
                    error(v, "unknown key '" + k + "' (known: " + String.join(", ", TOP) + ")");
                }
            });
            if (outOverride != null) {
                out = outOverride;
            } else if (top.get("out") != null && top.get("out").value() instanceof String) {
                out = Path.of(Objects.requireNonNullElse(string(top.get("out")), "out"));
            } else {
                errors.add(file + ": no output folder: give 'out: DIR' in the recipe or --out DIR");
                out = Path.of("out");
            }
            model(top.get("model"));
            sources(top.get("sources"));
            List<Unit> units = new ArrayList<>();
            YamlNode steps = top.get("steps");
            if (steps != null) {
                if (!steps.isMap()) {
                    error(steps, "steps is a mapping: NAME: {command: in2, OPTION: VALUE, ...}");
                } else {
                    steps.map().forEach((name, node) -> {
                        Unit u = step(name, node);
                        stepNames.add(name);
                        if (u != null) {
                            units.add(u);
                        }
                    });
                }
            }
            boolean hasMix = top.get("mix") != null;
            if (hasMix) {
                Unit u = mix(top.get("mix"));
                if (u != null) {
                    units.add(u);
                }
            }
            YamlNode deliveries = top.get("deliveries");
            if (deliveries != null) {
                if (!deliveries.isMap()) {
                    error(deliveries, "deliveries is a mapping: NAME: {format: trl, ...}");
                } else {
                    deliveries.map().forEach((name, node) -> {
                        Unit u = delivery(name, node, hasMix);
                        if (u != null) {
                            units.add(u);
                        }
                    });
                }
            }
            if (units.isEmpty() && errors.isEmpty()) {
                errors.add(file + ": nothing to do: the recipe has no steps, mix or deliveries");
            }
            if (!errors.isEmpty()) {
                throw new BadInputException(errors.size() == 1 ? errors.get(0)
                        : errors.size() + " problems in the recipe:\n  " + String.join("\n  ", errors));
            }
            return new Recipe(file, text, out, tokenizer, chatTemplate, List.copyOf(units));
        }

        void model(YamlNode model) {
            if (model == null) {
                return;
            }
            for (var e : model.map().entrySet()) {
                switch (e.getKey()) {
                    case "tokenizer" -> tokenizer = string(e.getValue());
                    case "chat_template" -> chatTemplate = string(e.getValue());
                    default -> error(e.getValue(), "unknown key 'model." + e.getKey() + "' (known: tokenizer, chat_template)");
                }
            }
            if (!model.isMap()) {
                error(model, "model is a mapping: {tokenizer: DIR, chat_template: FILE}");
            }
            if (tokenizer != null && !Tokenizers.builtinNames().contains(tokenizer) && !Files.exists(Path.of(tokenizer))) {
                error(model.map().get("tokenizer"), "model.tokenizer: no such file or folder '" + tokenizer + "' (nor a built-in: "
                        + String.join(", ", Tokenizers.builtinNames()) + ")");
            }
            if (chatTemplate != null && !Files.exists(Path.of(chatTemplate))) {
                error(model.map().get("chat_template"), "model.chat_template: no such file '" + chatTemplate + "'");
            }
            if (chatTemplate != null && (tokenizer == null || !Files.isDirectory(Path.of(tokenizer)))) {
                error(model.map().get("chat_template"), "model.chat_template needs model.tokenizer to be a tokenizer folder (its special tokens)");
            }
        }

        void sources(YamlNode node) {
            if (node == null) {
                return;
            }
            if (!node.isMap()) {
                error(node, "sources is a mapping: NAME: PATH (or a list of paths)");
                return;
            }
            node.map().forEach((name, v) -> {
                List<String> paths = new ArrayList<>();
                for (YamlNode p : v.list()) {
                    String s = string(p);
                    if (s == null) {
                        continue;
                    }
                    if (!Files.exists(Path.of(s))) {
                        error(p, "sources." + name + ": no such file or folder '" + s + "'");
                    }
                    paths.add(s);
                }
                sources.put(name, paths);
            });
        }

        String string(YamlNode n) {
            if (n == null || n.value() == null) {
                return null;
            }
            if (!n.isScalar()) {
                error(n, "expected a single value");
                return null;
            }
            List<String> r = interpolate(n, n.text(), null);
            return r.isEmpty() ? null : r.get(0);
        }

        /**
         * Expands the references in {@code s}. A value that is exactly {@code ${sources.NAME}} of several paths gives
         * several values. {@code deps} collects the steps referred to (null: steps may not be referred to here).
         */
        List<String> interpolate(YamlNode at, String s, Set<String> deps) {
            Matcher m = REF.matcher(s);
            if (m.matches() && m.group(1).startsWith("sources.")) {
                List<String> src = sources.get(m.group(1).substring("sources.".length()));
                if (src != null) {
                    return src;
                }
            }
            StringBuilder sb = new StringBuilder();
            m.reset();
            while (m.find()) {
                m.appendReplacement(sb, Matcher.quoteReplacement(resolve(at, m.group(1), deps)));
            }
            m.appendTail(sb);
            return List.of(sb.toString());
        }

        String resolve(YamlNode at, String ref, Set<String> deps) {
            if (ref.startsWith("env.")) {
                String var = ref.substring(4);
                String dflt = null;
                int d = var.indexOf(":-");
                if (d >= 0) {
                    dflt = var.substring(d + 2);
                    var = var.substring(0, d);
                }
                String v = env.get(var);
                if (v == null || v.isEmpty()) {
                    if (dflt == null) {
                        error(at, "${env." + var + "}: the environment variable " + var + " is not set (give a default: ${env." + var + ":-VALUE})");
                        return "";
                    }
                    return dflt;
                }
                return v;
            }
            if (ref.equals("mix")) {
                if (deps == null) {
                    error(at, "${mix}: the mix cannot be referred to here");
                } else {
                    deps.add("mix");
                }
                return out.resolve("mix").toString();
            }
            if (ref.startsWith("steps.")) {
                String name = ref.substring(6);
                if (deps == null) {
                    error(at, "${" + ref + "}: steps cannot be referred to here");
                } else if (!stepNames.contains(name)) {
                    error(at, "${" + ref + "}: no earlier step is named " + name
                            + (stepNames.isEmpty() ? "" : " (earlier steps: " + String.join(", ", stepNames) + ")"));
                } else {
                    deps.add("steps." + name);
                }
                return stepDir(name).toString();
            }
            if (ref.startsWith("sources.")) {
                List<String> src = sources.get(ref.substring(8));
                if (src == null) {
                    error(at, "${" + ref + "}: no source is named " + ref.substring(8) + " (sources: " + String.join(", ", sources.keySet()) + ")");
                    return "";
                }
                if (src.size() != 1) {
                    error(at, "${" + ref + "} names " + src.size() + " paths: use it as a whole value, not inside a string");
                }
                return src.isEmpty() ? "" : src.get(0);
            }
            if (ref.equals("model.tokenizer") || ref.equals("model.chat_template")) {
                String v = ref.equals("model.tokenizer") ? tokenizer : chatTemplate;
                if (v == null) {
                    error(at, "${" + ref + "}: the recipe sets no " + ref);
                    return "";
                }
                return v;
            }
            error(at, "${" + ref + "}: unknown reference (use steps.NAME, mix, sources.NAME, model.tokenizer, model.chat_template, env.VAR)");
            return "";
        }

        Path stepDir(String name) {
            return out.resolve("steps").resolve(name);
        }

        Unit step(String name, YamlNode node) {
            if (!NAME.matcher(name).matches()) {
                error(node, "step name '" + name + "': use letters, digits, '.', '_' or '-'");
                return null;
            }
            if (!node.isMap()) {
                error(node, "step " + name + " is a mapping: {command: in2, OPTION: VALUE, ...}");
                return null;
            }
            YamlNode cmd = node.map().get("command");
            if (cmd == null || !(cmd.value() instanceof String command)) {
                error(node, "step " + name + ": no command (one of " + String.join(", ", STEP_COMMANDS) + ")");
                return null;
            }
            if (!STEP_COMMANDS.contains(command)) {
                error(cmd, "step " + name + ": unknown command '" + command + "' (one of " + String.join(", ", STEP_COMMANDS) + ")");
                return null;
            }
            Map<String, YamlNode> options = new LinkedHashMap<>(node.map());
            options.remove("command");
            return commandUnit("steps." + name, Kind.STEP, command, stepDir(name), options, node, Map.of());
        }

        Unit delivery(String name, YamlNode node, boolean hasMix) {
            if (!NAME.matcher(name).matches()) {
                error(node, "delivery name '" + name + "': use letters, digits, '.', '_' or '-'");
                return null;
            }
            if (!node.isMap()) {
                error(node, "delivery " + name + " is a mapping: {format: trl, ...} (the options of granular export)");
                return null;
            }
            Map<String, YamlNode> options = new LinkedHashMap<>(node.map());
            Map<String, YamlNode> defaults = new LinkedHashMap<>();
            if (!options.containsKey("in")) {
                if (!hasMix) {
                    error(node, "delivery " + name + ": no 'in' and the recipe has no mix to deliver");
                    return null;
                }
                defaults.put("in", new YamlNode("${mix}", node.where()));
            }
            YamlNode format = options.get("format");
            List<String> formats = new ArrayList<>();
            for (dev.granular.export.ExportFormat f : dev.granular.export.ExportFormat.values()) {
                formats.add(f.wireName());
            }
            for (dev.granular.export.TokenFormat f : dev.granular.export.TokenFormat.values()) {
                formats.add(f.wireName());
            }
            if (format == null) {
                error(node, "delivery " + name + ": no format (one of " + String.join(", ", formats) + ")");
                return null;
            }
            if (!(format.value() instanceof String fs) || !formats.contains(fs.toLowerCase(Locale.ROOT))) {
                error(format, "delivery " + name + ": unknown format '" + format.text() + "' (one of " + String.join(", ", formats) + ")");
                return null;
            }
            if (TOKEN_FORMATS.contains(((String) format.value()).toLowerCase(Locale.ROOT)) && !options.containsKey("tokenizer")
                    && (tokenizer == null || !Files.isDirectory(Path.of(tokenizer)))) {
                error(format, "delivery " + name + ": format " + format.text() + " needs a tokenizer folder: set model.tokenizer to one"
                        + " (it is " + (tokenizer == null ? "not set" : tokenizer) + ") or the delivery's tokenizer");
                return null;
            }
            if (format.value() instanceof String f && TOKEN_FORMATS.contains(f.toLowerCase(Locale.ROOT))) {
                if (tokenizer != null && Files.isDirectory(Path.of(tokenizer)) && !options.containsKey("tokenizer")) {
                    defaults.put("tokenizer", new YamlNode(tokenizer, node.where()));
                }
                if (chatTemplate != null && !options.containsKey("chat-template") && !options.containsKey("chat_template")) {
                    defaults.put("chat-template", new YamlNode(chatTemplate, node.where()));
                }
            }
            Unit u = commandUnit("deliveries." + name, Kind.DELIVERY, "export", out.resolve("deliveries").resolve(name), options, node,
                    defaults);
            return u;
        }

        /** A command step: its options checked against the command's own (picocli) and turned into its command line. */
        Unit commandUnit(String id, Kind kind, String command, Path dir, Map<String, YamlNode> options, YamlNode node,
                         Map<String, YamlNode> defaults) {
            CommandSpec spec = commandSpec(command);
            Map<String, YamlNode> all = new LinkedHashMap<>();
            defaults.forEach(all::put);
            options.forEach((k, v) -> all.put(k.replace('_', '-'), v));
            if (!all.containsKey("tokenizer") && tokenizer != null && spec.findOption("--tokenizer") != null && kind == Kind.STEP) {
                all.put("tokenizer", new YamlNode(tokenizer, node.where()));
            }
            List<String> args = new ArrayList<>(List.of(command, "--out", dir.toString()));
            Set<String> deps = new LinkedHashSet<>();
            List<Path> inputs = new ArrayList<>();
            int errorsBefore = errors.size();
            for (var e : all.entrySet()) {
                String key = e.getKey();
                YamlNode v = e.getValue();
                OptionSpec opt = spec.findOption("--" + key);
                if (RESERVED.contains(key)) {
                    error(v, id + ": '" + key + "' is set by granular run (the folder is " + dir + ")");
                    continue;
                }
                if (opt == null) {
                    error(v, id + ": unknown option '" + key + "' for granular " + command + suggestion(spec, key));
                    continue;
                }
                boolean pathValued = !WRITTEN_PATHS.contains(key) && (opt.type() == Path.class
                        || (opt.auxiliaryTypes().length > 0 && opt.auxiliaryTypes()[0] == Path.class));
                if (v.value() instanceof Boolean b) {
                    if (!opt.typeInfo().isBoolean()) {
                        error(v, id + ": " + key + " takes a value, not " + b);
                    } else if (b) {
                        args.add("--" + key);
                    }
                    continue;
                }
                if (v.value() == null) {
                    continue;
                }
                if (v.isMap()) {
                    // e.g. extra-body: a JSON object, written as YAML
                    try {
                        args.add("--" + key);
                        args.add(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(v.plain()));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                        error(v, id + ": " + key + ": " + ex.getOriginalMessage());
                    }
                    continue;
                }
                for (YamlNode item : v.list()) {
                    if (!item.isScalar() || item.value() == null) {
                        error(item, id + ": " + key + ": expected a value or a list of values");
                        continue;
                    }
                    Set<String> refs = new LinkedHashSet<>();
                    for (String s : interpolate(item, item.text(), refs)) {
                        args.add("--" + key);
                        args.add(s);
                        if (pathValued && refs.isEmpty()) {
                            if (!Files.exists(Path.of(s))) {
                                error(item, id + ": " + key + ": no such file or folder '" + s + "'");
                            } else {
                                inputs.add(Path.of(s));
                            }
                        }
                    }
                    deps.addAll(refs);
                }
            }
            if (errors.size() == errorsBefore) {
                // The command's own parser: types, required options, values it refuses at parse time.
                CommandLine cl = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
                try {
                    cl.parseArgs(args.toArray(String[]::new));
                } catch (CommandLine.ParameterException ex) {
                    error(node, id + " (granular " + command + "): " + ex.getMessage());
                }
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("command", command);
            List<String> keyArgs = new ArrayList<>();
            for (int i = 3; i < args.size(); i++) {
                String a = args.get(i);
                boolean flag = i + 1 >= args.size() || args.get(i + 1).startsWith("--");
                if (a.startsWith("--") && NOT_IN_KEY.matcher(a.substring(2)).matches()) {
                    i += flag ? 0 : 1;
                    continue;
                }
                keyArgs.add(a);
            }
            config.put("args", keyArgs);
            return new Unit(id, kind, command, dir, List.copyOf(args), config, List.copyOf(deps), List.copyOf(inputs), null, node.where());
        }

        String suggestion(CommandSpec spec, String key) {
            List<String> close = new ArrayList<>();
            for (OptionSpec o : spec.options()) {
                String n = o.longestName().replaceFirst("^--", "");
                if (!RESERVED.contains(n) && (n.contains(key) || key.contains(n) || distance(n, key) <= 2)) {
                    close.add(n);
                }
            }
            return close.isEmpty() ? " (granular " + spec.name() + " --help lists them)" : " (did you mean " + String.join(" or ", close) + "?)";
        }

        Unit mix(YamlNode node) {
            if (!node.isMap()) {
                error(node, "mix is a mapping: {components: {NAME: {from: STEP, share: 0.5}}, seed, validation, ...}");
                return null;
            }
            Map<String, YamlNode> m = node.map();
            m.forEach((k, v) -> {
                if (!MIX_KEYS.contains(k)) {
                    error(v, "unknown key 'mix." + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(MIX_KEYS)) + ")");
                }
            });
            Set<String> deps = new LinkedHashSet<>();
            List<Path> inputs = new ArrayList<>();
            List<MixComponent> components = new ArrayList<>();
            YamlNode cs = m.get("components");
            if (cs == null || !cs.isMap() || cs.map().isEmpty()) {
                error(cs == null ? node : cs, "mix.components: NAME: {from: STEP|SOURCE|PATH, share: 0.5 | count: 1000}");
            } else {
                cs.map().forEach((name, c) -> {
                    MixComponent mc = component(name, c, deps, inputs);
                    if (mc != null) {
                        components.add(mc);
                    }
                });
            }
            Long total = integer(m.get("total"), "mix.total");
            Long seed = integer(m.get("seed"), "mix.seed");
            Long ngram = integer(m.get("ngram"), "mix.ngram");
            Long shard = integer(m.get("shard_size"), "mix.shard_size");
            double validation = 0.05;
            if (m.get("validation") != null) {
                if (m.get("validation").value() instanceof Number n) {
                    validation = n.doubleValue();
                } else {
                    error(m.get("validation"), "mix.validation: a fraction (0.05) or a row count (500)");
                }
            }
            Double nearDedup = null;
            YamlNode near = m.get("near_dedup");
            if (near != null && near.value() != null && !Boolean.FALSE.equals(near.value())) {
                if (near.value() instanceof Number n && n.doubleValue() > 0 && n.doubleValue() <= 1) {
                    nearDedup = n.doubleValue();
                } else if (Boolean.TRUE.equals(near.value())) {
                    nearDedup = NearDedupConfig.DEFAULT.threshold();
                } else {
                    error(near, "mix.near_dedup: a Jaccard similarity threshold in (0, 1], e.g. 0.8 (true: 0.8; false: off)");
                }
            }
            List<Path> decon = new ArrayList<>();
            if (m.get("decontaminate") != null) {
                for (YamlNode d : m.get("decontaminate").list()) {
                    for (String s : d.value() == null ? List.<String>of() : interpolate(d, d.text(), null)) {
                        if (!Files.exists(Path.of(s))) {
                            error(d, "mix.decontaminate: no such file '" + s + "'");
                        }
                        decon.add(Path.of(s));
                        inputs.add(Path.of(s));
                    }
                }
            }
            MixPlan plan = new MixPlan(components, total, seed == null ? 42 : seed, validation, decon,
                    ngram == null ? Decontaminator.DEFAULT_N : Math.toIntExact(ngram), shard == null ? 10_000 : Math.toIntExact(shard),
                    nearDedup);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("mix", node.plain());
            config.put("components", components.stream().map(c -> List.of(c.name(), c.inputs().toString())).toList());
            config.put("tokenizer", tokenizer);
            config.put("chat_template", chatTemplate);
            return new Unit("mix", Kind.MIX, "mix", out.resolve("mix"), List.of(), config, List.copyOf(deps), List.copyOf(inputs), plan,
                    node.where());
        }

        MixComponent component(String name, YamlNode c, Set<String> deps, List<Path> inputs) {
            if (!NAME.matcher(name).matches()) {
                error(c, "mix component '" + name + "': use letters, digits, '.', '_' or '-'");
                return null;
            }
            if (!c.isMap()) {
                error(c, "mix component " + name + ": {from: STEP|SOURCE|PATH, share: 0.5} or {from: ..., count: 1000}");
                return null;
            }
            c.map().forEach((k, v) -> {
                if (!Set.of("from", "share", "count").contains(k)) {
                    error(v, "unknown key 'mix.components." + name + "." + k + "' (known: from, share, count)");
                }
            });
            YamlNode from = c.map().get("from");
            List<Path> paths = new ArrayList<>();
            if (from == null) {
                error(c, "mix component " + name + ": no 'from' (a step, a source, or paths)");
            } else {
                for (YamlNode f : from.list()) {
                    String s = f.text();
                    if (s == null) {
                        error(f, "mix component " + name + ": an empty 'from'");
                    } else if (stepNames.contains(s)) {
                        deps.add("steps." + s);
                        paths.add(stepDir(s));
                    } else if (sources.containsKey(s)) {
                        sources.get(s).forEach(p -> {
                            paths.add(Path.of(p));
                            inputs.add(Path.of(p));
                        });
                    } else {
                        Set<String> refs = new LinkedHashSet<>();
                        for (String p : interpolate(f, s, refs)) {
                            if (refs.isEmpty() && !Files.exists(Path.of(p))) {
                                error(f, "mix component " + name + ": '" + p + "' is not a step, a source or an existing path"
                                        + (stepNames.isEmpty() ? "" : " (steps: " + String.join(", ", stepNames) + ")"));
                            } else if (refs.isEmpty()) {
                                inputs.add(Path.of(p));
                            }
                            paths.add(Path.of(p));
                        }
                        deps.addAll(refs);
                    }
                }
            }
            Double share = null;
            Long count = null;
            YamlNode sh = present(c.map().get("share"));
            YamlNode co = present(c.map().get("count"));
            if ((sh == null) == (co == null)) {
                error(c, "mix component " + name + ": give either share (a fraction of the mix) or count (rows)");
            } else if (sh != null) {
                if (sh.value() instanceof Number n && n.doubleValue() > 0 && n.doubleValue() <= 1) {
                    share = n.doubleValue();
                } else {
                    error(sh, "mix component " + name + ": share must be a number in (0, 1]");
                }
            } else {
                count = integer(co, "mix component " + name + ": count");
            }
            return new MixComponent(name, paths, share, count);
        }

        /** A key set to null ({@code --set KEY=null}) counts as not given. */
        static YamlNode present(YamlNode n) {
            return n == null || n.value() == null ? null : n;
        }

        Long integer(YamlNode n, String what) {
            if (n == null || n.value() == null) {
                return null;
            }
            if (n.value() instanceof Integer || n.value() instanceof Long || n.value() instanceof java.math.BigInteger) {
                return ((Number) n.value()).longValue();
            }
            error(n, what + ": expected a whole number, got '" + n.text() + "'");
            return null;
        }
    }

    static CommandSpec commandSpec(String command) {
        CommandLine cl = Granular.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        return cl.getSubcommands().get(command).getCommandSpec();
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
