package dev.granular.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.export.Labeler;
import dev.granular.export.LossMask;
import dev.granular.files.AtomicFiles;
import dev.granular.io.BadInputException;
import dev.granular.files.HubCard;
import dev.granular.record.Message;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The report of a final training mix: one page ({@code report/index.html} with PNG charts), its numbers
 * ({@code report/mix-stats.json}) and the mix's dataset card ({@code README.md}, loadable with
 * {@code datasets.load_dataset(DIR)}).
 *
 * <p>The mix folder holds {@code data/train-*.jsonl} and {@code data/validation-*.jsonl} (canonical records;
 * {@code meta.component} names the recipe component a row came from, {@code meta.source} where the component
 * got it), optionally {@code recipe.yaml} (embedded in the card) and {@code report/mix.json} from the mixer.
 * From {@code report/mix.json} the report reads what the mixer removed, per component, in either shape:
 * <pre>
 * {"removed_duplicates": {"COMPONENT": n, ...}, "removed_contaminated": {"COMPONENT": n, ...}}
 * {"components": {"COMPONENT": {"removed_duplicates": n, "removed_contaminated": n, ...}, ...}}
 * </pre>
 * and {@code removed_near_duplicates} likewise when the mixer ran near dedup (shown only then).
 * Missing keys mean "not reported" (shown as such, never as 0).
 *
 * <p>Lengths are in the target model's tokens: with a tokenizer and a chat template, the rendered example
 * exactly as {@code export --format tokens} builds it (template tokens included, trained tokens as its
 * labels); with a tokenizer alone, the messages' text; with neither, the messages' text in {@code o200k_base}.
 * IN2 rows ({@code meta.depth}, a list of key-segment depths in [0, 1]) feed the depth-uniformity chart and
 * its chi-square test.
 */
public final class MixReport {
    /** Rows tokenized together: bounds memory to a batch, not the mix. */
    private static final int BATCH = 256;
    private static final int DEPTH_BINS = 10;
    private static final Pattern SPLIT_FILE = Pattern.compile("(train|validation|test)-.*\\.jsonl(\\.gz)?");

    private MixReport() {
    }

    /** What was measured. */
    public record Result(long rows, long tokens, long trainedTokens, Map<String, ComponentStats> components, String counting,
                         Duration elapsed) {
    }

    /** One component's numbers. */
    public record ComponentStats(long rows, long tokens, long trainedTokens, long refused, Map<String, Long> rowsBySplit,
                                 Map<String, Long> sources, int[] lengths, Long removedDuplicates, Long removedContaminated,
                                 Long removedNearDuplicates) {
        /** Stats of a mix without near dedup. */
        public ComponentStats(long rows, long tokens, long trainedTokens, long refused, Map<String, Long> rowsBySplit,
                              Map<String, Long> sources, int[] lengths, Long removedDuplicates, Long removedContaminated) {
            this(rows, tokens, trainedTokens, refused, rowsBySplit, sources, lengths, removedDuplicates, removedContaminated, null);
        }
    }

    private static final class Acc {
        long rows;
        long tokens;
        long trained;
        long refused;
        final Map<String, Long> bySplit = new TreeMap<>();
        final Map<String, Long> sources = new TreeMap<>();
        int[] lengths = new int[64];
        int n;

        void add(String split, String source, int length, int trainedTokens, boolean wasRefused) {
            rows++;
            tokens += length;
            trained += trainedTokens;
            refused += wasRefused ? 1 : 0;
            bySplit.merge(split, 1L, Long::sum);
            sources.merge(source, 1L, Long::sum);
            if (n == lengths.length) {
                lengths = Arrays.copyOf(lengths, n * 2);
            }
            lengths[n++] = length;
        }
    }

    private record Measured(String component, String source, String split, int length, int trained, boolean refused,
                            List<Double> depths) {
    }

