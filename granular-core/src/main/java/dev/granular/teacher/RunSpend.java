package dev.granular.teacher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.files.OutputDirectory;
import dev.granular.teacher.internal.CostFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a run paid, read back from its output folder ({@code granular cost DIR}): every reply journalled in
 * {@code .granular/replies.jsonl} ({@link PaidRepliesFile}) by the folder's run, over every attempt (interrupted and
 * resumed, any number of times), by step and model: replies, tokens in and out, USD, real-time vs batch. Replies
 * served from the cache cost nothing and are not journalled; their count comes from the manifest of the latest
 * finished attempt when there is one.
 *
 * <p>Steps: a recipe output holds one granular output per step in {@code steps/NAME}; a command's output is one step,
 * named after its command. Lines journalled by a different run of the same folder (an earlier configuration replaced
 * with {@code --overwrite}) are counted apart, as {@code other runs}. Reads only; never writes.
 *
 * @param dir   the folder read
 * @param steps its steps, in order
 */
public record RunSpend(Path dir, List<Step> steps) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARKER = ".granular/run.json";

    public RunSpend {
        steps = List.copyOf(steps);
    }

    /**
     * Totals of some replies.
     *
     * @param replies       paid replies
     * @param batchReplies  of those, answered through a batch API
     * @param batchUsd      what those cost
     * @param cached        replies served free from the cache in the latest finished attempt, or -1 when unknown
     */
    public record Totals(long replies, long promptTokens, long completionTokens, double usd, long batchReplies, double batchUsd,
                         long cached) {
        public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, -1);

        Totals plus(Totals o) {
            long c = cached < 0 && o.cached < 0 ? -1 : Math.max(0, cached) + Math.max(0, o.cached);
            return new Totals(replies + o.replies, promptTokens + o.promptTokens, completionTokens + o.completionTokens,
                    usd + o.usd, batchReplies + o.batchReplies, batchUsd + o.batchUsd, c);
        }

        Totals withCached(long c) {
            return new Totals(replies, promptTokens, completionTokens, usd, batchReplies, batchUsd, c);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("replies", replies);
            m.put("prompt_tokens", promptTokens);
            m.put("completion_tokens", completionTokens);
            m.put("usd", usd);
            m.put("realtime_replies", replies - batchReplies);
            m.put("realtime_usd", usd - batchUsd);
            m.put("batch_replies", batchReplies);
            m.put("batch_usd", batchUsd);
            m.put("cached_latest_attempt", cached < 0 ? null : cached);
            return m;
        }
    }

    /**
     * One step.
     *
     * @param name      the step ({@code steps/NAME}) or the command
     * @param command   the granular command that wrote it
     * @param byModel   this run's paid replies by model spec
     * @param otherRuns replies journalled in the folder by other runs (earlier configurations)
     */
    public record Step(String name, String command, Path dir, Map<String, Totals> byModel, Totals otherRuns) {
        public Totals total() {
            return byModel.values().stream().reduce(Totals.ZERO, Totals::plus);
        }
    }

    /**
     * Reads {@code dir}'s spend.
     *
     * @throws BadInputException when {@code dir} is not a granular output (no {@code .granular/run.json}, neither in it
     *                           nor in any {@code steps/NAME}), or a journal line is damaged (naming the file and line)
     */
    public static RunSpend read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(dir.toString(), 0, "no such folder: expected a granular output directory");
        }
        List<Step> steps = new ArrayList<>();
        Path stepsDir = dir.resolve("steps");
        if (Files.isDirectory(stepsDir)) {
            List<Path> subs = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(stepsDir)) {
                ds.forEach(subs::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + stepsDir, e);
            }
            subs.sort(null);
            for (Path s : subs) {
                if (Files.isRegularFile(s.resolve(MARKER))) {
                    steps.add(step(s, s.getFileName().toString()));
                }
            }
        }
        if (Files.isRegularFile(dir.resolve(MARKER))) {
            Step own = step(dir, null);
            if (steps.isEmpty() || !own.byModel().isEmpty() || own.otherRuns().replies() > 0) {
                steps.add(0, own);
            }
        }
        if (steps.isEmpty()) {
            throw new BadInputException(dir.toString(), 0, "is not a granular output directory (it has no " + MARKER
                    + ", nor has any steps/NAME/" + MARKER + ")");
        }
        return new RunSpend(dir, steps);
    }

    private static Step step(Path dir, String name) {
        Path markerFile = dir.resolve(MARKER);
        JsonNode marker;
        try {
            marker = JSON.readTree(markerFile.toFile());
        } catch (IOException e) {
            throw new BadInputException(markerFile.toString(), 0, "unreadable granular run marker: " + e.getMessage());
        }
        String run = marker.path("fingerprint").asText();
        String command = marker.path("command").asText();
        Map<String, Totals> byModel = new TreeMap<>();
        Totals others = Totals.ZERO;
        Path file = dir.resolve(OutputDirectory.PAID_REPLIES);
        if (Files.isRegularFile(file)) {
            boolean tornLast = !endsWithNewline(file);
            // streamed: a journal of 100K replies holds every body, too much to read into memory at once
            try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                long lineNumber = 0;
                long damaged = 0;
                for (String line; (line = r.readLine()) != null; ) {
                    lineNumber++;
                    if (damaged > 0) {
                        throw new BadInputException(file, damaged, "not a paid reply (damaged file?)");
                    }
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode n;
                    try {
                        n = JSON.readTree(line);
                    } catch (IOException e) {
                        n = null;
                    }
                    if (n == null || !n.isObject() || !n.path("body").isTextual()) {
                        damaged = lineNumber; // fine only as the unterminated last line (a crash mid-write, dropped at resume)
                        continue;
                    }
                    boolean batch = n.path("batch").asBoolean(false);
                    double usd = n.path("usd").asDouble();
                    Totals one = new Totals(1, n.path("prompt_tokens").asLong(), n.path("completion_tokens").asLong(), usd,
                            batch ? 1 : 0, batch ? usd : 0, -1);
                    if (run.equals(n.path("run").asText())) {
                        byModel.merge(n.path("model").asText(), one, Totals::plus);
                    } else {
                        others = others.plus(one);
                    }
                }
                if (damaged > 0 && !tornLast) {
                    throw new BadInputException(file, damaged, "not a paid reply (damaged file?)");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        cachedFromManifest(dir).forEach((model, cached) -> byModel.merge(model, Totals.ZERO.withCached(cached), Totals::plus));
        return new Step(name == null ? command : name, command, dir, byModel, others);
    }

    private static boolean endsWithNewline(Path file) {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            if (size == 0) {
                return true;
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, size - 1);
            return b.get(0) == '\n';
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Replies served from the cache, by model, in the latest finished attempt ({@code manifest.json}); empty if none. */
    private static Map<String, Long> cachedFromManifest(Path dir) {
        Path m = dir.resolve("manifest.json");
        Map<String, Long> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(m)) {
            return out;
        }
        JsonNode root;
        try {
            root = JSON.readTree(m.toFile());
        } catch (IOException e) {
            return out; // the card's numbers are a convenience here; the journal is the record
        }
        JsonNode models = root.path("cost").path("models");
        if (!models.isObject()) {
            models = root.path("teacher").path("usage").path("models");
        }
        models.properties().forEach(e -> out.put(e.getKey(), e.getValue().path("cached").asLong()));
        return out;
    }

    /** Every step's models together. */
    public Totals total() {
        return steps.stream().map(Step::total).reduce(Totals.ZERO, Totals::plus);
    }

    /** The machine form ({@code granular cost --json}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dir", dir.toString());
        List<Object> ss = new ArrayList<>();
        for (Step s : steps) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("step", s.name());
            j.put("command", s.command());
            j.put("dir", s.dir().toString());
            Map<String, Object> models = new LinkedHashMap<>();
            s.byModel().forEach((k, v) -> models.put(k, v.toJson()));
            j.put("models", models);
            j.put("total", s.total().toJson());
            j.put("other_runs", s.otherRuns().toJson());
            ss.add(j);
        }
        m.put("steps", ss);
        m.put("total", total().toJson());
        return m;
    }

    /** The human form: one row per step and model, then the total. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"step", "model", "paid replies", "prompt tokens", "completion tokens", "USD", "real-time", "batch",
                "cached (latest)"});
        for (Step s : steps) {
            s.byModel().forEach((model, t) -> rows.add(row(s.name(), model, t)));
        }
        rows.add(row("total", "", total()));
        StringBuilder sb = new StringBuilder();
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == 0 ? "" : "  ").append(i < 2 ? String.format("%-" + w[i] + "s", r[i])
                        : String.format("%" + w[i] + "s", r[i]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        for (Step s : steps) {
            if (s.otherRuns().replies() > 0) {
                sb.append(String.format(Locale.ROOT, "%s: also %,d replies (%s) journalled by other runs of this folder "
                                + "(earlier configurations); reused where a request matches, not counted above%n",
                        s.name(), s.otherRuns().replies(), CostFormat.usd(s.otherRuns().usd())));
            }
        }
        sb.append("every attempt of the run counted (interrupted and resumed); cached replies cost nothing\n");
        return sb.toString();
    }

    private static String[] row(String step, String model, Totals t) {
        return new String[]{step, model, String.format(Locale.ROOT, "%,d", t.replies()), CostFormat.tokens(t.promptTokens()),
                CostFormat.tokens(t.completionTokens()), CostFormat.usd(t.usd()),
                String.format(Locale.ROOT, "%,d %s", t.replies() - t.batchReplies(), CostFormat.usd(t.usd() - t.batchUsd())),
                String.format(Locale.ROOT, "%,d %s", t.batchReplies(), CostFormat.usd(t.batchUsd())),
                t.cached() < 0 ? "-" : String.format(Locale.ROOT, "%,d", t.cached())};
    }
}
