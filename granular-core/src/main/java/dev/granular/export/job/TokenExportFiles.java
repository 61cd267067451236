package dev.granular.export.job;

import dev.granular.export.Labeler;
import dev.granular.export.TokenExportJob.FileFormat;
import dev.granular.export.TokenExportJob.Result;
import dev.granular.export.TokenExportJob.Spec;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.record.internal.JsonlInput;
import dev.granular.report.Charts;
import dev.granular.report.Histogram;
import dev.granular.report.Json;
import dev.granular.template.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files of a token export's output folder besides its rows ({@link dev.granular.export.TokenExportJob}): report,
 * dataset card, and the JSON line of a row. Not API: {@code spark export} writes them with the same code.
 */
public final class TokenExportFiles {
    private TokenExportFiles() {
    }

    /**
     * Writes what an export writes once its rows are in {@code dir}: {@code report/summary.json},
     * {@code report/lengths.png} (the example lengths) and the dataset card {@code README.md} (front matter
     * that makes {@code datasets.load_dataset(DIR)} read exactly the data files). Returns the summary, which
     * the manifest carries as its counts. Shared with granular-spark's export, which writes the very same files.
     *
     * @param exampleLengths the length in tokens of every example, in input order
     * @param extraSummary   entries appended to the summary (may be empty)
     */
    public static Map<String, Object> writeReportAndCard(Spec spec, Labeler labeler, OutputDirectory dir, Result result,
                                                         int[] exampleLengths, Map<String, Object> extraSummary) {
        Map<String, Object> summary = summary(spec, labeler, result);
        summary.putAll(extraSummary);
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
            int top = Math.max(1, Arrays.stream(exampleLengths).max().orElse(1));
            Charts.histogramPng(dir.reportDir().resolve("lengths.png"), "Example length (" + labeler.tokenizer().name() + ")",
                    "tokens", "examples", Histogram.of(0, top + 1, 50, Arrays.stream(exampleLengths).asDoubleStream().toArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.train("granular export: " + spec.format().wireName(), result.rows(),
                List.of("text-generation"), "sft", "pre-tokenized", spec.format().wireName())
                .withSplits(Map.of("train", spec.fileFormat() == FileFormat.PARQUET ? HubCard.PARQUET_SHARDS : HubCard.JSONL_SHARDS)).withFeaturesOf(dir.dir()).card(card(spec, labeler, result)));
        return summary;
    }

    /**
     * One row as a line of {@code --tokens-format jsonl} (no newline): {@code {"input_ids":[...],...}} with
     * {@code columns} in order. Shared with granular-spark, which writes byte-identical lines.
     */
    public static String jsonLine(List<String> columns, int[][] row) {
        StringBuilder sb = new StringBuilder();
        appendJsonLine(sb, columns, row);
        return sb.toString();
    }

    public static void appendJsonLine(StringBuilder sb, List<String> columns, int[][] row) {
        sb.append('{');
        for (int c = 0; c < columns.size(); c++) {
            if (c > 0) {
                sb.append(',');
            }
            sb.append('"').append(columns.get(c)).append("\":[");
            int[] v = row[c];
            for (int i = 0; i < v.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(v[i]);
            }
            sb.append(']');
        }
        sb.append('}');
    }

    private static Map<String, Object> summary(Spec spec, Labeler labeler, Result r) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("format", spec.format().wireName());
        s.put("file_format", spec.fileFormat().wireName());
        s.put("tokenizer", labeler.tokenizer().name());
        s.put("chat_template", labeler.template().source());
        s.put("records", r.records());
        s.put("examples", r.examples());
        s.put("rows", r.rows());
        s.put("tokens", r.tokens());
        s.put("trained_tokens", r.trainedTokens());
        s.put("trained_fraction", Math.round(r.trainedFraction() * 1e6) / 1e6);
        s.put("max_length", spec.maxLength() > 0 ? spec.maxLength() : spec.pack());   // the spec's limit()
        s.put("truncation", spec.truncation().wireName());
        s.put("pack", spec.pack());
        s.put("truncated", r.truncated());
        s.put("dropped", r.dropped());
        s.put("rejected", r.rejected());
        s.put("rejected_by_reason", r.rejectedByReason());
        return s;
    }

    private static String card(Spec spec, Labeler labeler, Result r) {
        StringBuilder md = new StringBuilder("# Export: " + spec.format().wireName() + "\n\n");
        md.append("Made by granular with `granular ").append(String.join(" ", spec.commandLine())).append("` from `")
                .append(JsonlInput.names(spec.in())).append("`, rendered with the chat template ").append(templateNote(labeler.template()))
                .append(" and tokenized with `")
                .append(labeler.tokenizer().name()).append("` (").append(labeler.tokenizer().fingerprint()).append(").\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| records read | ").append(r.records()).append(" |\n");
        md.append("| examples | ").append(r.examples()).append(" |\n");
        md.append("| rows (").append(spec.fileFormat().wireName()).append(") | ").append(r.rows()).append(" |\n");
        md.append("| tokens | ").append(r.tokens()).append(" |\n");
        md.append(String.format(Locale.ROOT, "| trained tokens | %d (%.1f%%) |%n", r.trainedTokens(), 100 * r.trainedFraction()));
        md.append("| shortened (left-context) | ").append(r.truncated()).append(" |\n");
        md.append("| dropped (too long) | ").append(r.dropped()).append(" |\n");
        md.append("| rejected (mask) | ").append(r.rejected()).append(" |\n\n");
        if (!r.rejectedByReason().isEmpty()) {
            md.append("Left out (see rejected.jsonl):\n\n");
            r.rejectedByReason().forEach((k, v) -> md.append("- ").append(v).append(" × ").append(k).append('\n'));
            md.append('\n');
        }
        md.append("Columns: `").append(String.join("`, `", spec.format().columns(spec.pack() > 0))).append("`. ");
        md.append(switch (spec.format()) {
            case TOKENS -> "`labels` is -100 where the loss is off (not shifted: the trainer shifts).";
            case TRL_TOKENS -> "`completion_mask` is 1 where the loss is on; train with TRL's SFTTrainer and `completion_only_loss=True`.";
        });
        if (spec.pack() > 0) {
            md.append(" Rows are packed to at most ").append(spec.pack()).append(" tokens; `position_ids` restart at 0 for each "
                    + "example, so use a trainer mode that reads them (flash-attention varlen / padding-free) to keep examples from "
                    + "attending to each other.");
        }
        md.append("\n\nLength histogram: `report/lengths.png`.\n");
        return md.toString();
    }

    private static String templateNote(ChatTemplate t) {
        return (t.source() == null ? "given in code" : "of `" + t.source() + "`") + " (" + t.fingerprint() + ")";
    }
}
