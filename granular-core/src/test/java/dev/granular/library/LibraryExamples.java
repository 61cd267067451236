package dev.granular.library;

import dev.granular.corpus.Corpus;
import dev.granular.corpus.Document;
import dev.granular.erasure.DistillJob;
import dev.granular.erasure.Selection;
import dev.granular.erasure.StrategyLibrary;
import dev.granular.erasure.Erasure;
import dev.granular.export.ExportFormat;
import dev.granular.export.Exported;
import dev.granular.export.TokenExport;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.DedupJob;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.export.TokenExportJob;
import dev.granular.export.TokenRow;
import dev.granular.export.Truncation;
import dev.granular.in2.In2;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Design;
import dev.granular.in2.In2Job;
import dev.granular.io.InvalidConfigException;
import dev.granular.probe.EvalJob;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeJob;
import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.ClientLimits;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.RowListener;
import dev.granular.teacher.SpendEstimate;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The examples of docs/library.md: each region between {@code tag::NAME[]} and {@code end::NAME[]} is a code
 * block of the doc, verbatim ({@link LibraryDocTest} checks it), and each method is run by that test.
 */
final class LibraryExamples {
    private LibraryExamples() {
    }

    /** IN2 records from the bundled corpus, as JSONL lines. */
    static List<String> in2ToStream() {
        // tag::in2[]
        In2Config config = In2Config.DEFAULT
                .withExamples(20)
                .withContext(1024, 2048)   // long-context lengths, tokens
                .withSeed(7);
        List<String> lines = new ArrayList<>();
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base");
             Stream<TrainingRecord> records = In2.of(config).records(Corpus.bundled(), tokenizer)) {
            records.forEach(r -> lines.add(RecordJson.toJson(r)));   // what `granular in2` writes, line for line
        }
        // end::in2[]
        return lines;
    }

    /** IN2 over documents held in memory, computed index by index (a Spark task computes a range of them). */
    static List<TrainingRecord> in2ByIndex(List<Document> documents, Path work) {
        // tag::design[]
        In2Config config = In2Config.DEFAULT.withExamples(10).withContext(1024, 2048);
        List<TrainingRecord> out = new ArrayList<>();
        try (Tokenizer tokenizer = Tokenizers.builtin("o200k_base")) {
            In2Design design = In2.of(config).design(Corpus.documents(documents), tokenizer, work);
            Set<String> seen = new HashSet<>();
            for (long i = 0; i < design.size(); i++) {
                TrainingRecord r = design.example(i);     // a pure function of (corpus, config, i): any order, any thread
                out.add(design.redrawRepeat(r, seen));    // in index order: a repeated question is drawn again
            }
        }
        // end::design[]
        return out;
    }

    /** IN2 records labelled and packed for a model's tokenizer and chat template. */
    static List<TokenRow> tokenExport(Path modelDir) {
        // tag::export[]
        In2Config config = In2Config.DEFAULT.withExamples(8).withContext(1024, 2048);
        List<TokenRow> rows = new ArrayList<>();
        try (Tokenizer o200k = Tokenizers.builtin("o200k_base");
             Tokenizer tokenizer = Tokenizers.huggingFace(modelDir);          // a folder with tokenizer.json
             Stream<TrainingRecord> records = In2.of(config).records(Corpus.bundled(), o200k)) {
            TokenExport export = TokenExport.of(ChatTemplate.load(modelDir), tokenizer)
                    .withMaxLength(4096)
                    .withTruncation(Truncation.DROP)
                    .withPack(8192);
            try (Stream<TokenRow> packed = export.rows(records, skipped -> System.err.println(skipped))) {
                packed.forEach(rows::add);   // row.inputIds(), row.labels() (-100 = no loss), row.positionIds()
            }
        }
        // end::export[]
        return rows;
    }

    /** Records already on disk, erased and delivered as OpenAI fine-tuning rows in memory. */
    static List<Map<String, Object>> eraseAndExport(Path data) {
        // tag::rows[]
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Stream<TrainingRecord> records = RecordReader.read(data)) {   // canonical JSONL: a file or an output folder
            Erasure.erase(records, Erasure.DEFAULT_SYSTEM_MESSAGE)          // Prompt Erasure, one record at a time
                    .map(ExportFormat.OPENAI::export)                       // a row, or why the format cannot carry it
                    .forEach(e -> {
                        switch (e) {
                            case Exported.Row row -> rows.add(row.row());
                            case Exported.Rejected no -> System.err.println(no.reason());
                        }
                    });
        }
        // end::rows[]
        return rows;
    }

    /**
     * IN2 into an output folder, its dedup into another, then their token export into a third, as {@code granular in2},
     * {@code granular dedup} and {@code granular export --format tokens} write them; "in2 EXAMPLES, dedup KEPT, tokens
     * RECORDS ROWS TOKENS".
     */
    static String in2ToFiles(Path modelDir, Path work) {
        // tag::files[]
        In2Config config = In2Config.DEFAULT.withExamples(8).withContext(1024, 2048);
        In2Job.Result in2 = In2Job.run(In2Job.Spec.of(List.of(), config, work.resolve("in2"))   // List.of(): the bundled corpus
                        .withTokenizer(modelDir.toString())
                        .withChatTemplate(In2Job.TOKENIZER_TEMPLATE)   // lengths in the model's rendered tokens
                        .withThreads(2),
                In2Job.Listener.NONE);
        DedupJob.Result deduped = DedupJob.run(DedupJob.Spec.of(List.of(in2.out()), work.resolve("dedup"))
                .withConfig(DedupConfig.DEFAULT.withNear(NearDedupConfig.DEFAULT)));   // exact and near duplicates
        TokenExportJob.Result tokens = TokenExportJob.run(TokenExportJob.Spec.of(deduped.out(), work.resolve("tokens"), modelDir)
                .withMaxLength(4096)
                .withTruncation(Truncation.DROP)
                .withPack(8192));
        // end::files[]
        return "in2 " + in2.examples() + ", dedup " + deduped.counts().kept() + ", tokens " + tokens.records() + " " + tokens.rows()
                + " " + tokens.tokens();
    }

    /** A configuration error names the configuration's fields. */
    static String configError() {
        // tag::errors[]
        try {
            In2Config.DEFAULT.withContext(4096, 2048);
        } catch (InvalidConfigException e) {
            return e.getMessage();   // "minTokens (4096) is larger than maxTokens (2048)"; e.fields(): [minTokens, maxTokens]
        }
        // end::errors[]
        return null;
    }

    /** docs/library.md "Teacher designs": distill against an OpenAI-compatible server at {@code server}. */
    static DistillJob.Result distill(Path tasks, String server, Path out) throws InterruptedException {
        // tag::teacher[]
        ModelSpec teacher = ModelSpec.parse("openai:qwen2.5-7b-instruct@" + server, null);   // e.g. vLLM's http://localhost:8000/v1
        DistillJob.Spec spec = DistillJob.Spec.of(List.of(tasks), teacher, out)
                .withSelection(Selection.parse("fixed:step-by-step", 0, StrategyLibrary.builtIn()))
                .withLimits(ClientLimits.DEFAULT.withConcurrency(8).withMaxRetries(3))
                .withCachePath(null)      // no shared response cache: the output folder's journal still makes it resumable
                .withEnv(Map.of());       // a local server needs no API key
        SpendEstimate plan = DistillJob.estimate(spec);   // what the run would send, sending nothing
        System.out.println(plan.requests() + " requests, " + plan.free() + " already answered");
        DistillJob.Result result = DistillJob.run(spec, RowListener.NONE);
        // end::teacher[]
        return result;
    }

    /**
     * docs/library.md "Evaluation": document probes from a pieces file, scored on the replies of an OpenAI-compatible
     * server at {@code server}; the probes go to {@code work/probes}, the scores to {@code work/eval}.
     */
    static EvalJob.Result evaluate(Path pieces, String server, Path work) throws InterruptedException {
        // tag::eval[]
        ProbeConfig layout = ProbeConfig.defaults(ProbeTask.DOCUMENT)
                .withContextTokens(2000).withPositions(10, 5).withSets(1);   // 10 probes: 2 bins of 5 positions
        ProbeJob.Result probes = ProbeJob.run(ProbeJob.Spec.of(ProbeTask.DOCUMENT, work.resolve("probes"))
                .withPieces(pieces).withConfig(layout));
        ModelSpec model = ModelSpec.parse("openai:qwen2.5-7b-instruct@" + server, null);
        EvalJob.Spec spec = EvalJob.Spec.of(work.resolve("probes"), model, work.resolve("eval"))
                .withCachePath(null)      // no shared response cache: the output folder's journal still makes it resumable
                .withEnv(Map.of());       // a local server needs no API key
        System.out.println(EvalJob.estimate(spec).requests() + " requests for " + probes.probes() + " probes");
        EvalJob.Result result = EvalJob.run(spec, RowListener.NONE);
        ScoreSheet.TaskScores document = result.sheet().tasks().get(ProbeTask.DOCUMENT);
        System.out.println("Avg " + document.avg() + ", Gap " + document.gap() + ", by bin " + Arrays.toString(document.bins()));
        // end::eval[]
        return result;
    }
}
