package dev.granular.in2;

import dev.granular.teacher.internal.SpendEstimator;
import dev.granular.teacher.SpendEstimate;
import dev.granular.teacher.ClientLimits;
import dev.granular.in2.internal.ContextIdsFile;
import dev.granular.in2.internal.CorpusBuild;
import dev.granular.in2.internal.DatasetCard;
import dev.granular.in2.internal.GeneralRows;
import dev.granular.in2.internal.Generated;
import dev.granular.in2.internal.In2Assembly;
import dev.granular.in2.internal.In2Engine;
import dev.granular.in2.internal.In2Engines;
import dev.granular.in2.internal.In2Report;
import dev.granular.in2.internal.In2Segments;
import dev.granular.in2.internal.RenderedRows;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.TeacherQuestions;
import dev.granular.in2.internal.Version;

import dev.granular.concurrent.WorkerPool;
import dev.granular.corpus.reader.BundledCorpus;
import dev.granular.corpus.Corpus;
import dev.granular.corpus.CorpusOptions;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Numbers;
import dev.granular.teacher.internal.CostMeter;
import dev.granular.teacher.GenerationParams;
import dev.granular.teacher.internal.LlmClient;
import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.internal.PaidRepliesFile;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.ResponseCache;
import dev.granular.teacher.internal.SqliteResponseCache;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An IN2 run end to end: read and segment the corpus, generate the examples in parallel,
 * write them in order into an {@link OutputDirectory}, then the report, dataset card and
 * manifest. Rerunning the same job into the same directory resumes it. The records are those of
 * {@link In2} (the library entry point, which this runs on), disk to disk.
 *
 * <pre>{@code
 * In2Job.Result r = In2Job.run(In2Job.Spec.of(List.of(Path.of("corpus/")), In2Config.DEFAULT.withExamples(500), Path.of("out/in2"))
 *         .withTokenizer("models/qwen3")
 *         .withThreads(4),
 *     In2Job.Listener.NONE);
 * }</pre>
 */
public final class In2Job {

