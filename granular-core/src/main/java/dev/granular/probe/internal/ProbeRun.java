package dev.granular.probe.internal;

import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.Document;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.io.BadInputException;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeJob;
import dev.granular.probe.ProbeTask;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * What {@link ProbeJob#run} does: builds VAL probes (one per position per set) or a needle grid (one per length and
 * depth) and writes them into the output directory. Construction is deterministic, so a killed run resumes by
 * rebuilding the probes and writing only those not yet on disk.
 */
public final class ProbeRun {
    private ProbeRun() {
    }

    public static ProbeJob.Result run(ProbeJob.Spec spec, LongConsumer progress) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("task", spec.task().id());
        identity.put("pieces_sha256", spec.pieces() == null ? null : CorpusReader.fingerprint(List.of(spec.pieces())));
        identity.put("corpus_sha256", spec.corpus().isEmpty() ? BundledCorpus.fingerprint() : CorpusReader.fingerprint(spec.corpus()));
        identity.put("config", List.of(spec.config().contextTokens(), spec.config().positions(), spec.config().bin(),
                spec.config().sets(), spec.config().seed(), spec.config().template().text()));
        identity.put("tokenizer", spec.tokenizer());
        dev.granular.template.ChatTemplate chatTemplate = spec.chatTemplate() == null ? null
                : dev.granular.in2.In2Job.loadChatTemplate(spec.tokenizer(), spec.chatTemplate());
        if (chatTemplate != null) {
            identity.put("chat_template_fingerprint", chatTemplate.fingerprint());
        }
        identity.put("lengths", spec.lengths());
        identity.put("depths", spec.depths());
        identity.put("needle", spec.needle() == null ? null : List.of(spec.needle().sentence(), spec.needle().question(),
                spec.needle().answer()));
        OutputDirectory dir = OutputDirectory.open(spec.out(), "probe", identity, spec.shardSize(), spec.overwrite(),
                java.util.stream.Stream.concat(java.util.stream.Stream.ofNullable(spec.pieces()), spec.corpus().stream()).toList());
        try (Tokenizer tok = Tokenizers.load(spec.tokenizer()); ShardWriter w = dir.writer()) {
            TokenCounter counter = new TokenCounter(tok);
            PromptLengths prompts = chatTemplate == null ? null : new PromptLengths(chatTemplate, tok);
            ProbeJob.Result r = spec.task().isVal() ? val(spec, counter, prompts, w, progress) : needle(spec, counter, prompts, w, progress);
            w.finish();
            writeCard(spec, dir, r);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tool", "granular");
            m.put("command", "probe");
            m.put("command_line", spec.commandLine());
            m.put("task", spec.task().id());
            m.put("tokenizer", tok.name());
            if (chatTemplate != null) {
                m.put("chat_template", chatTemplate.source());
                m.put("chat_template_fingerprint", chatTemplate.fingerprint());
            }
            m.put("fingerprint", dir.fingerprint());
            m.put("counts", summary(spec, r));
            dir.finish(m);
            return r;
        } catch (RuntimeException e) {
            dir.abandon(e);
            throw e;
        }
    }

    /** Rebuilds of a set or haystack to fit a rendered prompt; each shrinks the budget by what the prompt overshot. */
    private static final int MAX_REFITS = 8;

    private static ProbeJob.Result val(ProbeJob.Spec spec, TokenCounter counter, PromptLengths prompts, ShardWriter w, LongConsumer progress) {
        List<Item> pool = spec.pieces() != null ? Pieces.read(spec.pieces(), spec.task()) : corpusItems(spec);
        long index = 0;
        int swaps = 0;
        List<Integer> tokens = new ArrayList<>();
        for (int s = 0; s < spec.config().sets(); s++) {
            ProbeSet set = ProbeBuilder.build(pool, counter, spec.config(), s);
            int[] rendered = null;
            if (prompts != null) {
                ProbeConfig c = spec.config();
                for (int refit = 0; ; refit++) {
                    rendered = new int[set.targets().size()];
                    int longest = 0;
                    for (int i = 0; i < rendered.length; i++) {
                        Item item = set.items().get(set.targets().get(i).item());
                        rendered[i] = prompts.length(prompts.frame(c.template(), item.question()), set);
                        longest = Math.max(longest, rendered[i]);
                    }
                    if (longest <= spec.config().contextTokens()) {
                        break;
                    }
                    if (refit == MAX_REFITS) {
                        throw new BadInputException("set " + s + ": prompts rendered with " + prompts.template().source()
                                + " stay over --context-tokens " + spec.config().contextTokens());
                    }
                    c = new ProbeConfig(c.contextTokens() - (longest - spec.config().contextTokens()), c.positions(), c.bin(), c.sets(),
                            c.seed(), c.template());
                    set = ProbeBuilder.build(pool, counter, c, s);
                }
            }
            swaps += set.swaps();
            tokens.add(set.contextTokens());
            String context = set.context();
            for (int i = 0; i < set.targets().size(); i++) {
                ProbeSet.Target t = set.targets().get(i);
                if (index++ >= w.start()) {
                    TrainingRecord r = ProbeRecords.val(spec.task(), set, context, t, spec.config());
                    w.write(RecordJson.toJson(rendered == null ? r : withRendered(r, rendered[i])));
                }
                progress.accept(1);
            }
        }
        return new ProbeJob.Result(index, swaps, tokens);
    }

    private static TrainingRecord withRendered(TrainingRecord r, int tokens) {
        Map<String, Object> meta = new LinkedHashMap<>(r.meta());
        meta.put("rendered_tokens", tokens);
        return new TrainingRecord(r.id(), r.messages(), r.tools(), meta);
    }

    private static ProbeJob.Result needle(ProbeJob.Spec spec, TokenCounter counter, PromptLengths prompts, ShardWriter w, LongConsumer progress) {
        List<String> sentences = new ArrayList<>();
        documents(spec).forEach(d -> sentences.addAll(CorpusItems.sentences(d.text())));
        long index = 0;
        List<Integer> tokens = new ArrayList<>();
        for (int li = 0; li < spec.lengths().size(); li++) {
            for (int di = 0; di < spec.depths().size(); di++) {
                int length = spec.lengths().get(li);
                int depth = spec.depths().get(di);
                NeedleBuilder.Haystack h = NeedleBuilder.build(sentences, spec.needle(), counter, length, depth);
                int rendered = -1;
                if (prompts != null) {
                    PromptLengths.Frame frame = prompts.frame(spec.config().template(), spec.needle().question());
                    int budget = length;
                    for (int refit = 0; (rendered = prompts.length(frame, h.context())) > length; refit++) {
                        if (refit == MAX_REFITS || budget - (rendered - length) < 1) {
                            throw new BadInputException("needle length " + length + ": the prompt rendered with "
                                    + prompts.template().source() + " alone is longer");
                        }
                        budget -= rendered - length;
                        h = NeedleBuilder.build(sentences, spec.needle(), counter, budget, depth);
                    }
                }
                tokens.add(h.contextTokens());
                if (index++ >= w.start()) {
                    TrainingRecord r = ProbeRecords.needle(h, spec.needle(), spec.config().template(), di, li, length, depth);
                    w.write(RecordJson.toJson(rendered < 0 ? r : withRendered(r, rendered)));
                }
                progress.accept(1);
            }
        }
        return new ProbeJob.Result(index, 0, tokens);
    }

    private static List<Item> corpusItems(ProbeJob.Spec spec) {
        List<Document> docs = documents(spec);
        return switch (spec.task()) {
            case DOCUMENT -> CorpusItems.documentItems(docs);
            case CODE -> {
                List<Item> items = CorpusItems.codeItems(docs);
                if (items.isEmpty()) {
                    throw new dev.granular.io.InvalidConfigException("code probes need ${pieces} or a ${corpus} holding Python functions (.py files)");
                }
                yield items;
            }
            case DATABASE -> CorpusItems.databaseItems(docs, Math.max(2000, spec.config().contextTokens() / 8), spec.config().seed());
            case NEEDLE -> throw new IllegalStateException("needle has no items");
        };
    }

    /** The corpus: the bundled sample, or the given paths, where .py files are read whole (CorpusReader does not list them). */
    static List<Document> documents(ProbeJob.Spec spec) {
        List<Document> docs = new ArrayList<>();
        if (spec.corpus().isEmpty()) {
            BundledCorpus.forEach(docs::add);
            return docs;
        }
        List<Path> other = new ArrayList<>();
        for (Path p : spec.corpus()) {
            try (Stream<Path> s = Files.isDirectory(p) ? Files.walk(p) : Stream.of(p)) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    if (f.getFileName().toString().endsWith(".py")) {
                        docs.add(new Document(f.toString(), Files.readString(f, StandardCharsets.UTF_8), f.toString()));
                    }
                }
            } catch (IOException e) {
                throw new BadInputException(p, 0, "cannot read: " + e.getMessage());
            }
            if (!p.toString().endsWith(".py")) {
                other.add(p);
            }
        }
        if (!other.isEmpty() && (spec.task() != ProbeTask.CODE || docs.isEmpty())) {
            new CorpusReader(other, spec.corpusOptions()).forEach(docs::add);
        }
        return docs;
    }

    private static Map<String, Object> summary(ProbeJob.Spec spec, ProbeJob.Result r) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("probes", r.probes());
        c.put("ambiguous_swapped", r.swaps());
        c.put("context_tokens", r.contextTokens());
        return c;
    }

    private static void writeCard(ProbeJob.Spec spec, OutputDirectory dir, ProbeJob.Result r) {
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary(spec, r));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProbeConfig c = spec.config();
        StringBuilder md = new StringBuilder("# Lost-in-the-middle probes: " + spec.task().id() + "\n\n");
        md.append("Made by granular with `granular ").append(String.join(" ", spec.commandLine())).append("`.\n\n");
        md.append("Evaluation data, not training data: each record's user message is a long context and a question "
                + "about one position in it; run `granular eval --probes DIR` to score a model (docs/eval.md).\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| probes | ").append(r.probes()).append(" |\n");
        if (spec.task().isVal()) {
            md.append("| sets × positions | ").append(c.sets()).append(" × ").append(c.positions()).append(" (bins of ")
                    .append(c.bin()).append(") |\n");
            md.append("| items | ").append(spec.pieces() != null ? "pieces file `" + spec.pieces().getFileName() + "`" : "corpus")
                    .append(" |\n");
            md.append("| ambiguous targets swapped | ").append(r.swaps()).append(" |\n");
        } else {
            md.append("| lengths | ").append(spec.lengths()).append(" |\n| depths (%) | ").append(spec.depths()).append(" |\n");
        }
        md.append("| context tokens (exact, `").append(spec.tokenizer()).append("`) | ").append(r.contextTokens()).append(" |\n");
        md.append("| seed | ").append(c.seed()).append(" |\n");
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.test("Lost-in-the-middle probes: " + spec.task().id(), r.probes(),
                List.of("text-generation", "question-answering"), "evaluation", "long-context", "lost-in-the-middle").withFeaturesOf(dir.dir()).card(md.toString()));
    }
}
