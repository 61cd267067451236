package dev.granular.teacher;

import dev.granular.teacher.internal.CostFormat;
import dev.granular.teacher.internal.PriceTable;
import dev.granular.teacher.internal.SpendEstimator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a command would send and what it would cost, computed by a {@link SpendEstimator} before anything is sent
 * ({@code --dry-run}): one {@link Line} per step and model.
 *
 * <p>Costs are upper bounds in the sense granular's budget uses: the prompt as counted plus every reply at its
 * expected completion length ({@code max_tokens}, or the stated assumption when none is set). A model the price table
 * does not know has an unknown cost ({@code null}, shown as {@code unknown}), never 0.
 *
 * @param lines      per step and model
 * @param pricesAsOf where the prices come from ({@link PriceTable#asOf()})
 * @param notes      what the estimate assumes beyond the lines (e.g. requests that depend on earlier replies)
 */
public record SpendEstimate(List<Line> lines, String pricesAsOf, List<String> notes) {
    public SpendEstimate {
        lines = List.copyOf(lines);
        notes = List.copyOf(notes);
    }

    /**
     * One step's requests to one model.
     *
     * @param step              the job's step (e.g. {@code generate}, {@code student}, {@code teacher})
     * @param model             the model spec (never a key)
     * @param requests          requests the step would make
     * @param free              of those, requests already answered (the output folder's paid replies of a resumed run,
     *                          or the response cache): they cost nothing and are not counted in the tokens and costs
     * @param promptTokens      prompt tokens of the requests to pay for
     * @param tokenCounting     how prompt tokens were counted: a tokenizer name (e.g. {@code o200k_base}) or an estimate
     *                          ({@code chars/4 estimate})
     * @param exactTokens       whether {@code tokenCounting} is the model's own tokenizer (else an estimate)
     * @param completionTokens  expected completion tokens of the requests to pay for
     * @param completionBasis   where {@code completionTokens} comes from ({@code max_tokens 100}, an assumption)
     * @param realtimeUsd       the cost at list prices, or null when the model has no known price
     * @param batchUsd          the cost at batch API prices, or null when the model has no known batch price
     */
    public record Line(String step, String model, long requests, long free, long promptTokens, String tokenCounting,
                       boolean exactTokens, long completionTokens, String completionBasis, Double realtimeUsd,
                       Double batchUsd) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("model", model);
            m.put("requests", requests);
            m.put("free", free);
            m.put("paid", requests - free);
            m.put("prompt_tokens", promptTokens);
            m.put("prompt_tokens_counted_with", tokenCounting);
            m.put("prompt_tokens_exact", exactTokens);
            m.put("completion_tokens", completionTokens);
            m.put("completion_tokens_basis", completionBasis);
            m.put("cost_realtime_usd", realtimeUsd);
            m.put("cost_batch_usd", batchUsd);
            return m;
        }
    }

    /** Requests over all lines. */
    public long requests() {
        return lines.stream().mapToLong(Line::requests).sum();
    }

    /** Requests already answered (free). */
    public long free() {
        return lines.stream().mapToLong(Line::free).sum();
    }

    /** The real-time total, or null when some line's cost is unknown. */
    public Double realtimeUsd() {
        return sum(lines.stream().map(Line::realtimeUsd).toList());
    }

    /** The batch total, or null when some line's batch cost is unknown. */
    public Double batchUsd() {
        return sum(lines.stream().map(Line::batchUsd).toList());
    }

    private static Double sum(List<Double> costs) {
        double s = 0;
        for (Double d : costs) {
            if (d == null) {
                return null;
            }
            s += d;
        }
        return s;
    }

    /** The machine form ({@code --dry-run-json}): snake_case keys, USD as numbers, unknown costs as null. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dry_run", true);
        m.put("requests", requests());
        m.put("free", free());
        m.put("paid", requests() - free());
        m.put("cost_realtime_usd", realtimeUsd());
        m.put("cost_batch_usd", batchUsd());
        m.put("prices_as_of", pricesAsOf);
        m.put("lines", lines.stream().map(Line::toJson).toList());
        m.put("notes", notes);
        return m;
    }

    /** The human form ({@code --dry-run}): a table, then how it was counted, then the notes. */
    public String table() {
        if (lines.isEmpty()) {
            StringBuilder sb = new StringBuilder("no model calls: nothing to pay for\n");
            notes.forEach(n -> sb.append("note: ").append(n).append('\n'));
            return sb.append("dry run: nothing was sent and nothing was written\n").toString();
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"step", "model", "requests", "free", "prompt tokens", "completion tokens", "real-time", "batch"});
        for (Line l : lines) {
            rows.add(new String[]{l.step(), l.model(), num(l.requests()), num(l.free()),
                    (l.exactTokens() ? "" : "~") + num(l.promptTokens()), "<= " + num(l.completionTokens()),
                    money(l.realtimeUsd()), money(l.batchUsd())});
        }
        if (lines.size() > 1) {
            long prompt = lines.stream().mapToLong(Line::promptTokens).sum();
            long completion = lines.stream().mapToLong(Line::completionTokens).sum();
            boolean exact = lines.stream().allMatch(Line::exactTokens);
            rows.add(new String[]{"total", "", num(requests()), num(free()), (exact ? "" : "~") + num(prompt),
                    "<= " + num(completion), money(realtimeUsd()), money(batchUsd())});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                // text columns left-aligned, numbers right-aligned
                String cell = i < 2 ? String.format("%-" + width[i] + "s", r[i]) : String.format("%" + width[i] + "s", r[i]);
                line.append(i == 0 ? "" : "  ").append(cell);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        sb.append('\n');
        for (Line l : lines) {
            sb.append(String.format(Locale.ROOT, "%s / %s: prompt tokens counted with %s; completion tokens: %s%n",
                    l.step(), l.model(), l.tokenCounting(), l.completionBasis()));
        }
        sb.append("costs: prompt tokens plus every reply at its expected length, at the prices of ").append(pricesAsOf)
                .append("; unknown = no price for the model (pass --prices)\n");
        for (String n : notes) {
            sb.append("note: ").append(n).append('\n');
        }
        sb.append("dry run: nothing was sent and nothing was written\n");
        return sb.toString();
    }

    private static String num(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String money(Double usd) {
        return usd == null ? "unknown" : CostFormat.usd(usd);
    }
}