    /**
     * What to run.
     *
     * @param corpus      corpus files or folders; empty = the bundled sample corpus
     * @param corpusOptions how to read the corpus (text field, bad rows)
     * @param exclude     decontamination files (documents sharing a word 10-gram with them are dropped)
     * @param general     general instruction rows for the {@code general} share: files or folders of
     *                    JSONL (another command's output folder too); empty or null = none
     * @param tokenizer   a tokenizer spec for {@link Tokenizers#load}
     * @param config      the design's configuration
     * @param out         the output directory
     * @param shardSize   records per shard
     * @param overwrite   replace a different run in {@code out}
     * @param threads     worker threads (never changes the output)
     * @param commandLine the command line, for the manifest
     * @param teacher     the teacher model for {@code --qa teacher}, or null
     * @param chatTemplate the target model's chat template ({@code --chat-template}): a .jinja file, a .json file with a
     *                     {@code chat_template} entry, or {@link #TOKENIZER_TEMPLATE} for the tokenizer directory's own;
     *                     null for none. When given, lengths count the rendered row's tokens and the context ids are
     *                     kept for {@code export --format tokens}
     */
    public record Spec(List<Path> corpus, CorpusOptions corpusOptions, List<Path> exclude, List<Path> general, String tokenizer,
                       In2Config config, Path out, int shardSize, boolean overwrite, int threads, List<String> commandLine,
                       Teacher teacher, String chatTemplate) {
        public Spec {
            corpus = List.copyOf(corpus);
            exclude = List.copyOf(exclude);
            general = general == null ? List.of() : List.copyOf(general);
            commandLine = List.copyOf(commandLine);
            threads = Math.max(1, threads);
        }

        /** Without a chat template: lengths are context tokens. */
        public Spec(List<Path> corpus, CorpusOptions corpusOptions, List<Path> exclude, List<Path> general, String tokenizer,
                    In2Config config, Path out, int shardSize, boolean overwrite, int threads, List<String> commandLine,
                    Teacher teacher) {
            this(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine, teacher,
                    null);
        }

        /**
         * {@code corpus} (empty: the bundled sample corpus) into {@code out} with the defaults of {@code granular in2}:
         * text field {@code text} and bad rows failing ({@link CorpusOptions#defaults()}), no exclude or general files,
         * {@code o200k_base}, shards of 10,000 records, no overwrite, a thread per core, no teacher, no chat template.
         * The command line the manifest records is {@code ["in2"]}; the CLI gives its own ({@link #withCommandLine}).
         */
        public static Spec of(List<Path> corpus, In2Config config, Path out) {
            return new Spec(corpus, CorpusOptions.defaults(), List.of(), List.of(), "o200k_base", config, out, 10_000, false,
                    Runtime.getRuntime().availableProcessors(), List.of("in2"), null, null);
        }

        /** How to read the corpus ({@code --text-field}, {@code --on-bad-row}). */
        public Spec withCorpusOptions(CorpusOptions options) {
            return new Spec(corpus, options, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** Decontamination files ({@code --exclude}). */
        public Spec withExclude(List<Path> files) {
            return new Spec(corpus, corpusOptions, files, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** General instruction rows for the {@code general} share ({@code --general}). */
        public Spec withGeneral(List<Path> files) {
            return new Spec(corpus, corpusOptions, exclude, files, tokenizer, config, out, shardSize, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** A tokenizer spec for {@link Tokenizers#load} ({@code --tokenizer}). */
        public Spec withTokenizer(String spec) {
            return new Spec(corpus, corpusOptions, exclude, general, spec, config, out, shardSize, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** The design's configuration. */
        public Spec withConfig(In2Config c) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, c, out, shardSize, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** Records per shard ({@code --shard-size}). */
        public Spec withShardSize(int n) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, n, overwrite, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** Replace a different run in {@code out} ({@code --overwrite}). */
        public Spec withOverwrite(boolean o) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, o, threads, commandLine,
                    teacher, chatTemplate);
        }

        /** Worker threads ({@code --threads}); never changes the output. */
        public Spec withThreads(int n) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, n, commandLine,
                    teacher, chatTemplate);
        }

        /** The command line the manifest records. */
        public Spec withCommandLine(List<String> line) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, line,
                    teacher, chatTemplate);
        }

        /** The teacher for {@code --qa teacher} (null: none). */
        public Spec withTeacher(Teacher t) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine,
                    t, chatTemplate);
        }

        /** With the target model's chat template (see {@link #chatTemplate()}); null for none. */
        public Spec withChatTemplate(String template) {
            return new Spec(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine,
                    teacher, template);
        }

        /** Without a teacher: programmatic questions only. */
        public Spec(List<Path> corpus, CorpusOptions corpusOptions, List<Path> exclude, List<Path> general, String tokenizer,
                    In2Config config, Path out, int shardSize, boolean overwrite, int threads, List<String> commandLine) {
            this(corpus, corpusOptions, exclude, general, tokenizer, config, out, shardSize, overwrite, threads, commandLine, null);
        }
    }

    /**
     * The teacher for LLM-written questions.
     *
     * @param model   the model
     * @param params  sampling parameters (part of the run's identity)
     * @param limits  concurrency, rates, retries, timeout (not part of it)
     * @param cache   the response cache file, or null for none
     * @param maxCost a USD budget, or null
     * @param prices  a prices file, or null
     * @param env     the environment, for the API key
     */
    public record Teacher(ModelSpec model, GenerationParams params, ClientLimits limits, Path cache, Double maxCost,
                          Path prices, Map<String, String> env) {
        public Teacher {
            env = dev.granular.teacher.internal.HiddenEnvironment.of(env);   // a printed spec shows no API key
            // Named by field, not flag: the CLI shows --max-cost, a recipe its key (InvalidConfigException#message).
            if (maxCost != null && !(maxCost > 0)) {
                throw new dev.granular.io.InvalidConfigException("${maxCost} must be a positive number of USD, got " + maxCost);
            }
        }

        /**
         * {@code model} with the defaults of {@code granular in2 --qa teacher}: the server's temperature, at most 1,024
         * tokens a reply, {@link ClientLimits#DEFAULT}, the default response cache ({@code $GRANULAR_CACHE} or
         * {@code ~/.cache/granular/responses.sqlite}), no budget, built-in prices, the process's environment.
         *
         * <pre>{@code
         * In2Job.run(In2Job.Spec.of(corpus, In2Config.DEFAULT.withQa(QaMix.parse("teacher=0.5,programmatic=0.5")), out)
         *         .withTeacher(In2Job.Teacher.of(ModelSpec.parse("openai:gpt-4o-mini", null)).withMaxCost(5.0)),
         *         In2Job.Listener.NONE);
         * }</pre>
         */
        public static Teacher of(ModelSpec model) {
            Map<String, String> env = System.getenv();
            return new Teacher(model, GenerationParams.DEFAULT.withMaxTokens(1024), ClientLimits.DEFAULT,
                    dev.granular.teacher.internal.ResponseCache.defaultLocation(env), null, null, env);
        }

        /** Sampling parameters ({@code --teacher-temperature}); part of the run's identity. */
        public Teacher withParams(GenerationParams v) {
            return new Teacher(model, v, limits, cache, maxCost, prices, env);
        }

        /** Requests in flight, rates, retries, timeout, batch API ({@code --teacher-concurrency}, ...). */
        public Teacher withLimits(ClientLimits v) {
            return new Teacher(model, params, v, cache, maxCost, prices, env);
        }

        /** The response cache file, or null for none ({@code --cache}, {@code --no-cache}). */
        public Teacher withCache(Path v) {
            return new Teacher(model, params, limits, v, maxCost, prices, env);
        }

        /** A USD budget, or null for none ({@code --max-cost}); a run that reaches it stops, resumable. */
        public Teacher withMaxCost(Double v) {
            return new Teacher(model, params, limits, cache, v, prices, env);
        }

        /** A prices file over the built-in table, or null ({@code --prices}). */
        public Teacher withPrices(Path v) {
            return new Teacher(model, params, limits, cache, maxCost, v, env);
        }

        /** The environment the API key is read from. */
        public Teacher withEnv(Map<String, String> v) {
            return new Teacher(model, params, limits, cache, maxCost, prices, v);
        }
    }

    /** {@code --chat-template tokenizer}: the chat template of the {@code --tokenizer} directory. */
    public static final String TOKENIZER_TEMPLATE = "tokenizer";

    /** Progress callbacks; called from worker threads. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** A stage begins: "corpus", "generate", "report". */
        default void stage(String name, long total) {
        }

        /** One more example written with {@code tokens} context tokens. */
        default void progress(long examples, long tokens) {
        }

        /** A warning for the user. */
        default void warn(String message) {
        }
    }

