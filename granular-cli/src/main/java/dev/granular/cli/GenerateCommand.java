package dev.granular.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.teacher.GenerateJob;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.ModelSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granular generate}: maps options onto {@link GenerateJob}. */
@Command(name = "generate",
        header = "Ask a model for a reply to every input row: fast, resumable, cost-aware.",
        description = {
                "Input rows (JSONL): canonical records or {\"messages\": [...]} (the conversation so far; a trailing "
                        + "assistant message is the old answer and is replaced) or {\"prompt\": ...}, each with an optional id. "
                        + "--in takes files and directories (e.g. another command's output). Output: the input messages plus "
                        + "the reply (trained), with meta.generation. Rows that fail go to DIR/failed.jsonl and the run exits 3; "
                        + "rerun the same command to retry them. Killed runs resume without paying twice.",
                "",
                "Models: openai:MODEL (OPENAI_API_KEY), openai:MODEL@URL (any OpenAI-compatible server), "
                        + "anthropic:MODEL (ANTHROPIC_API_KEY).",
                "",
                "Examples:",
                "  granular generate --in prompts.jsonl --model openai:gpt-4o-mini \\",
                "      --out out/gen --dry-run",
                "  granular generate --in prompts.jsonl \\",
                "      --model openai:qwen3-8b@http://localhost:8000/v1 --concurrency 256 \\",
                "      --out out/gen",
                "Docs: docs/models.md"},
        mixinStandardHelpOptions = true)
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Mixin
    SpendOptions spend;

    @Mixin
    BatchOptions batch;

    @Mixin
    LimitOptions limits;

    @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Input rows: .jsonl/.jsonl.gz files or directories of them (an output directory reads its data/); "
                    + "several paths, or --in repeated, are read in order.")
    List<Path> in;

    @Option(names = "--model", required = true, paramLabel = "SPEC", description = "openai:MODEL, openai:MODEL@URL or anthropic:MODEL.")
    String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--n", defaultValue = "1", paramLabel = "K", description = "Replies per row (ids ID#0..ID#K-1). Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature, e.g. 0 for greedy replies. Default: the server's.")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling: sample from the most likely tokens whose "
            + "probabilities add up to P (0 < P <= 1). Default: the server's.")
    Double topP;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Most tokens per reply; a longer reply is cut and marked "
            + "with its finish reason. Default: the server's.")
    Integer maxTokens;

    @Option(names = "--seed", paramLabel = "N", description = "Sampling seed (sample k uses seed + k).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", arity = "1..*", description = "Stop sequences.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--extra-body", paramLabel = "JSON", description = "Extra request fields, a JSON object, e.g. '{\"top_k\": 20}'.")
    String extraBody;

    @Option(names = "--json-schema", paramLabel = "FILE", description = "Replies must be JSON satisfying this schema; invalid ones are re-asked, then the row fails.")
    Path jsonSchema;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Only the first N rows.")
    long limit;

    @Mixin
    DryRunOptions dryRun;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Records per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() throws IOException, InterruptedException {
        GenerateJob.Spec job = jobSpec();
        var pw = spec.commandLine().getOut();
        if (dryRun.on()) {
            return dryRun.print(GenerateJob.estimate(job), pw);
        }
        PrintStream err = System.err;
        RowProgress listener = new RowProgress(err);
        GenerateJob.Result r;
        try {
            r = GenerateJob.run(job, listener);
        } finally {
            listener.close();
        }
        pw.printf(Locale.ROOT, "generate: %,d records to %s in %.1fs; %s%n", r.ok(), out, r.elapsed().toMillis() / 1000.0, r.costSummary());
        return Granular.OK;
    }

    /**
     * The library job the flags stand for: no optional flag gives {@code GenerateJob.Spec.of(in, model, out)}
     * (JobSpecDefaultsTest). Built with the canonical constructor so that each flag maps onto its component.
     */
    GenerateJob.Spec jobSpec() {
        ModelSpec modelSpec = ModelSpec.parse(model, limits.apiKeyEnv);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (extraBody != null) {
            JsonNode node;
            try {
                node = new ObjectMapper().readTree(extraBody);
            } catch (IOException e) {
                throw new BadInputException("--extra-body is not valid JSON: " + extraBody);
            }
            if (node == null || !node.isObject()) {
                throw new BadInputException("--extra-body must be a JSON object");
            }
            extra = new ObjectMapper().convertValue(node, LinkedHashMap.class);
        }
        GenerationParams params = new GenerationParams(temperature, topP, maxTokens, seed, stop, extra);
        JsonNode schema = null;
        if (jsonSchema != null) {
            try {
                schema = new ObjectMapper().readTree(Files.readString(jsonSchema));
            } catch (IOException e) {
                throw new BadInputException(jsonSchema.toString(), 0, "cannot read the JSON schema: " + e.getMessage());
            }
        }
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("generate");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        return new GenerateJob.Spec(in, modelSpec, params, n, schema, batch.apply(limits.limits()), spend.cachePath(), spend.maxCost,
                spend.prices, limit, out, shardSize, overwrite, commandLine, System.getenv());
    }

    /** {@code 120s}, {@code 2m}, {@code 500ms}, {@code 1h}, or plain seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            try {
                if (t.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
                }
                if (t.endsWith("s")) {
                    return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
                }
                if (t.endsWith("m")) {
                    return Duration.ofSeconds(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60));
                }
                if (t.endsWith("h")) {
                    return Duration.ofSeconds(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 3600));
                }
                return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
            } catch (NumberFormatException e) {
                throw new BadInputException("not a duration: '" + s + "' (e.g. 120s, 2m, 500ms)");
            }
        }
    }
}
