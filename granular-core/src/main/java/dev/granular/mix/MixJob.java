package dev.granular.mix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granular.corpus.internal.Decontaminator;
import dev.granular.dedup.internal.ContentDigest;
import dev.granular.dedup.Dedup;
import dev.granular.dedup.DedupConfig;
import dev.granular.dedup.NearDedupConfig;
import dev.granular.dedup.NearDuplicates;
import dev.granular.files.AtomicFiles;
import dev.granular.io.BadInputException;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.report.MixReport;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Mixes record folders into one training mix: {@code OUT/data/train-*.jsonl} and {@code OUT/data/validation-*.jsonl}
 * (canonical records), {@code OUT/report/mix.json} (what was read, removed and taken per component), and the mix
 * report and dataset card of {@link MixReport}.
 *
 * <p>In order:
 * <ol>
 *   <li><b>Read</b> each component's inputs in the order given, rows in file order: canonical records, or chat rows
 *   {@code {"messages": [...]}} ({@link #ROWS}). Each row's id becomes
 *   {@code COMPONENT/ID} (ids of different components may clash), {@code meta.component} names the component and
 *   {@code meta.source} is kept, or set to the input it came from.</li>
 *   <li><b>Decontaminate</b>: a row sharing a word n-gram ({@link Decontaminator}, n = 10 by default) with the
 *   evaluation files is dropped ({@code removed_contaminated}).</li>
 *   <li><b>Dedup</b> by normalised content across components: the messages' roles and contents, each Unicode
 *   NFC-normalised with every run of white space collapsed to one space and trimmed; case is kept. The first row
 *   with a content wins, in component order, then file order; later ones are dropped ({@code removed_duplicates},
 *   counted on the component that lost the row).</li>
 *   <li><b>Near dedup</b> (only with {@code nearDedup}, recipe {@code near_dedup: 0.8}): a row whose MinHash estimate of
 *   word-shingle Jaccard similarity to an earlier row (in the same order) reaches the threshold is dropped
 *   ({@code removed_near_duplicates}; {@link NearDuplicates} has the rule, {@link NearDedupConfig} the settings).
 *   Off by default, and then mix.json and the fingerprint are as they were without it.</li>
 *   <li><b>Size</b>: a component with a {@code count} takes that many rows; shares are fractions of the final mix.
 *   With shares only, the mix has {@code total} rows when given, else the most rows the shares allow (the component
 *   that runs out first sets it, and mix.json says which). With counts and shares together, the shares (summing to
 *   less than 1) are of {@code counts / (1 - shares)} rows. Rounding keeps the total exact (largest remainder).
 *   Asking for more rows than a component holds after removals is bad input, with the numbers.</li>
 *   <li><b>Sample and split</b>: each component's rows are sampled with a seeded shuffle; the validation split
 *   ({@code validation}: a fraction of the mix, or a row count) takes from each component in proportion to its
 *   share of the mix (largest remainder), so both splits have the mix's composition; each split is then
 *   shuffled with the seed.</li>
 * </ol>
 * The same spec and inputs give byte-identical files. Rows are kept on disk (a work file), not in memory, so a mix
 * of long-context rows needs memory only for an offset per row.
 */
public final class MixJob {
    /** The name mix.json and the manifest give this command. */
    public static final String COMMAND = "mix";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern SPACE = Pattern.compile("\\s+");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * A component's rows: canonical records, or chat rows {@code {"messages": [{"role", "content"}, ...]}} as
     * Hugging Face chat datasets hold them (assistant messages trained unless a message says {@code "train"}; id
     * {@code FILE:LINE}, {@code meta.design} "general"). Ids unique within an input.
     */
    static final JsonlInput.Format<TrainingRecord> ROWS = new JsonlInput.Format<>(MixJob::parseRow, TrainingRecord::id,
            JsonlInput.Blanks.REFUSE);

    private MixJob() {
    }

    private static TrainingRecord parseRow(String line, JsonlInput.Line at, long ordinal) {
        JsonNode node = JsonlInput.tree(line, at);
        if (node != null && node.isObject() && (node.has("id") || node.has("meta"))) {
            return RecordJson.parse(line, at.file(), at.number());
        }
        if (node == null || !node.isObject() || !node.path("messages").isArray() || node.path("messages").isEmpty()) {
            throw new BadInputException(at.file(), at.number(), "expected a canonical record (docs/format.md) or a row with a"
                    + " non-empty \"messages\" array");
        }
        JsonNode msgs = node.get("messages");
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new BadInputException(at.file(), at.number(), "messages[" + i + "] needs string \"role\" and \"content\"");
            }
            Role r;
            try {
                r = Role.fromWire(m.get("role").asText());
            } catch (IllegalArgumentException e) {
                throw new BadInputException(at.file(), at.number(), "messages[" + i + "].role '" + m.get("role").asText()
                        + "' is not system, user or assistant");
            }
            boolean train = m.has("train") ? m.get("train").asBoolean() : r == Role.ASSISTANT;
            out.add(Message.of(r, m.get("content").asText(), train));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "general");
        meta.put("source", Path.of(at.file()).getFileName() + ":" + at.number());
        return new TrainingRecord(Path.of(at.file()).getFileName() + ":" + at.number(), out, null, meta);
    }

    /**
     * One component: its record inputs (JSONL files, folders of them, other commands' output folders) and either a
     * share of the final mix or a row count.
     */
    public record Component(String name, List<Path> inputs, Double share, Long count) {
        public Component {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new BadInputException("mix component '" + name + "': a name is letters, digits, '.', '_' or '-'");
            }
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new BadInputException("mix component " + name + ": no inputs");
            }
            if ((share == null) == (count == null)) {
                throw new BadInputException("mix component " + name + ": give either a share or a count");
            }
            if (share != null && !(share > 0 && share <= 1)) {
                throw new BadInputException("mix component " + name + ": share must be in (0, 1], got " + share);
            }
            if (count != null && count < 1) {
                throw new BadInputException("mix component " + name + ": count must be at least 1, got " + count);
            }
        }

        public static Component share(String name, double share, Path... inputs) {
            return new Component(name, List.of(inputs), share, null);
        }

        public static Component count(String name, long count, Path... inputs) {
            return new Component(name, List.of(inputs), null, count);
        }
    }

    /**
     * What to mix and where.
     *
     * @param total            rows in the mix when every component has a share; null: as many as the shares allow
     * @param validation       the validation split: a fraction of the mix when below 1, else a row count; 0: none
     * @param decontaminate    evaluation files (see {@link Decontaminator#fromFiles}); rows sharing an n-gram go
     * @param ngram            the n-gram length in words ({@link Decontaminator#DEFAULT_N})
     * @param tokenizer        the target tokenizer for the report ({@link Tokenizers#load}); null: o200k_base
     * @param chatTemplate     the chat template file, or the tokenizer folder holding it; null: lengths without one
     * @param recipe           the recipe's text, kept as {@code recipe.yaml} and shown on the card; null: none
     * @param nearDedup        near-duplicate removal after exact dedup; null: none
     */
    public record Spec(List<Component> components, Long total, long seed, double validation, List<Path> decontaminate,
                       int ngram, String tokenizer, Path chatTemplate, Path out, int shardSize, boolean overwrite,
                       String recipe, NearDedupConfig nearDedup) {
        public Spec {
            components = List.copyOf(components);
            decontaminate = List.copyOf(decontaminate);
            if (components.isEmpty()) {
                throw new BadInputException("mix: no components");
            }
            Set<String> names = new HashSet<>();
            for (Component c : components) {
                if (!names.add(c.name())) {
                    throw new BadInputException("mix: component " + c.name() + " is named twice");
                }
            }
            if (!(validation >= 0) || Double.isInfinite(validation) || (validation >= 1 && validation != Math.rint(validation))) {
                throw new BadInputException("mix: validation must be a fraction in [0, 1) or a whole row count, got " + validation);
            }
            if (total != null && total < 1) {
                throw new BadInputException("mix: total must be at least 1, got " + total);
            }
            if (ngram < 1) {
                throw new BadInputException("mix: ngram must be at least 1, got " + ngram);
            }
        }

        /** A spec without near dedup (the fields before it). */
        public Spec(List<Component> components, Long total, long seed, double validation, List<Path> decontaminate,
                    int ngram, String tokenizer, Path chatTemplate, Path out, int shardSize, boolean overwrite, String recipe) {
            this(components, total, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe,
                    null);
        }

        /** A spec with the defaults: seed 42, 5% validation, no decontamination, 10-grams, o200k_base, shards of 10,000. */
        public static Spec of(List<Component> components, Path out) {
            return new Spec(components, null, 42, 0.05, List.of(), Decontaminator.DEFAULT_N, null, null, out, 10_000, false, null);
        }

        public Spec withTotal(Long t) {
            return new Spec(components, t, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe, nearDedup);
        }

        public Spec withSeed(long s) {
            return new Spec(components, total, s, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe, nearDedup);
        }

        public Spec withValidation(double v) {
            return new Spec(components, total, seed, v, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe, nearDedup);
        }

        public Spec withDecontaminate(List<Path> files) {
            return new Spec(components, total, seed, validation, files, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe, nearDedup);
        }

        public Spec withModel(String tok, Path template) {
            return new Spec(components, total, seed, validation, decontaminate, ngram, tok, template, out, shardSize, overwrite, recipe, nearDedup);
        }

        public Spec withShardSize(int n) {
            return new Spec(components, total, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, n, overwrite, recipe, nearDedup);
        }

        public Spec withOverwrite(boolean o) {
            return new Spec(components, total, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, o, recipe, nearDedup);
        }

        /** Near dedup with {@code c} (e.g. {@code NearDedupConfig.DEFAULT.withThreshold(0.8)}); null: none. */
        public Spec withNearDedup(NearDedupConfig c) {
            return new Spec(components, total, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, recipe, c);
        }

        public Spec withRecipe(String text) {
            return new Spec(components, total, seed, validation, decontaminate, ngram, tokenizer, chatTemplate, out, shardSize, overwrite, text, nearDedup);
        }

        /** The options that change the output (the output directory's fingerprint). */
        Map<String, Object> config() {
            Map<String, Object> c = new LinkedHashMap<>();
            List<Map<String, Object>> cs = new ArrayList<>();
            for (Component k : components) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", k.name());
                m.put("inputs", k.inputs().stream().map(Path::toString).toList());
                m.put("share", k.share());
                m.put("count", k.count());
                cs.add(m);
            }
            c.put("components", cs);
            c.put("total", total);
            c.put("seed", seed);
            c.put("validation", validation);
            c.put("decontaminate", decontaminate.stream().map(Path::toString).toList());
            c.put("ngram", ngram);
            c.put("tokenizer", tokenizer);
            c.put("chat_template", chatTemplate == null ? null : chatTemplate.toString());
            c.put("recipe", recipe);
            if (nearDedup != null) { // absent when off: the fingerprint of a mix without it is unchanged
                c.put("near_dedup", DedupConfig.describe(nearDedup));
            }
            return c;
        }
    }

    /** Per component: rows read, removed, available after removals, and taken into each split. */
    public record ComponentCounts(long read, long removedContaminated, long removedDuplicates, long available, long taken,
                                  long train, long validation, long removedNearDuplicates) {
        /** Counts without near dedup. */
        public ComponentCounts(long read, long removedContaminated, long removedDuplicates, long available, long taken,
                               long train, long validation) {
            this(read, removedContaminated, removedDuplicates, available, taken, train, validation, 0);
        }
    }

    /**
     * What was written.
     *
     * @param resolution how the shares were turned into row counts, in words
     */
    public record Result(Path out, long train, long validation, Map<String, ComponentCounts> components, String resolution,
                         boolean alreadyComplete, Duration elapsed) {
    }

    /**
     * Writes the mix (see the class comment).
     *
     * @throws BadInputException for bad inputs (file:line), a component too small for its count, or shares that cannot
     *                           be met; nothing is left half-written
     */
    public static Result run(Spec spec) {
        Instant started = Instant.now();
        List<Path> inputs = new ArrayList<>();
        spec.components().forEach(c -> inputs.addAll(c.inputs()));
        inputs.addAll(spec.decontaminate());
        if (spec.chatTemplate() != null) {
            inputs.add(spec.chatTemplate());
        }
        OutputDirectory dir = OutputDirectory.open(spec.out(), COMMAND, spec.config(), spec.shardSize(), spec.overwrite(), inputs);
        if (dir.complete()) {
            return completed(spec, dir, started);
        }
        try {
            Result r = write(spec, dir, started);
            dir.finish(manifest(spec, r));
            return r;
        } catch (RuntimeException | Error e) {
            dir.abandon(e);
            throw e;
        }
    }

    private static Result completed(Spec spec, OutputDirectory dir, Instant started) {
        Map<String, ComponentCounts> counts = new LinkedHashMap<>();
        var m = dir.manifest();
        m.path("components").properties().forEach(e -> {
            var n = e.getValue();
            counts.put(e.getKey(), new ComponentCounts(n.path("read").asLong(), n.path("removed_contaminated").asLong(),
                    n.path("removed_duplicates").asLong(), n.path("available").asLong(), n.path("taken").asLong(),
                    n.path("train").asLong(), n.path("validation").asLong(), n.path("removed_near_duplicates").asLong()));
        });
        return new Result(spec.out(), m.path("train").asLong(), m.path("validation").asLong(), counts,
                m.path("resolution").asText(), true, Duration.between(started, Instant.now()));
    }

    /** A row kept after decontamination and dedup: where its JSON line lies in the work file. */
    private static final class Kept {
        long[] offsets = new long[1024];
        int[] lengths = new int[1024];
        int n;

        void add(long offset, int length) {
            if (n == offsets.length) {
                offsets = Arrays.copyOf(offsets, n * 2);
                lengths = Arrays.copyOf(lengths, n * 2);
            }
            offsets[n] = offset;
            lengths[n] = length;
            n++;
        }
    }

    private static Result write(Spec spec, OutputDirectory dir, Instant started) {
        dir.clearData();
        Decontaminator decon = Decontaminator.fromFiles(spec.decontaminate(), spec.ngram());
        Path work = dir.workDir().resolve("rows.jsonl");
        Map<String, Kept> kept = new LinkedHashMap<>();
        Map<String, long[]> removed = new LinkedHashMap<>(); // read, contaminated, duplicates, near duplicates
        NearDuplicates near = spec.nearDedup() == null ? null : NearDuplicates.of(spec.nearDedup());
        try {
            Files.createDirectories(work.getParent());
            Set<ContentDigest> seen = new HashSet<>();
            Set<String> ids = new HashSet<>();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(work), 1 << 16)) {
                long offset = 0;
                for (Component c : spec.components()) {
                    Kept k = new Kept();
                    long[] counts = new long[4];
                    kept.put(c.name(), k);
                    removed.put(c.name(), counts);
                    for (Path input : c.inputs()) {
                        try (Stream<TrainingRecord> rows = JsonlInput.stream(List.of(input), ROWS, 0)) {
                            for (var it = rows.iterator(); it.hasNext(); ) {
                                TrainingRecord r = it.next();
                                counts[0]++;
                                if (decon.contaminated(r)) {
                                    counts[1]++;
                                    continue;
                                }
                                if (!seen.add(ContentDigest.of(r))) {
                                    counts[2]++;
                                    continue;
                                }
                                if (near != null && near.add(r) != null) {
                                    counts[3]++;
                                    continue;
                                }
                                TrainingRecord row = relabel(r, c.name(), input);
                                if (!ids.add(row.id())) {
                                    throw new BadInputException(input.toString(), 0, "mix component " + c.name() + ": id " + r.id()
                                            + " occurs in two of its inputs with different contents; ids must be unique within a component");
                                }
                                byte[] line = (RecordJson.toJson(row) + "\n").getBytes(StandardCharsets.UTF_8);
                                out.write(line);
                                k.add(offset, line.length);
                                offset += line.length;
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the mix's work file " + work, e);
        }

        Map<String, Long> available = new LinkedHashMap<>();
        kept.forEach((name, k) -> available.put(name, (long) k.n));
        Sizing sizing = size(spec, available, removed);

        // Sample each component (its own seeded shuffle); its first rows go to validation, in proportion to its share
        // of the mix (largest remainder), the rest to train; then each split is shuffled.
        int total = Math.toIntExact(sizing.counts().values().stream().mapToLong(Long::longValue).sum());
        if (spec.validation() >= 1 && spec.validation() > total) {
            throw new BadInputException("mix: validation asks for " + (long) spec.validation() + " rows, the mix has " + total);
        }
        int validation = (int) Math.min(total, spec.validation() < 1 ? Math.round(spec.validation() * total) : (long) spec.validation());
        if (validation == total) {
            throw new BadInputException("mix: the validation split (" + validation + " rows) would take the whole mix of " + total);
        }
        List<String> names = spec.components().stream().map(Component::name).toList();
        long[] perComponentValidation = apportion(validation, names.stream().mapToLong(n -> sizing.counts().get(n)).toArray());
        long[] off = new long[total];
        int[] len = new int[total];
        String[] comp = new String[total];
        int vAt = 0;
        int tAt = validation;
        for (int ci = 0; ci < names.size(); ci++) {
            String name = names.get(ci);
            Kept k = kept.get(name);
            int take = Math.toIntExact(sizing.counts().get(name));
            int[] order = permutation(k.n, new Random(spec.seed() * 1_000_003L + ci));
            for (int i = 0; i < take; i++) {
                int at = i < perComponentValidation[ci] ? vAt++ : tAt++;
                off[at] = k.offsets[order[i]];
                len[at] = k.lengths[order[i]];
                comp[at] = name;
            }
        }
        int[] mixOrder = new int[total];
        int[] v = permutation(validation, new Random(spec.seed()));
        int[] t = permutation(total - validation, new Random(spec.seed() + 1));
        for (int i = 0; i < validation; i++) {
            mixOrder[i] = v[i];
        }
        for (int i = 0; i < t.length; i++) {
            mixOrder[validation + i] = validation + t[i];
        }
        Map<String, long[]> bySplit = new LinkedHashMap<>();
        spec.components().forEach(c -> bySplit.put(c.name(), new long[2]));
        try (FileChannel ch = FileChannel.open(work, StandardOpenOption.READ)) {
            writeSplit(dir, ch, "validation", mixOrder, 0, validation, off, len, comp, bySplit, 1, spec.shardSize());
            writeSplit(dir, ch, "train", mixOrder, validation, total, off, len, comp, bySplit, 0, spec.shardSize());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mix's work file " + work, e);
        }

        Map<String, ComponentCounts> counts = new LinkedHashMap<>();
        for (Component c : spec.components()) {
            long[] rm = removed.get(c.name());
            long[] sp = bySplit.get(c.name());
            counts.put(c.name(), new ComponentCounts(rm[0], rm[1], rm[2], available.get(c.name()), sizing.counts().get(c.name()),
                    sp[0], sp[1], rm[3]));
        }
        Result result = new Result(spec.out(), total - validation, validation, counts, sizing.resolution(), false,
                Duration.between(started, Instant.now()));
        writeMixJson(dir, spec, result);
        if (spec.recipe() != null) {
            AtomicFiles.write(dir.dir().resolve("recipe.yaml"), spec.recipe());
        }
        writeReport(spec, dir.dir());
        return result;
    }

    /** The report and card ({@link MixReport} writes README.md), in the target model's tokens when known. */
    private static void writeReport(Spec spec, Path mixDir) {
        Tokenizer tok = spec.tokenizer() == null ? null : Tokenizers.load(spec.tokenizer());
        try {
            ChatTemplate template = null;
            if (spec.chatTemplate() != null) {
                Path t = spec.chatTemplate();
                template = Files.isDirectory(t) ? ChatTemplate.load(t)
                        : ChatTemplate.load(spec.tokenizer() != null && Files.isDirectory(Path.of(spec.tokenizer()))
                        ? Path.of(spec.tokenizer()) : t.toAbsolutePath().getParent(), t);
            }
            MixReport.write(mixDir, tok, template);
        } finally {
            if (tok != null) {
                tok.close();
            }
        }
    }

    private static void writeSplit(OutputDirectory dir, FileChannel ch, String split, int[] order, int from, int to, long[] off,
                                   int[] len, String[] comp, Map<String, long[]> bySplit, int slot, int shardSize) throws IOException {
        int shard = 0;
        for (int start = from; start < to; start += shardSize) {
            int end = Math.min(to, start + shardSize);
            int s = start;
            Path file = dir.dataDir().resolve(String.format(Locale.ROOT, "%s-%05d.jsonl", split, shard++));
            AtomicFiles.write(file, os -> {
                for (int i = s; i < end; i++) {
                    int row = order[i];
                    ByteBuffer buf = ByteBuffer.allocate(len[row]);
                    long pos = off[row];
                    while (buf.hasRemaining()) {
                        int n = ch.read(buf, pos + buf.position());
                        if (n < 0) {
                            throw new IOException("the mix's work file ended early");
                        }
                    }
                    os.write(buf.array());
                    bySplit.get(comp[row])[slot]++;
                }
            });
        }
    }

    private record Sizing(Map<String, Long> counts, String resolution) {
    }

    /** Row counts per component from the shares and counts (see the class comment). */
    static Sizing size(Spec spec, Map<String, Long> available, Map<String, long[]> removed) {
        List<Component> cs = spec.components();
        long fixed = 0;
        double shares = 0;
        for (Component c : cs) {
            if (c.count() != null) {
                fixed += c.count();
            } else {
                shares += c.share();
            }
        }
        boolean anyShare = cs.stream().anyMatch(c -> c.share() != null);
        boolean anyCount = cs.stream().anyMatch(c -> c.count() != null);
        long total;
        String resolution;
        if (!anyShare) {
            if (spec.total() != null && spec.total() != fixed) {
                throw new BadInputException("mix: total " + spec.total() + " differs from the sum of the counts, " + fixed);
            }
            total = fixed;
            resolution = "counts: " + fixed + " rows in all";
        } else if (anyCount) {
            if (shares >= 1 - 1e-9) {
                throw new BadInputException(String.format(Locale.ROOT,
                        "mix: with counts, the shares must sum to less than 1 (the counts take the rest), they sum to %.4g", shares));
            }
            if (spec.total() != null) {
                throw new BadInputException("mix: give total only when every component has a share (here counts set it)");
            }
            total = Math.round(fixed / (1 - shares));
            resolution = String.format(Locale.ROOT, "counts (%d rows) are %.4g of the mix: %d rows in all", fixed, 1 - shares, total);
        } else {
            if (Math.abs(shares - 1) > 1e-6) {
                throw new BadInputException(String.format(Locale.ROOT, "mix: shares must sum to 1, they sum to %.6g", shares));
            }
            if (spec.total() != null) {
                total = spec.total();
                resolution = "total " + total + " rows, as asked";
            } else {
                total = Long.MAX_VALUE;
                String limiting = null;
                for (Component c : cs) {
                    long most = (long) Math.floor(available.get(c.name()) / c.share() + 1e-9);
                    if (most < total) {
                        total = most;
                        limiting = c.name();
                    }
                }
                resolution = String.format(Locale.ROOT, "no total given: %d rows, the most the shares allow (component %s,"
                        + " with %d rows after removals, runs out first)", total, limiting, available.get(limiting));
            }
        }
        // Largest remainder over the share components, so the counts sum to the total exactly.
        Map<String, Long> counts = new LinkedHashMap<>();
        long shareRows = total - fixed;
        long assigned = 0;
        List<double[]> remainders = new ArrayList<>();
        int i = 0;
        for (Component c : cs) {
            if (c.count() != null) {
                counts.put(c.name(), c.count());
            } else {
                double exact = total * c.share();
                long floor = (long) Math.floor(exact + 1e-9);
                counts.put(c.name(), floor);
                assigned += floor;
                remainders.add(new double[] {exact - floor, i});
            }
            i++;
        }
        remainders.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0]) : Double.compare(a[1], b[1]));
        for (int r = 0; assigned < shareRows && r < remainders.size(); r++, assigned++) {
            counts.merge(cs.get((int) remainders.get(r)[1]).name(), 1L, Long::sum);
        }
        List<String> short_ = new ArrayList<>();
        for (Component c : cs) {
            long want = counts.get(c.name());
            long have = available.get(c.name());
            if (want > have) {
                long[] rm = removed.get(c.name());
                short_.add(String.format(Locale.ROOT, "%s needs %d rows (%s) but has %d (%d read, %d contaminated, %d duplicates%s removed)",
                        c.name(), want, c.count() != null ? "its count" : String.format(Locale.ROOT, "share %.4g of %d", c.share(), total),
                        have, rm[0], rm[1], rm[2], rm.length > 3 && spec.nearDedup() != null
                                ? String.format(Locale.ROOT, ", %d near duplicates", rm[3]) : ""));
            }
        }
        if (!short_.isEmpty()) {
            String hint = anyShare && !anyCount && spec.total() != null ? "; lower total or leave it out to take the most the shares allow"
                    : "; lower the counts or add rows";
            throw new BadInputException("mix: too few rows: " + String.join("; ", short_) + hint);
        }
        if (total == 0) {
            throw new BadInputException("mix: the mix would be empty (" + resolution + ")");
        }
        return new Sizing(counts, resolution);
    }

    /** {@code n} split in proportion to {@code weights}, summing to {@code n} exactly (largest remainder, ties by order). */
    static long[] apportion(long n, long[] weights) {
        long sum = 0;
        for (long w : weights) {
            sum += w;
        }
        long[] out = new long[weights.length];
        if (sum == 0) {
            return out;
        }
        double[] rest = new double[weights.length];
        long given = 0;
        for (int i = 0; i < weights.length; i++) {
            double exact = (double) n * weights[i] / sum;
            out[i] = (long) Math.floor(exact);
            rest[i] = exact - out[i];
            given += out[i];
        }
        Integer[] byRest = new Integer[weights.length];
        for (int i = 0; i < byRest.length; i++) {
            byRest[i] = i;
        }
        Arrays.sort(byRest, (a, b) -> rest[a] != rest[b] ? Double.compare(rest[b], rest[a]) : Integer.compare(a, b));
        for (int r = 0; given < n; r++, given++) {
            out[byRest[r % byRest.length]]++;
        }
        return out;
    }

    private static int[] permutation(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static TrainingRecord relabel(TrainingRecord r, String component, Path input) {
        Map<String, Object> meta = new LinkedHashMap<>(r.meta());
        meta.put("component", component);
        if (!(meta.get("source") instanceof String s) || s.isEmpty()) {
            meta.put("source", input.toString());
        }
        return new TrainingRecord(component + "/" + r.id(), r.messages(), r.tools(), meta);
    }

    /** The normalised content of a row: NFC, white space runs collapsed, trimmed, case kept ({@link ContentDigest#normalised}). */
    public static String normalised(TrainingRecord r) {
        return ContentDigest.normalised(r);
    }

    private static void writeMixJson(OutputDirectory dir, Spec spec, Result r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("seed", spec.seed());
        root.put("resolution", r.resolution());
        root.put("train", r.train());
        root.put("validation", r.validation());
        root.put("dedup", "messages' roles and contents, NFC, white space collapsed, case kept; first by component order wins");
        root.put("decontaminate", spec.decontaminate().stream().map(Path::toString).toList());
        root.put("ngram", spec.ngram());
        boolean near = spec.nearDedup() != null;
        if (near) {
            root.put("near_dedup", DedupConfig.describe(spec.nearDedup()));
        }
        Map<String, Object> nearDups = new LinkedHashMap<>();
        Map<String, Object> dups = new LinkedHashMap<>();
        Map<String, Object> contam = new LinkedHashMap<>();
        Map<String, Object> cs = new LinkedHashMap<>();
        for (Component c : spec.components()) {
            ComponentCounts n = r.components().get(c.name());
            dups.put(c.name(), n.removedDuplicates());
            nearDups.put(c.name(), n.removedNearDuplicates());
            contam.put(c.name(), n.removedContaminated());
            cs.put(c.name(), componentJson(c, n, near));
        }
        root.put("removed_duplicates", dups);
        if (near) {
            root.put("removed_near_duplicates", nearDups);
        }
        root.put("removed_contaminated", contam);
        root.put("components", cs);
        try {
            AtomicFiles.write(dir.reportDir().resolve("mix.json"), JSON.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> componentJson(Component c, ComponentCounts n, boolean near) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputs", c.inputs().stream().map(Path::toString).toList());
        if (c.share() != null) {
            m.put("share", c.share());
        } else {
            m.put("count", c.count());
        }
        m.put("read", n.read());
        m.put("removed_contaminated", n.removedContaminated());
        m.put("removed_duplicates", n.removedDuplicates());
        if (near) {
            m.put("removed_near_duplicates", n.removedNearDuplicates());
        }
        m.put("available", n.available());
        m.put("taken", n.taken());
        m.put("train", n.train());
        m.put("validation", n.validation());
        return m;
    }

    private static Map<String, Object> manifest(Spec spec, Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", COMMAND);
        m.put("train", r.train());
        m.put("validation", r.validation());
        m.put("resolution", r.resolution());
        Map<String, Object> cs = new LinkedHashMap<>();
        for (Component c : spec.components()) {
            cs.put(c.name(), componentJson(c, r.components().get(c.name()), spec.nearDedup() != null));
        }
        m.put("components", cs);
        m.put("size_category", HubCard.sizeCategory(r.train() + r.validation()));
        return m;
    }
}