    /** What a run did. */
    public record Result(Path out, long examples, long written, boolean resumed, boolean alreadyComplete,
                         Map<String, Long> byKind, long contextTokens, Duration elapsed, Map<String, Object> summary) {
    }

    static {
        // The engine entry points of dev.granular.in2.internal (In2Engines) reach this package's members through this.
        In2Engines.register(new EngineAccess());
    }

    private In2Job() {
    }

    /**
     * What the teacher requests of a run of {@code spec} would cost (the CLI's {@code --dry-run}), reading, sending and
     * writing nothing. Which segments a teacher question is about is drawn while the corpus is segmented, so prompts are
     * assumed: the real prompt templates around one segment of {@code --segment-tokens} (single, short) or a
     * document of {@code --max-doc-tokens} (multi, an upper bound), one candidate per example (up to
     * {@value In2Design#TEACHER_CANDIDATES} when replies are rejected). Without a teacher share there are no model calls.
     */
    public static SpendEstimate estimate(Spec spec) {
        Teacher teacher = spec.teacher();
        return SpendEstimator.estimate(teacher == null ? null : teacher.prices(), spec.out(), teacher == null ? null : teacher.cache(),
                e -> estimate(spec, e));
    }

    private static void estimate(Spec spec, SpendEstimator estimator) {
        In2Config config = spec.config();
        if (!config.qaMix().usesTeacher()) {
            estimator.note("in2 with --qa programmatic makes no model calls: nothing to pay for");
            return;
        }
        if (spec.teacher() == null) {
            throw new dev.granular.io.InvalidConfigException("${qaMix} " + config.qaMix() + " needs ${teacher} SPEC");
        }
        for (Path p : spec.corpus()) {
            if (!java.nio.file.Files.exists(p)) {
                throw new dev.granular.io.BadInputException(p, 0, "no such file or directory"); // as the run would say
            }
        }
        if (spec.general().isEmpty() && config.mix().share(ExampleKind.GENERAL) > 0) {
            config = config.withMix(config.mix().without(ExampleKind.GENERAL)); // as the run does
        }
        long[] counts = config.mix().counts(config.examples());
        double share = config.qaMix().teacher();
        long single = Math.round((counts[ExampleKind.SINGLE.ordinal()] + counts[ExampleKind.SHORT.ordinal()]) * share);
        long multi = Math.round(counts[ExampleKind.MULTI.ordinal()] * share);
        Integer max = spec.teacher().params().maxTokens();
        long completion = max != null ? max : SpendEstimator.DEFAULT_COMPLETION_TOKENS;
        String basis = (max != null ? "max_tokens " + max : "no max_tokens: " + completion + " assumed per reply")
                + "; one candidate per example (up to " + In2Design.TEACHER_CANDIDATES + " when replies are rejected)";
        ModelSpec model = spec.teacher().model();
        if (single > 0) {
            estimator.addAssumed("teacher questions (single)", model, single,
                    TeacherQuestions.SINGLE_PROMPT.length() / 4 + config.segmentTokens() + 6, completion,
                    "prompt: the template around one segment of " + config.segmentTokens() + " tokens; " + basis);
        }
        if (multi > 0) {
            estimator.addAssumed("teacher questions (multi)", model, multi,
                    TeacherQuestions.MULTI_PROMPT.length() / 4 + config.maxDocTokens() + 6, completion,
                    "prompt: the template around a document of at most " + config.maxDocTokens() + " tokens; " + basis);
        }
        estimator.note("in2: which segments the teacher sees is drawn while the corpus is segmented, so its prompt sizes "
                + "are assumed (see the lines above), not counted");
    }