    /**
     * Writes the report of {@code mixDir} (see the class comment). {@code tokenizer} and {@code template} may be
     * null: without a template lengths are the messages' text; without a tokenizer, in {@code o200k_base}.
     *
     * @throws BadInputException when the folder holds no {@code data/train-*.jsonl} or {@code validation-*} rows,
     *                           or a row or {@code report/mix.json} is malformed (file and line named)
     */
    public static Result write(Path mixDir, Tokenizer tokenizer, ChatTemplate template) {
        Instant started = Instant.now();
        Map<String, List<Path>> splits = splitFiles(mixDir);
        if (splits.isEmpty()) {
            throw new BadInputException(mixDir.resolve("data") + ": no train-*.jsonl or validation-*.jsonl files: not a mix folder");
        }
        Tokenizer owned = tokenizer == null ? Tokenizers.load("o200k_base") : null;
        Tokenizer tok = tokenizer == null ? owned : tokenizer;
        Labeler labeler = template != null && tokenizer != null ? new Labeler(template, tokenizer, true) : null;
        String counting = labeler != null ? "rendered with the chat template, " + tok.name() + " tokens"
                : "message text, " + tok.name() + " tokens" + (tokenizer == null ? " (no target tokenizer given)" : "");
        Map<String, Acc> acc = new TreeMap<>();
        Histogram.Builder depth = Histogram.builder(0, 1, DEPTH_BINS);
        long[] in2 = {0};
        java.util.function.Consumer<List<Measured>> add = ms -> {
            for (Measured m : ms) {
                acc.computeIfAbsent(m.component(), k -> new Acc()).add(m.split(), m.source(), m.length(), m.trained(), m.refused());
                if (!m.depths().isEmpty()) {
                    in2[0]++;
                    m.depths().forEach(depth::add);
                }
            }
        };
        // One batch is measured (in parallel) while the next is read: reading JSON is the serial part.
        // Its own pool, all cores: the common pool has one worker fewer, and a batch's task would take it.
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(Runtime.getRuntime().availableProcessors());
        java.util.concurrent.CompletableFuture<List<Measured>> pending = null;
        try {
            for (Map.Entry<String, List<Path>> e : splits.entrySet()) {
                String split = e.getKey();
                for (Path file : e.getValue()) {
                    try (Stream<TrainingRecord> rows = RecordReader.read(file)) {
                        List<TrainingRecord> batch = new ArrayList<>(BATCH);
                        for (var it = rows.iterator(); it.hasNext(); ) {
                            batch.add(it.next());
                            if (batch.size() == BATCH || !it.hasNext()) {
                                List<TrainingRecord> full = batch;
                                var next = java.util.concurrent.CompletableFuture.supplyAsync(
                                        () -> full.parallelStream().map(r -> measure(r, split, tok, labeler)).toList(), pool);
                                if (pending != null) {
                                    add.accept(join(pending));
                                }
                                pending = next;
                                batch = new ArrayList<>(BATCH);
                            }
                        }
                    }
                }
            }
            if (pending != null) {
                add.accept(join(pending));
                pending = null;
            }
        } finally {
            if (pending != null) {
                // Stopped by a failure: let the batch in flight end before the tokenizer may be closed.
                try {
                    pending.join();
                } catch (RuntimeException ignored) {
                    // the failure already on its way out is the one to report
                }
            }
            pool.shutdown();
            if (owned != null) {
                owned.close();
            }
        }
        long in2Rows = in2[0];
        Map<String, long[]> removed = removed(mixDir.resolve("report/mix.json"));
        Map<String, ComponentStats> components = new LinkedHashMap<>();
        long rows = 0;
        long tokens = 0;
        long trained = 0;
        for (var e : acc.entrySet()) {
            Acc a = e.getValue();
            long[] rm = removed.get(e.getKey());
            components.put(e.getKey(), new ComponentStats(a.rows, a.tokens, a.trained, a.refused, a.bySplit, a.sources,
                    Arrays.copyOf(a.lengths, a.n), rm == null || rm[0] < 0 ? null : rm[0], rm == null || rm[1] < 0 ? null : rm[1],
                    rm == null || rm[2] < 0 ? null : rm[2]));
            rows += a.rows;
            tokens += a.tokens;
            trained += a.trained;
        }
        // Components the mixer removed everything from still belong in the report.
        removed.forEach((c, rm) -> components.putIfAbsent(c, new ComponentStats(0, 0, 0, 0, Map.of(), Map.of(), new int[0],
                rm[0] < 0 ? null : rm[0], rm[1] < 0 ? null : rm[1], rm[2] < 0 ? null : rm[2])));
        Histogram depthHist = in2Rows == 0 ? null : depth.build();
        Result result = new Result(rows, tokens, trained, components, counting, Duration.between(started, Instant.now()));
        Path reportDir = mixDir.resolve("report");
        try {
            Files.createDirectories(reportDir);
            Map<String, Object> stats = stats(result, splits, depthHist, in2Rows);
            Json.writeAtomically(reportDir.resolve("mix-stats.json"), stats);
            charts(reportDir, result, depthHist, !removed.isEmpty());
            AtomicFiles.write(reportDir.resolve("index.html"), html(result, depthHist, in2Rows, !removed.isEmpty()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the mix report in " + reportDir, e);
        }
        AtomicFiles.write(mixDir.resolve("README.md"), card(mixDir, result, splits, depthHist));
        return result;
    }

    /** The batch's measures; a failure (a malformed row) is rethrown as it was thrown. */
    private static List<Measured> join(java.util.concurrent.CompletableFuture<List<Measured>> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Split name to its data files, in name order: train first, then validation, then test. */
    static Map<String, List<Path>> splitFiles(Path mixDir) {
        Path data = mixDir.resolve("data");
        Map<String, List<Path>> out = new LinkedHashMap<>();
        if (!Files.isDirectory(data)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(data)) {
            files = s.filter(p -> SPLIT_FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + data, e);
        }
        for (String split : List.of("train", "validation", "test")) {
            List<Path> f = files.stream().filter(p -> p.getFileName().toString().startsWith(split + "-")).toList();
            if (!f.isEmpty()) {
                out.put(split, f);
            }
        }
        return out;
    }

    private static Measured measure(TrainingRecord r, String split, Tokenizer tok, Labeler labeler) {
        Map<String, Object> meta = r.meta();
        String component = str(meta.get("component"), str(meta.get("design"), "unknown"));
        String source = str(meta.get("source"), "—");
        int length;
        int trained;
        boolean refused = false;
        Labeler.Result lr = labeler == null ? null : labeler.label(r);
        if (lr instanceof LossMask mask) {
            length = mask.size();
            trained = mask.trainedTokens();
        } else {
            // No template, or the template cannot render this row exactly: the messages' text.
            refused = lr != null;
            length = 0;
            trained = 0;
            for (Message m : r.messages()) {
                int n = m.content() == null ? 0 : tok.count(m.content());
                length += n;
                trained += m.train() ? n : 0;
            }
        }
        List<Double> depths = List.of();
        if (meta.get("depth") instanceof List<?> d && !d.isEmpty()) {
            depths = d.stream().filter(Number.class::isInstance).map(x -> ((Number) x).doubleValue()).toList();
        }
        return new Measured(component, source, split, length, trained, refused, depths);
    }

    private static String str(Object o, String dflt) {
        return o instanceof String s && !s.isBlank() ? s : dflt;
    }

    /** Component to {removed_duplicates, removed_contaminated, removed_near_duplicates}, -1 where not reported. */
    static Map<String, long[]> removed(Path mixJson) {
        Map<String, long[]> out = new TreeMap<>();
        if (!Files.isRegularFile(mixJson)) {
            return out;
        }
        JsonNode root;
        try {
            root = Json.mapper().readTree(mixJson.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadInputException(mixJson + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + mixJson, e);
        }
        String[] keys = {"removed_duplicates", "removed_contaminated", "removed_near_duplicates"};
        for (int k = 0; k < keys.length; k++) {
            int kk = k;
            root.path(keys[k]).properties().forEach(e -> {
                if (e.getValue().isIntegralNumber()) {
                    out.computeIfAbsent(e.getKey(), c -> new long[] {-1, -1, -1})[kk] = e.getValue().asLong();
                }
            });
            root.path("components").properties().forEach(e -> {
                JsonNode v = e.getValue().path(keys[kk]);
                if (v.isIntegralNumber()) {
                    out.computeIfAbsent(e.getKey(), c -> new long[] {-1, -1, -1})[kk] = v.asLong();
                }
            });
        }
        return out;
    }

    private static int percentile(int[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private static Map<String, Object> stats(Result r, Map<String, List<Path>> splits, Histogram depth, long in2Rows) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("counting", r.counting());
        s.put("rows", r.rows());
        s.put("tokens", r.tokens());
        s.put("trained_tokens", r.trainedTokens());
        Map<String, Object> sp = new LinkedHashMap<>();
        splits.forEach((k, v) -> sp.put(k, v.size() + " files"));
        s.put("split_files", sp);
        Map<String, Object> cs = new LinkedHashMap<>();
        r.components().forEach((name, c) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rows", c.rows());
            m.put("rows_by_split", c.rowsBySplit());
            m.put("tokens", c.tokens());
            m.put("trained_tokens", c.trainedTokens());
            m.put("token_share", r.tokens() == 0 ? 0 : (double) c.tokens() / r.tokens());
            m.put("trained_token_share", r.trainedTokens() == 0 ? 0 : (double) c.trainedTokens() / r.trainedTokens());
            int[] l = c.lengths().clone();
            Arrays.sort(l);
            Map<String, Object> len = new LinkedHashMap<>();
            len.put("min", l.length == 0 ? 0 : l[0]);
            len.put("p50", percentile(l, 0.5));
            len.put("p90", percentile(l, 0.9));
            len.put("p99", percentile(l, 0.99));
            len.put("max", l.length == 0 ? 0 : l[l.length - 1]);
            len.put("mean", l.length == 0 ? 0 : (double) c.tokens() / l.length);
            m.put("length_tokens", len);
            m.put("rendered_as_text", c.refused());
            m.put("removed_duplicates", c.removedDuplicates());
            m.put("removed_contaminated", c.removedContaminated());
            if (c.removedNearDuplicates() != null) {
                m.put("removed_near_duplicates", c.removedNearDuplicates());
            }
            // A corpus component has a source per document: the 100 largest, and how many there are.
            m.put("distinct_sources", c.sources().size());
            Map<String, Long> top = new LinkedHashMap<>();
            c.sources().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(100)
                    .forEach(e -> top.put(e.getKey(), e.getValue()));
            m.put("sources", top);
            cs.put(name, m);
        });
        s.put("components", cs);
        if (depth != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("rows", in2Rows);
            d.put("key_segments", depth.total());
            d.put("bins", Arrays.stream(depth.counts()).boxed().toList());
            d.put("chi_square_p", Uniformity.chiSquarePValue(depth.counts()));
            s.put("in2_depth", d);
        }
        return s;
    }

    private static void charts(Path dir, Result r, Histogram depth, boolean removed) throws IOException {
        List<String> names = r.components().entrySet().stream().filter(e -> e.getValue().rows() > 0).map(Map.Entry::getKey).toList();
        if (names.isEmpty()) {
            return;
        }
        Charts.barChartPng(dir.resolve("tokens.png"), "Tokens per component", "component", "tokens", names,
                names.stream().map(n -> r.components().get(n).tokens()).toList());
        Charts.barChartPng(dir.resolve("trained-share.png"), "Share of trained tokens per component (%)", "component", "% of trained tokens",
                names, names.stream().map(n -> r.trainedTokens() == 0 ? 0.0
                        : 100.0 * r.components().get(n).trainedTokens() / r.trainedTokens()).toList());
        int top = names.stream().flatMapToInt(n -> Arrays.stream(r.components().get(n).lengths())).max().orElse(1);
        int bins = 40;
        Map<String, double[][]> series = new LinkedHashMap<>();
        for (String n : names) {
            Histogram h = Histogram.of(0, top + 1, bins, Arrays.stream(r.components().get(n).lengths()).asDoubleStream());
            double[] xs = new double[bins];
            double[] ys = new double[bins];
            for (int i = 0; i < bins; i++) {
                xs[i] = Math.round(h.min() + (i + 0.5) * h.binWidth()); // whole tokens read better on the axis
                ys[i] = h.count(i);
            }
            series.put(n, new double[][] {xs, ys});
        }
        Charts.linePng(dir.resolve("lengths.png"), "Example length per component", "tokens", "examples", series);
        if (depth != null) {
            Charts.histogramPng(dir.resolve("depth.png"), String.format(Locale.ROOT, "IN2 key-segment depth (chi-square p = %.3g)",
                    Uniformity.chiSquarePValue(depth.counts())), "depth in context", "key segments", depth);
        }
        if (removed) {
            List<String> all = new ArrayList<>(r.components().keySet());
            Map<String, double[][]> rm = new LinkedHashMap<>();
            double[] xs = new double[all.size()];
            double[] dup = new double[all.size()];
            double[] con = new double[all.size()];
            for (int i = 0; i < all.size(); i++) {
                ComponentStats c = r.components().get(all.get(i));
                xs[i] = i;
                dup[i] = c.removedDuplicates() == null ? 0 : c.removedDuplicates();
                con[i] = c.removedContaminated() == null ? 0 : c.removedContaminated();
            }
            List<String> cats = new ArrayList<>();
            List<Long> vals = new ArrayList<>();
            boolean near = nearReported(r);
            for (int i = 0; i < all.size(); i++) {
                cats.add(all.get(i) + " dup");
                vals.add((long) dup[i]);
                if (near) {
                    Long n = r.components().get(all.get(i)).removedNearDuplicates();
                    cats.add(all.get(i) + " near");
                    vals.add(n == null ? 0 : n);
                }
                cats.add(all.get(i) + " contam");
                vals.add((long) con[i]);
            }
            Charts.barChartPng(dir.resolve("removed.png"), "Rows removed by the mixer", "component", "rows", cats, vals);
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String pct(long part, long whole) {
        return whole == 0 ? "–" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String opt(Long n) {
        return n == null ? "not reported" : String.format(Locale.ROOT, "%,d", n);
    }

    /** Whether the mixer ran near dedup (then the report shows its counts). */
    private static boolean nearReported(Result r) {
        return r.components().values().stream().anyMatch(c -> c.removedNearDuplicates() != null);
    }

    private static String html(Result r, Histogram depth, long in2Rows, boolean removed) {
        boolean near = nearReported(r);
        StringBuilder h = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>Mix report</title>
                <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}
                td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
                img{max-width:100%}</style></head><body>
                <h1>Mix report</h1>
                """);
        h.append(String.format(Locale.ROOT, "<p>%,d rows, %,d tokens, %,d trained (%s). Lengths: %s.</p>%n", r.rows(), r.tokens(),
                r.trainedTokens(), pct(r.trainedTokens(), r.tokens()), esc(r.counting())));
        h.append("<table><tr><th>component</th><th>rows</th><th>tokens</th><th>token share</th><th>trained tokens</th>"
                + "<th>trained share</th><th>median length</th><th>max length</th><th>duplicates removed</th>"
                + (near ? "<th>near duplicates removed</th>" : "") + "<th>contaminated removed</th></tr>\n");
        r.components().forEach((n, c) -> {
            int[] l = c.lengths().clone();
            Arrays.sort(l);
            h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%,d</td><td>%,d</td><td>%s</td><td>%,d</td><td>%s</td><td>%,d</td>"
                            + "<td>%,d</td><td>%s</td>%s<td>%s</td></tr>%n", esc(n), c.rows(), c.tokens(), pct(c.tokens(), r.tokens()),
                    c.trainedTokens(), pct(c.trainedTokens(), r.trainedTokens()), percentile(l, 0.5), l.length == 0 ? 0 : l[l.length - 1],
                    opt(c.removedDuplicates()), near ? "<td>" + opt(c.removedNearDuplicates()) + "</td>" : "", opt(c.removedContaminated())));
        });
        h.append("</table>\n");
        if (r.rows() > 0) {
            h.append("<h2>Tokens per component</h2><img src=\"tokens.png\" alt=\"tokens per component\">\n");
            h.append("<h2>Trained-token share</h2><img src=\"trained-share.png\" alt=\"trained-token share\">\n");
            h.append("<h2>Length distribution</h2><img src=\"lengths.png\" alt=\"length distribution\">\n");
        }
        if (depth != null) {
            h.append(String.format(Locale.ROOT, "<h2>IN2 depth uniformity</h2><p>%,d IN2 rows, %,d key segments in %d depth bins; "
                    + "chi-square test of uniformity p = %.3g.</p><img src=\"depth.png\" alt=\"depth\">%n", in2Rows, depth.total(),
                    DEPTH_BINS, Uniformity.chiSquarePValue(depth.counts())));
        }
        if (removed) {
            h.append("<h2>Duplicates and contamination removed</h2><img src=\"removed.png\" alt=\"removed rows\">\n");
        } else {
            h.append("<h2>Duplicates and contamination removed</h2><p>Not reported: the folder has no report/mix.json.</p>\n");
        }
        h.append("<p>Numbers: <a href=\"mix-stats.json\">mix-stats.json</a>.</p></body></html>\n");
        return h.toString();
    }

    private static String card(Path mixDir, Result r, Map<String, List<Path>> splits, Histogram depth) {
        Map<String, String> globs = new LinkedHashMap<>();
        splits.keySet().forEach(s -> globs.put(s, "data/" + s + "-*.jsonl"));
        List<String> tags = new ArrayList<>(List.of("mix", "sft"));
        if (depth != null) {
            tags.add("long-context");
        }
        HubCard hub = HubCard.train("granular training mix", r.rows(), List.of("text-generation"), tags.toArray(String[]::new))
                .withSplits(globs).withFeaturesOf(mixDir);
        StringBuilder md = new StringBuilder("# Training mix\n\n");
        md.append(String.format(Locale.ROOT, "%,d rows (%s), %,d tokens of which %,d trained. Lengths are %s.%n%n", r.rows(),
                String.join(", ", splits.keySet()), r.tokens(), r.trainedTokens(), r.counting()));
        md.append("## Composition\n\n| component | rows | tokens | share of tokens | trained tokens | share of trained |\n|---|---|---|---|---|---|\n");
        r.components().forEach((n, c) -> md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %s | %,d | %s |%n", n.replace("|", "\\|"),
                c.rows(), c.tokens(), pct(c.tokens(), r.tokens()), c.trainedTokens(), pct(c.trainedTokens(), r.trainedTokens()))));
        if (r.rows() > 0) {
            md.append("\n![tokens per component](report/tokens.png)\n\n");
        }
        md.append("The full report, with length distributions, IN2 depth uniformity and what the mixer removed: "
                + "`report/index.html` (numbers in `report/mix-stats.json`).\n\n");
        if (nearReported(r)) { // only for mixes made with near dedup: other cards stay as they were
            md.append("Near duplicates removed by the mixer (MinHash estimate of word-shingle Jaccard similarity to an earlier row at or "
                    + "above the threshold in `report/mix.json`): ");
            List<String> parts = new ArrayList<>();
            r.components().forEach((n, c) -> parts.add(String.format(Locale.ROOT, "%s %s", n, opt(c.removedNearDuplicates()))));
            md.append(String.join(", ", parts)).append(".\n\n");
        }
        md.append("## Provenance\n\nEach row's `meta.component` names the recipe component it came from and `meta.source` "
                + "where that component got it.\n\n| component | source | rows |\n|---|---|---|\n");
        r.components().forEach((n, c) -> {
            List<Map.Entry<String, Long>> top = c.sources().entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10).toList();
            for (var s : top) {
                md.append("| ").append(n.replace("|", "\\|")).append(" | `").append(s.getKey().replace("|", "\\|").replace("`", "'"))
                        .append("` | ").append(s.getValue()).append(" |\n");
            }
            if (c.sources().size() > top.size()) {
                md.append("| ").append(n.replace("|", "\\|")).append(" | ").append(c.sources().size() - top.size())
                        .append(" more sources | ").append(c.rows() - top.stream().mapToLong(Map.Entry::getValue).sum()).append(" |\n");
            }
        });
        Path recipe = mixDir.resolve("recipe.yaml");
        if (Files.isRegularFile(recipe)) {
            try {
                String text = Files.readString(recipe, StandardCharsets.UTF_8);
                String fence = text.contains("```") ? "~~~~" : "```";
                md.append("\n## Recipe\n\nThis mix was made by `granular run recipe.yaml` with this recipe (`recipe.yaml`):\n\n")
                        .append(fence).append("yaml\n").append(text).append(text.endsWith("\n") ? "" : "\n").append(fence).append("\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + recipe, e);
            }
        }
        md.append("""

                ## Loading

                ```python
                from datasets import load_dataset
                mix = load_dataset("path/to/this/folder")   # splits: %s
                ```
                """.formatted(String.join(", ", splits.keySet())));
        return hub.card(md.toString());
    }
}
