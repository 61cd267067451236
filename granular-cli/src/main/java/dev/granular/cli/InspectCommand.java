package dev.granular.cli;

import dev.granular.export.Labeler;
import dev.granular.export.LossMask;
import dev.granular.export.job.Inspector;
import dev.granular.files.AtomicFiles;
import dev.granular.files.OutputOverlap;
import dev.granular.io.BadInputException;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granular inspect}: records as the trainer will see them, with the loss mask on top. */
@Command(name = "inspect",
        header = "Show records as the trainer sees them: the rendered chat with trained tokens highlighted.",
        description = {
                "Renders each record with the model's chat template, tokenizes it, labels every token as the tokens "
                        + "export would (trained text and the end-of-turn token of trained turns), and shows trained tokens in "
                        + "green (or [[like this]] without colour), with counts. Check a mask by eye before spending GPU hours.",
                "",
                "Examples:",
                "  granular inspect out/isc --tokenizer models/Qwen3-8B --limit 2",
                "  granular inspect out/demo --tokenizer models/Qwen3-8B --id in2-00000007 \\",
                "      --tokens",
                "  granular inspect out/isc --tokenizer models/Qwen3-8B --html mask.html",
                "  granular inspect out/isc --tokenizer models/Qwen3-8B \\",
                "      --chat-template my-template.jinja"},
        mixinStandardHelpOptions = true)
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PATH", arity = "1..*",
            description = "Canonical records: .jsonl/.jsonl.gz files or directories of them (an output directory reads its data/).")
    List<Path> in;

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR",
            description = "A model's tokenizer folder: tokenizer.json, tokenizer_config.json, and its chat template "
                    + "(chat_template.jinja or tokenizer_config.json's chat_template).")
    Path tokenizer;

    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "Render with this chat template instead of --tokenizer's: a .jinja file, or a .json file with a "
                    + "\"chat_template\" entry. Special tokens still come from --tokenizer.")
    Path chatTemplate;

    @Option(names = "--allow-special-text", description = "Label records whose text spells a special token (e.g. <|im_end|>) "
            + "as the tokenizer encodes them, as export --allow-special-text would, instead of showing them refused.")
    boolean allowSpecialText;

    @Option(names = "--id", paramLabel = "ID", description = "Only this record.")
    String id;

    @Option(names = "--limit", defaultValue = "3", paramLabel = "N", description = "Records to show (without --id). Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--tokens", description = "Show token boundaries (alternating shades).")
    boolean tokens;

    @Option(names = "--html", paramLabel = "FILE", description = "Write an HTML page instead of printing.")
    Path html;

    @Option(names = "--color", defaultValue = "auto", paramLabel = "WHEN", description = "auto, always or never. Default: ${DEFAULT-VALUE}.")
    String color;

    @Override
    public Integer call() {
        if (html != null) {
            List<Path> inputs = new ArrayList<>(in);
            inputs.add(tokenizer);
            if (chatTemplate != null) {
                inputs.add(chatTemplate);
            }
            OutputOverlap.check("--html", html, inputs);
        }
        ChatTemplate template = ChatTemplate.load(tokenizer, chatTemplate);
        List<Inspector.Entry> entries = new ArrayList<>();
        try (Tokenizer tok = Tokenizers.load(tokenizer.toString()); Stream<TrainingRecord> records = RecordReader.read(in)) {
            Labeler labeler = new Labeler(template, tok, allowSpecialText);
            for (var it = records.iterator(); it.hasNext() && (id != null || entries.size() < limit); ) {
                TrainingRecord r = it.next();
                if (id == null || id.equals(r.id())) {
                    entries.add(new Inspector.Entry(r, labeler.label(r)));
                }
            }
        }
        if (entries.isEmpty()) {
            throw new BadInputException(JsonlInput.names(in), 0, id != null ? "no record with id " + id : "no records");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (html != null) {
            AtomicFiles.write(html, Inspector.html(entries, "granular inspect " + JsonlInput.names(in)));
            out.println("inspect: wrote " + entries.size() + " records to " + html);
            return Granular.OK;
        }
        boolean colour = switch (color) {
            case "always" -> true;
            case "never" -> false;
            case "auto" -> System.console() != null;
            default -> throw new BadInputException("--color must be auto, always or never, got '" + color + "'");
        };
        for (Inspector.Entry e : entries) {
            switch (e.result()) {
                case LossMask m -> {
                    out.println("== " + e.record().id() + ": " + Inspector.counts(m));
                    out.println(Inspector.ansi(m, tokens, colour));
                }
                case Labeler.Refused r -> out.println("== " + e.record().id() + ": refused: " + r.reason());
            }
            out.println();
        }
        return Granular.OK;
    }
}