    public static Result run(Spec spec, Listener listener) {
        return run(spec, listener, null);
    }

    /**
     * As {@link #run(Spec, Listener)}, the corpus segmented and the examples drawn by {@code engine} (null: here,
     * on {@code spec.threads()} threads). Package-private: engines run through {@code In2Engines.run}, since
     * {@link In2Engine} is not API.
     */
    static Result run(Spec spec, Listener listener, In2Engine engine) {
        if (engine != null && spec.config().qaMix().usesTeacher()) {
            throw new IllegalArgumentException("the " + engine.name() + " engine runs programmatic questions only");
        }
        Instant started = Instant.now();
        In2Config config = spec.config();
        List<GeneralRows.Row> general = List.of();
        if (!spec.general().isEmpty()) {
            general = GeneralRows.read(spec.general());
        } else if (config.mix().share(ExampleKind.GENERAL) > 0) {
            listener.warn("no --general file: the general share (" + Numbers.human(config.mix().share(ExampleKind.GENERAL))
                    + ") is dropped and spread over the other kinds");
            config = config.withMix(config.mix().without(ExampleKind.GENERAL));
        }
        ChatTemplate chatTemplate = chatTemplate(spec);
        In2Engine.OwnCorpus own = engine == null ? null : engine.ownCorpus();
        if (own != null && !spec.corpus().isEmpty()) {
            throw new IllegalArgumentException("the engine reads its own corpus: spec.corpus() must be empty");
        }
        try (Tokenizer tokenizer = Tokenizers.load(spec.tokenizer())) {
            Map<String, Object> inputs = inputs(spec, own, tokenizer);
            if (chatTemplate != null) {
                // Only with a template: runs without one keep their identity (and resume) as before.
                inputs.put("chat_template", chatTemplate.source());
                inputs.put("chat_template_fingerprint", chatTemplate.fingerprint());
            }
            Map<String, Object> identity = new LinkedHashMap<>();
            identity.put("design", config.toJson());
            identity.put("text_field", spec.corpusOptions().textField());
            identity.put("on_bad_row", spec.corpusOptions().onBadRow().name().toLowerCase(java.util.Locale.ROOT));
            identity.put("inputs", inputs);
            if (config.qaMix().usesTeacher()) {
                if (spec.teacher() == null) {
                    throw new dev.granular.io.InvalidConfigException("${qaMix} " + config.qaMix() + " needs ${teacher} SPEC");
                }
                identity.put("teacher", Map.of("model", spec.teacher().model().toString(), "params", spec.teacher().params().toJson(),
                        "prompts", TeacherQuestions.sha256(TeacherQuestions.SINGLE_PROMPT + TeacherQuestions.MULTI_PROMPT)));
            }
            OutputDirectory dir = OutputDirectory.open(spec.out(), "in2", identity, spec.shardSize(), spec.overwrite(),
                    java.util.stream.Stream.of(spec.corpus().stream(), spec.exclude().stream(), spec.general().stream())
                            .flatMap(s -> s).toList());
            if (dir.complete()) {
                var m = dir.manifest();
                Map<String, Long> byKind = new LinkedHashMap<>();
                m.path("counts").path("by_kind").fields().forEachRemaining(e -> byKind.put(e.getKey(), e.getValue().asLong()));
                return new Result(spec.out(), config.examples(), 0, true, true, byKind,
                        m.path("counts").path("context_tokens").asLong(), Duration.between(started, Instant.now()), Map.of());
            }
            // The pool is closed (every worker joined) before the catch cleans up and before the tokenizer
            // closes: a worker may be inside the native tokenizer when a bad corpus row stops the run.
            try (WorkerPool pool = WorkerPool.platform(spec.threads(), "granular-in2")) {
                return generateInto(dir, spec, config, general, tokenizer, chatTemplate, inputs, listener, pool, started, engine, own);
            } catch (RuntimeException | Error e) {
                dir.abandon(e);
                throw e;
            }
        }
    }

