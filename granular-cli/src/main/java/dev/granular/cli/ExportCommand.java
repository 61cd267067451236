package dev.granular.cli;

import dev.granular.export.ExportFormat;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenFormat;
import dev.granular.export.Truncation;
import dev.granular.export.ExportJob;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code granular export}: maps options onto {@link ExportJob} or, for the token formats, {@link TokenExportJob}. */
@Command(name = "export",
        header = "Deliver records in a trainer's format: exact, or refused with a reason.",
        description = {
                "Formats: openai (weight on assistant messages), axolotl (chat_template rows with train and "
                        + "train_detail, plus axolotl.yaml), trl (prompt/completion or messages rows), llamafactory (sharegpt "
                        + "rows plus dataset_info.json). A record whose loss mask a format cannot carry (e.g. a partly trained "
                        + "message for openai, trl and llamafactory) goes to DIR/rejected.jsonl.",
                "",
                "Token formats, rendered with --tokenizer's chat template (chat_template.jinja, else "
                        + "tokenizer_config.json's chat_template, else chat_template.json; or --chat-template FILE) and "
                        + "tokenized with --tokenizer: tokens (input_ids, attention_mask, labels with -100 where untrained) "
                        + "and trl-tokens (input_ids, completion_mask for TRL's SFTTrainer). Parquet by default; --pack N "
                        + "packs examples into rows of at most N tokens with position_ids restarting per example.",
                "",
                "Examples:",
                "  granular export --in out/demo --format axolotl --out out/demo-axolotl",
                "  granular export --in out/demo --format tokens --tokenizer models/qwen3 \\",
                "      --max-length 8192 \\",
                "      --truncation left-context --pack 8192 --out out/demo-tokens",
                "  granular export --in out/demo --format trl-tokens \\",
                "      --tokenizer models/qwen3 \\",
                "      --chat-template my-template.jinja --out out/demo-trl",
                "Docs: docs/export.md"},
        mixinStandardHelpOptions = true)
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    SaveRecipeOption saveRecipe;

    @Option(names = "--in", required = true, paramLabel = "PATH", arity = "1..*",
            description = "Canonical records: .jsonl/.jsonl.gz files or directories of them (an output directory reads its data/); "
                    + "several paths, or --in repeated, are read in order.")
    List<Path> in;

    @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "openai, axolotl, trl, llamafactory, tokens or trl-tokens.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Token formats: a Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json, and the chat "
                    + "template: chat_template.jinja or tokenizer_config.json's chat_template).")
    Path tokenizer;

    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "Token formats: render with this chat template instead of --tokenizer's: a .jinja file, or a .json file "
                    + "with a \"chat_template\" entry (string or named list). Special tokens still come from --tokenizer.")
    Path chatTemplate;

    @Option(names = "--max-length", defaultValue = "0", paramLabel = "N",
            description = "Token formats: longest example in tokens (0: no limit; with --pack, the row size).")
    int maxLength;

    @Option(names = "--truncation", defaultValue = "error", paramLabel = "MODE",
            description = "Token formats, for an example over --max-length: error (exit 2 naming the record), drop "
                    + "(rejected.jsonl), left-context (remove middle paragraphs of the longest user message). Default: ${DEFAULT-VALUE}.")
    String truncation;

    @Option(names = "--pack", defaultValue = "0", paramLabel = "N",
            description = "Token formats: pack examples into rows of at most N tokens (best-fit decreasing); 0: one example per row.")
    int pack;

    @Option(names = "--tokens-format", defaultValue = "parquet", paramLabel = "parquet|jsonl",
            description = "Token formats: file format of the rows. Default: ${DEFAULT-VALUE}.")
    String tokensFormat;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Token formats: labelling threads (0: all cores).")
    int threads;

    @Option(names = "--shard-size", defaultValue = "10000", paramLabel = "N", description = "Rows per data file. Default: ${DEFAULT-VALUE}.")
    int shardSize;

    @Option(names = "--allow-special-text", description = "Token formats: export records whose text spells one of the "
            + "tokenizer's special tokens (e.g. <|im_end|> inside an answer) as transformers would tokenize them, as the control "
            + "token itself. By default they go to rejected.jsonl with the message and token named.")
    boolean allowSpecialText;

    @Option(names = "--no-context-ids", description = "Token formats: ignore the context token ids that granular in2 "
            + "--chat-template kept in the input's tokens/ folder, and render and tokenize every row whole (the rows are the same; "
            + "by default kept ids are used when they match the tokenizer, the chat template and the records).")
    boolean noContextIds;

    @Option(names = "--overwrite", description = OutputHelp.OVERWRITE)
    boolean overwrite;

    @Override
    public Integer call() {
        List<String> commandLine = new ArrayList<>();
        if (spec.commandLine().getParent() == null) {
            commandLine.add("export");
        }
        commandLine.addAll(spec.commandLine().getParseResult().originalArgs());
        TokenFormat tokens = TokenFormat.byName(format.toLowerCase(Locale.ROOT));
        if (tokens != null) {
            return tokens(tokens, commandLine);
        }
        ExportFormat plain = null;
        for (ExportFormat f : ExportFormat.values()) {
            if (f.wireName().equals(format.toLowerCase(Locale.ROOT))) {
                plain = f;
            }
        }
        if (plain == null) {
            throw new ParameterException(spec.commandLine(), "--format: unknown format '" + format
                    + "' (expected openai, axolotl, trl, llamafactory, tokens or trl-tokens)");
        }
        var parse = spec.commandLine().getParseResult();
        for (String tokenOnly : List.of("--tokenizer", "--chat-template", "--max-length", "--truncation", "--pack", "--tokens-format", "--threads",
                "--allow-special-text", "--no-context-ids")) {
            if (parse.hasMatchedOption(tokenOnly)) {
                throw new ParameterException(spec.commandLine(), tokenOnly + " applies to the token formats (tokens, trl-tokens) only");
            }
        }
        ExportJob.Result r;
        try (Progress progress = Progress.start("export", 0, System.err, true)) {
            r = ExportJob.run(plainSpec(plain, commandLine), n -> progress.step(n, 0));
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "export: %,d of %,d records as %s to %s%s%n", r.exported(), r.records(),
                plain.wireName(), out, r.rejected() > 0 ? "; " + r.rejected() + " rejected (see " + out.resolve("rejected.jsonl") + ")" : "");
        return Granular.OK;
    }

    /** The library job of a row format: no optional flag gives {@code ExportJob.Spec.of(in, format, out)} (JobSpecDefaultsTest). */
    ExportJob.Spec plainSpec(ExportFormat plain, List<String> commandLine) {
        return ExportJob.Spec.of(in, plain, out).withShardSize(shardSize).withOverwrite(overwrite).withCommandLine(commandLine);
    }

    private Integer tokens(TokenFormat f, List<String> commandLine) {
        TokenExportJob.Spec job = tokenSpec(f, commandLine);
        TokenExportJob.Result r;
        try (Progress progress = Progress.start("export", 0, System.err, true)) {
            r = TokenExportJob.run(job, n -> progress.step(n, 0), !noContextIds);
        }
        long skipped = r.dropped() + r.rejected();
        spec.commandLine().getOut().printf(Locale.ROOT, "export: %,d of %,d records as %s to %s (%,d rows, %,d tokens, %.1f%% trained%s)%s%n",
                r.examples(), r.records(), f.wireName(), out, r.rows(), r.tokens(), 100 * r.trainedFraction(),
                r.truncated() > 0 ? ", " + r.truncated() + " shortened" : "",
                skipped > 0 ? "; " + r.dropped() + " dropped, " + r.rejected() + " rejected (see " + out.resolve("rejected.jsonl") + ")" : "");
        return Granular.OK;
    }

    /** The token options as the library's export: {@link TokenExportJob.Spec#of} with a wither per option (the defaults are the same). */
    TokenExportJob.Spec tokenSpec(TokenFormat f, List<String> commandLine) {
        if (tokenizer == null) {
            throw new ParameterException(spec.commandLine(), "--format " + f.wireName()
                    + " needs --tokenizer DIR (a Hugging Face tokenizer directory, with its chat template or --chat-template FILE)");
        }
        Truncation t = Truncation.byName(truncation.toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new ParameterException(spec.commandLine(), "--truncation: expected error, drop or left-context, got '" + truncation + "'");
        }
        TokenExportJob.FileFormat ff = switch (tokensFormat.toLowerCase(Locale.ROOT)) {
            case "parquet" -> TokenExportJob.FileFormat.PARQUET;
            case "jsonl" -> TokenExportJob.FileFormat.JSONL;
            default -> throw new ParameterException(spec.commandLine(), "--tokens-format: expected parquet or jsonl, got '" + tokensFormat + "'");
        };
        if (maxLength < 0 || pack < 0 || threads < 0 || shardSize < 1) {
            throw new ParameterException(spec.commandLine(), "--max-length, --pack and --threads must be >= 0, --shard-size >= 1");
        }
        return TokenExportJob.Spec.of(in, out, tokenizer)
                .withFormat(f)
                .withChatTemplate(chatTemplate)
                .withMaxLength(maxLength)
                .withTruncation(t)
                .withPack(pack)
                .withFileFormat(ff)
                .withShardSize(shardSize)
                .withThreads(threads)
                .withAllowSpecialText(allowSpecialText)
                .withOverwrite(overwrite)
                .withCommandLine(commandLine);
    }
}