    private static Result generateInto(OutputDirectory dir, Spec spec, In2Config config, List<GeneralRows.Row> general,
                                       Tokenizer tokenizer, ChatTemplate chatTemplate, Map<String, Object> inputs,
                                       Listener listener, WorkerPool pool, Instant started, In2Engine engine, In2Engine.OwnCorpus own) {
        listener.stage("corpus", -1);
        Corpus corpus = own != null ? null : spec.corpus().isEmpty() ? Corpus.bundled() : Corpus.files(spec.corpus(), spec.corpusOptions());
        CorpusBuild build = engine == null
                ? In2.build(corpus, tokenizer, config, spec.exclude(), dir.workDir().resolve("store"), pool, spec.threads())
                : segment(engine, corpus, tokenizer, config, spec.exclude(), dir.workDir().resolve("store"));
        CostMeter meter = null;
        LlmClient client = null;
        ResponseCache cache = ResponseCache.NONE;
        PaidRepliesFile replies = null;
        TeacherQuestions teacher = null;
        if (config.qaMix().usesTeacher()) {
            Teacher t = spec.teacher();
            PriceTable prices = PriceTable.builtIn(t.prices());
            meter = CostMeter.of(prices, t.maxCost());
            cache = t.cache() == null ? ResponseCache.NONE : SqliteResponseCache.open(t.cache());
            // Every paid reply is journalled first; a resumed run adds what its earlier attempts paid (see PaidRepliesFile).
            replies = PaidRepliesFile.of(dir);
            replies.carryInto(meter, t.model());
            client = LlmClient.open(t.model(), t.env(), t.limits(), cache, meter, replies);
            teacher = new TeacherQuestions(client, t.params());
        }
        try {
            In2Design design = new In2Design(build.store(), build.tokens(), config, general, teacher,
                    chatTemplate == null ? null : new RenderedRows(chatTemplate, build.tokens()));
            long written;
            long resumeFrom;
            ContextIdsFile ids = null;
            In2Report.Tally tally = null;
            try (ShardWriter writer = dir.writer()) {
                resumeFrom = writer.start();
                // A fresh run tallies its report as it writes; a resumed one reads every record back afterwards.
                tally = resumeFrom == 0 && engine == null ? new In2Report.Tally(config) : null;
                if (chatTemplate != null) {
                    // The context ids of every record, or none: a resumed run did not keep those written before.
                    if (resumeFrom == 0) {
                        ids = ContextIdsFile.create(dir.dir());
                    } else {
                        ContextIdsFile.delete(dir.dir());
                        listener.warn("resumed run: no token ids are kept in " + dir.dir().resolve(ContextIdsFile.DIR)
                                + "; export --format tokens renders and tokenizes every row");
                    }
                }
                listener.stage("generate", design.size());
                if (resumeFrom > 0) {
                    listener.progress(resumeFrom, 0);
                }
                if (teacher != null) {
                    // Teacher calls block on the network: run examples on virtual threads, as many as the teacher may serve.
                    try (WorkerPool vpool = WorkerPool.virtual()) {
                        written = generate(design, writer, vpool, Math.max(spec.threads(), spec.teacher().limits().concurrency()),
                                1, listener, seenQuestions(dir), ids, tally);
                    }
                } else if (engine != null) {
                    In2Assembly assembly = new In2Assembly(design, design::redrawRepeat, writer, dir.workDir().resolve("pieces"), seenQuestions(dir), ids,
                            listener, resumeFrom == 0);
                    engine.assemble(design, assembly);
                    written = assembly.finish(engine.name());
                    // A fresh run's pieces bring their report counts; the records of a resumed one are read back.
                    tally = assembly.tally();
                } else {
                    written = generate(design, writer, pool, spec.threads(), 8, listener, seenQuestions(dir), ids, tally);
                }
                writer.finish();
            } catch (RuntimeException | Error e) {
                if (ids != null) {
                    ids.close();
                }
                throw e;
            }
            if (ids != null) {
                Map<String, Object> valid = new LinkedHashMap<>();
                valid.put("tokenizer", tokenizer.name());
                valid.put("tokenizer_fingerprint", tokenizer.fingerprint());
                valid.put("chat_template_fingerprint", chatTemplate.fingerprint());
                valid.put("records_sha256", CorpusReader.fingerprint(dev.granular.record.RecordReader.dataFiles(List.of(dir.dir()))));
                ids.finish(valid);
            }
            listener.stage("report", -1);
            In2Report report = tally != null ? tally.write(dir) : In2Report.build(dir, config);
            Instant ended = Instant.now();
            Map<String, Object> manifest = manifest(spec, config, tokenizer, dir, inputs, build, report, started, ended,
                    resumeFrom);
            if (engine != null) {
                manifest.put("engine", engine.name());
            }
            if (meter != null) {
                manifest.put("teacher", Map.of("model", spec.teacher().model().toString(), "usage", meter.toJson()));
            }
            DatasetCard.write(dir, spec, own == null ? null : own.label(), config, tokenizer.name(), chatTemplate, build, report, manifest,
                    meter == null ? null : meter.attemptsTable());
            dir.finish(manifest);
            return new Result(spec.out(), design.size(), written, resumeFrom > 0, false, report.byKind(),
                    report.contextTokens(), Duration.between(started, ended), report.summary());
        } finally {
            if (client != null) {
                client.close();
            }
            cache.close();
            if (replies != null) {
                replies.close();
            }
        }
    }

    /** Normalised questions of the records already on disk (a resumed run must not repeat them). */
    private static java.util.Set<String> seenQuestions(OutputDirectory dir) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (var files = java.nio.file.Files.list(dir.dataDir())) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".jsonl") && !name.endsWith(".jsonl.partial")) {
                    continue;
                }
                for (String line : java.nio.file.Files.readAllLines(f)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    TrainingRecord r = RecordJson.parse(line, f.toString(), 0);
                    if (r.meta().get("question") instanceof String q) {
                        seen.add(TeacherQuestions.normalise(q));
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + dir.dataDir(), e);
        }
        return seen;
    }

    /** The target model's chat template, loaded as {@code export --format tokens} loads it; null without one. */
    static ChatTemplate chatTemplate(Spec spec) {
        return spec.chatTemplate() == null ? null : loadChatTemplate(spec.tokenizer(), spec.chatTemplate());
    }

    /**
     * A {@code --chat-template} for {@code in2} and {@code probe}: {@link #TOKENIZER_TEMPLATE} for the
     * tokenizer folder's own, else a file, read as {@code export --format tokens} reads it
     * ({@link ChatTemplate#load(Path, Path)}, special tokens from the tokenizer folder).
     */
    public static ChatTemplate loadChatTemplate(String tokenizer, String template) {
        Path tok = Path.of(tokenizer);
        boolean isPath = java.nio.file.Files.exists(tok);
        Path dir = !isPath ? null : java.nio.file.Files.isDirectory(tok) ? tok : tok.toAbsolutePath().getParent();
        boolean own = template.equals(TOKENIZER_TEMPLATE);
        if (dir == null) {
            if (own) {
                throw new dev.granular.io.InvalidConfigException("${chatTemplate} tokenizer needs ${tokenizer} to be a Hugging Face tokenizer "
                        + "directory, not " + tokenizer);
            }
            Path file = Path.of(template);
            try {
                return ChatTemplate.of(java.nio.file.Files.readString(file), Map.of());
            } catch (java.io.IOException e) {
                throw new dev.granular.io.BadInputException(file.toString(), 0, "chat template file cannot be read: " + e.getMessage());
            }
        }
        return ChatTemplate.load(dir, own ? null : Path.of(template));
    }

    private static Map<String, Object> inputs(Spec spec, In2Engine.OwnCorpus own, Tokenizer tokenizer) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (own != null) {
            m.putAll(own.inputs());
        } else if (spec.corpus().isEmpty()) {
            m.put("corpus", "bundled:sotu");
            m.put("corpus_sha256", BundledCorpus.fingerprint());
        } else {
            m.put("corpus", spec.corpus().stream().map(p -> p.toAbsolutePath().normalize().toString()).toList());
            m.put("corpus_sha256", CorpusReader.fingerprint(spec.corpus()));
        }
        if (!spec.exclude().isEmpty()) {
            m.put("exclude", spec.exclude().stream().map(p -> p.toAbsolutePath().normalize().toString()).toList());
            m.put("exclude_sha256", CorpusReader.fingerprint(spec.exclude()));
        }
        if (!spec.general().isEmpty()) {
            m.put("general", JsonlInput.manifestValue(spec.general()));
            m.put("general_sha256", CorpusReader.fingerprint(JsonlInput.files(spec.general())));
        }
        m.put("tokenizer", tokenizer.name());
        m.put("tokenizer_fingerprint", tokenizer.fingerprint());
        return m;
    }

    /**
     * Generates examples from the writer's start to the end, in parallel, writing them in index
     * order; a question that repeats one in {@code seen} (or an earlier record's) is drawn again,
     * in index order (see {@link In2Design#redrawRepeat}), so the output never depends on timing or threads.
     *
     * @param batch examples per task (1 when each is a teacher request)
     * @param ids   where the long examples' context ids are kept, or null
     * @param tally the report's counts, given every record written, or null
     */
    private static long generate(In2Design design, ShardWriter writer, WorkerPool pool, int parallel, int batch,
                                 Listener listener, java.util.Set<String> seen, ContextIdsFile ids, In2Report.Tally tally) {
        long written = 0;
        var it = In2.ordered(design, writer.start(), seen, pool, parallel, batch);
        while (it.hasNext()) {
            Generated g = it.next();
            TrainingRecord r = g.record();
            if (ids != null && g.context() != null) {
                ids.add(Long.parseLong(r.id().substring(r.id().indexOf('-') + 1)), g);
            }
            writer.write(RecordJson.toJson(r));
            if (tally != null) {
                tally.add(r);
            }
            written++;
            listener.progress(1, r.meta().get("context_tokens") instanceof Number n ? n.longValue() : 0);
        }
        return written;
    }

    /**
     * The corpus segmented by {@code engine} into a store at {@code storeDir}, decontaminated against {@code exclude}
     * (read here, as {@link In2#build} reads it: a bad file is reported before any document is read).
     */
    private static CorpusBuild segment(In2Engine engine, Corpus corpus, Tokenizer tokenizer, In2Config config, List<Path> exclude,
                                           Path storeDir) {
        Decontaminator decon = Decontaminator.fromFiles(exclude, Decontaminator.DEFAULT_N);
        try (In2Segments.Writer writer = In2Segments.writer(storeDir)) {
            In2Engine.Segmented s = engine.segment(corpus, config, decon, writer);
            int segments = writer.segments();
            long excluded = writer.excluded();
            SegmentStore store = writer.finish();
            return new CorpusBuild(store, new SegmentTokens(tokenizer), s.documents(), excluded, s.skippedRows(), segments);
        }
    }

    private static Map<String, Object> manifest(Spec spec, In2Config config, Tokenizer tokenizer, OutputDirectory dir,
                                                Map<String, Object> inputs, CorpusBuild build, In2Report report,
                                                Instant started, Instant ended, long resumedFrom) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "granular");
        m.put("version", Version.get());
        m.put("command", "in2");
        m.put("command_line", spec.commandLine());
        m.put("config", config.toJson());
        m.put("seed", config.seed());
        m.put("tokenizer", tokenizer.name());
        m.put("inputs", inputs);
        m.put("fingerprint", dir.fingerprint());
        m.put("shard_size", dir.shardSize());
        m.put("shards", dir.shards().stream().map(p -> "data/" + p.getFileName()).toList());
        Map<String, Object> corpus = new LinkedHashMap<>();
        corpus.put("documents", build.documents());
        corpus.put("decontaminated", build.decontaminated());
        corpus.put("skipped_rows", build.skipped());
        corpus.put("pseudo_documents", build.store().docs());
        corpus.put("segments", build.segments());
        corpus.put("tokens", build.store().totalTokens());
        m.put("corpus", corpus);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("records", report.records());
        counts.put("by_kind", report.byKind());
        counts.put("by_qa_kind", report.byQaKind());
        counts.put("context_tokens", report.contextTokens());
        m.put("counts", counts);
        m.put("resumed_from", resumedFrom);
        m.put("threads", spec.threads());
        m.put("started", started.toString());
        m.put("ended", ended.toString());
        m.put("seconds", Duration.between(started, ended).toMillis() / 1000.0);
        return m;
    }
}
