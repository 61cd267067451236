package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tokens and money per model, and the {@code --max-cost} budget. Thread-safe.
 *
 * <p>Budget protocol: before sending a request, {@link #reserve} books its worst-case cost (the
 * estimated prompt at the input price plus {@code maxCompletionTokens} at the output price); it
 * fails when spent + reserved + that would exceed the budget, and the run then stops cleanly
 * (exit code 3) instead of sending. When the reply comes, {@link #settle} swaps the booking for
 * the reported cost; when no billable reply came, {@link #release} drops it. So spent + reserved
 * never exceeds the budget while every actual cost is within its reservation; a prompt estimate
 * that was too low can overshoot by that error only.
 *
 * <p>Replies served from the response cache cost nothing now: {@link #record} with
 * {@code cached=true} counts them as requests and cached hits, and their tokens and list price
 * separately as what the cache saved. Models without a price (local servers) cost 0, are never
 * refused by the budget, and are reported {@code priced=false}.
 *
 * <p>Counts: an <em>attempt</em> is one HTTP request sent ({@link #attempted}), retries and failures included; a
 * <em>billable</em> request is one whose reply was paid for ({@link #settle}); a <em>cached</em> one was served
 * without sending. A run resumed after a crash or a Ctrl-C {@link #carry carries} what its earlier attempts spent
 * (journalled with each reply), so the budget and every figure cover the whole run, not just this process.
 *
 * <p>Money is summed in picodollars (longs), so concurrent sums are exact. Models are keyed by
 * {@link ModelSpec#toString()}, which never holds a key.
 */
public final class CostMeter {
    private final PriceTable prices;
    private final long budgetPico;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, ModelCost> models = new LinkedHashMap<>();
    private long spentPico;
    private long reservedPico;

    /** A booking made by {@link #reserve}; settle or release it exactly once. */
    public static final class Reservation {
        private final ModelSpec spec;
        private final long pico;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Reservation(ModelSpec spec, long pico) {
            this.spec = spec;
            this.pico = pico;
        }

        /** The booked worst case in USD. */
        public double usd() {
            return pico / Price.PICO_PER_USD;
        }

        public ModelSpec spec() {
            return spec;
        }
    }

    /**
     * What earlier attempts of a run used, as journalled.
     *
     * @param attempts HTTP requests sent
     * @param billable replies paid for
     */
    public record Spend(long attempts, long billable, long promptTokens, long completionTokens, double usd) {
        public static final Spend ZERO = new Spend(0, 0, 0, 0, 0);

        public Spend plus(Spend o) {
            return new Spend(attempts + o.attempts, billable + o.billable, promptTokens + o.promptTokens,
                    completionTokens + o.completionTokens, usd + o.usd);
        }
    }

    /** A meter over {@code prices}, with a budget when {@code maxCostUsd} is not null. */
    public static CostMeter of(PriceTable prices, Double maxCostUsd) {
        return maxCostUsd == null ? new CostMeter(prices) : new CostMeter(prices, maxCostUsd);
    }

    public CostMeter(PriceTable prices) {
        this.prices = prices;
        this.budgetPico = Long.MAX_VALUE;
    }

    /** A meter that refuses reservations beyond {@code maxCostUsd} ({@code --max-cost}). */
    public CostMeter(PriceTable prices, double maxCostUsd) {
        if (!(maxCostUsd >= 0) || Double.isInfinite(maxCostUsd)) {
            throw new IllegalArgumentException("maxCost must be a finite amount >= 0");
        }
        this.prices = prices;
        this.budgetPico = Math.round(maxCostUsd * Price.PICO_PER_USD);
    }

    /**
     * Books the worst-case cost of a request to {@code spec}.
     *
     * @return the booking, or empty when it would take spent + reserved past the budget
     */
    public Optional<Reservation> reserve(ModelSpec spec, int estPromptTokens, int maxCompletionTokens) {
        lock.lock();
        try {
            ModelCost m = model(spec);
            long worst = m.price == null ? 0 : m.price.pico(Math.max(0, estPromptTokens), Math.max(0, maxCompletionTokens));
            if (worst > 0 && worst > budgetPico - spentPico - reservedPico) {
                return Optional.empty();
            }
            reservedPico = sat(reservedPico + worst);
            return Optional.of(new Reservation(spec, worst));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Books the worst-case cost of a whole batch to {@code spec} at its batch price ({@code --max-cost} counts a batch
     * before it is submitted): {@code promptTokens} and {@code maxCompletionTokens} summed over its requests.
     *
     * @param force book it even past the budget (a batch an earlier attempt already submitted: it will be paid for)
     * @return the booking, or empty when it would take spent + reserved past the budget
     */
    public Optional<Reservation> reserveBatch(ModelSpec spec, long promptTokens, long maxCompletionTokens, boolean force) {
        lock.lock();
        try {
            Price p = batchPrice(spec);
            long worst = p == null ? 0 : p.pico(Math.max(0, promptTokens), Math.max(0, maxCompletionTokens));
            if (!force && worst > 0 && worst > budgetPico - spentPico - reservedPico) {
                return Optional.empty();
            }
            reservedPico = sat(reservedPico + worst);
            return Optional.of(new Reservation(spec, worst));
        } finally {
            lock.unlock();
        }
    }

    /** Counts one batch reply, paid at the batch price, and one attempt (its submission). */
    public void recordBatch(ModelSpec spec, Usage usage) {
        lock.lock();
        try {
            ModelCost m = model(spec);
            Price p = batchPrice(spec);
            long pico = p == null ? 0 : p.pico(usage.promptTokens(), usage.completionTokens());
            m.requests++;
            m.billable++;
            m.promptTokens += usage.promptTokens();
            m.completionTokens += usage.completionTokens();
            m.pico = sat(m.pico + pico);
            spentPico = sat(spentPico + pico);
        } finally {
            lock.unlock();
        }
    }

    /** The batch price of {@code usage} on {@code spec} in USD (the list price where the table has no batch price). */
    public double batchCostUsd(ModelSpec spec, Usage usage) {
        lock.lock();
        try {
            Price p = batchPrice(spec);
            return p == null ? 0 : p.pico(usage.promptTokens(), usage.completionTokens()) / Price.PICO_PER_USD;
        } finally {
            lock.unlock();
        }
    }

    /** Guarded by the lock. A model with a list price but no known batch price is counted at the list price. */
    private Price batchPrice(ModelSpec spec) {
        return prices.batchPrice(spec).orElse(model(spec).price);
    }

    /** Replaces {@code r} with the cost of {@code actual}, and counts the request. */
    public void settle(Reservation r, Usage actual) {
        closeOnce(r);
        lock.lock();
        try {
            reservedPico -= r.pico;
            add(r.spec, actual, false);
        } finally {
            lock.unlock();
        }
    }

    /** Drops {@code r} without counting a request (no billable reply came). */
    public void release(Reservation r) {
        closeOnce(r);
        lock.lock();
        try {
            reservedPico -= r.pico;
        } finally {
            lock.unlock();
        }
    }

    /** Counts one HTTP request sent (an attempt, whatever its outcome). */
    public void attempted(ModelSpec spec) {
        lock.lock();
        try {
            model(spec).attempts++;
        } finally {
            lock.unlock();
        }
    }

    /** The list price of {@code usage} on {@code spec} in USD; 0 for a model without a price. */
    public double costUsd(ModelSpec spec, Usage usage) {
        lock.lock();
        try {
            Price p = model(spec).price;
            return p == null ? 0 : p.pico(usage.promptTokens(), usage.completionTokens()) / Price.PICO_PER_USD;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds what earlier attempts of this run spent on {@code spec} (journalled with their replies): it counts against
     * the budget and in every figure, so a resumed run reports, and is limited by, the whole run's spend.
     */
    public void carry(ModelSpec spec, Spend earlier) {
        lock.lock();
        try {
            ModelCost m = model(spec);
            long pico = Math.round(earlier.usd() * Price.PICO_PER_USD);
            m.attempts += earlier.attempts();
            m.requests += earlier.billable();
            m.billable += earlier.billable();
            m.promptTokens += earlier.promptTokens();
            m.completionTokens += earlier.completionTokens();
            m.pico = sat(m.pico + pico);
            spentPico = sat(spentPico + pico);
            m.earlierBillable += earlier.billable();
            m.earlierPromptTokens += earlier.promptTokens();
            m.earlierCompletionTokens += earlier.completionTokens();
            m.earlierPico = sat(m.earlierPico + pico);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The run's spend split by attempt, one row per model: what this process paid, what earlier (interrupted) attempts
     * paid as journalled, and the total; a Markdown table for dataset cards.
     */
    public String attemptsTable() {
        lock.lock();
        try {
            StringBuilder sb = new StringBuilder("| model | this attempt | earlier attempts | total |\n|---|---|---|---|\n");
            ModelCost total = new ModelCost(null);
            for (Map.Entry<String, ModelCost> e : models.entrySet()) {
                ModelCost m = e.getValue();
                total.addAll(m);
                sb.append("| `").append(e.getKey()).append("` | ").append(m.thisAttempt()).append(" | ").append(m.earlier())
                        .append(" | ").append(m.whole()).append(m.price == null ? " (unpriced)" : "").append(" |\n");
            }
            if (models.size() > 1) {
                sb.append("| total | ").append(total.thisAttempt()).append(" | ").append(total.earlier()).append(" | ")
                        .append(total.whole()).append(" |\n");
            }
            return sb.toString();
        } finally {
            lock.unlock();
        }
    }

    /** Counts a request made without a reservation; {@code cached} replies cost nothing. */
    public void record(ModelSpec spec, Usage usage, boolean cached) {
        lock.lock();
        try {
            add(spec, usage, cached);
        } finally {
            lock.unlock();
        }
    }

    /** USD spent so far (cached replies excluded). */
    public double spentUsd() {
        lock.lock();
        try {
            return spentPico / Price.PICO_PER_USD;
        } finally {
            lock.unlock();
        }
    }

    /** USD booked by open reservations. */
    public double reservedUsd() {
        lock.lock();
        try {
            return reservedPico / Price.PICO_PER_USD;
        } finally {
            lock.unlock();
        }
    }

    /** The budget, when there is one. */
    public OptionalDouble budgetUsd() {
        return budgetPico == Long.MAX_VALUE ? OptionalDouble.empty() : OptionalDouble.of(budgetPico / Price.PICO_PER_USD);
    }

    /** Totals and per-model figures for a manifest (snake_case keys, USD as numbers). */
    public Map<String, Object> toJson() {
        lock.lock();
        try {
            ModelCost total = new ModelCost(null);
            Map<String, Object> perModel = new LinkedHashMap<>();
            for (Map.Entry<String, ModelCost> e : models.entrySet()) {
                total.addAll(e.getValue());
                Map<String, Object> m = e.getValue().toJson();
                m.put("priced", e.getValue().price != null);
                perModel.put(e.getKey(), m);
            }
            Map<String, Object> out = total.toJson();
            out.put("budget_usd", budgetUsd().isPresent() ? budgetUsd().getAsDouble() : null);
            out.put("prices_as_of", prices.asOf());
            out.put("models", perModel);
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Requests answered from the response cache so far. */
    public long cachedRequests() {
        return total(c -> c.cached);
    }

    /** HTTP requests sent so far, retries and failures included (with those carried from earlier attempts). */
    public long attempts() {
        return total(c -> c.attempts);
    }

    /** Replies paid for so far (with those carried from earlier attempts). */
    public long billable() {
        return total(c -> c.billable);
    }

    private long total(java.util.function.ToLongFunction<ModelCost> count) {
        lock.lock();
        try {
            long n = 0;
            for (ModelCost c : models.values()) {
                n += count.applyAsLong(c);
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One line, e.g. {@code 1,300 requests sent, 1,234 billable, 56 cached, 1.2M prompt + 345K completion tokens, $3.21}:
     * sent counts every attempt (retries, failures), billable the replies paid for.
     */
    public String summary() {
        lock.lock();
        try {
            ModelCost total = new ModelCost(null);
            List<String> unpriced = new ArrayList<>();
            for (Map.Entry<String, ModelCost> e : models.entrySet()) {
                total.addAll(e.getValue());
                if (e.getValue().price == null) {
                    unpriced.add(e.getKey());
                }
            }
            String line = CostFormat.summary(total.attempts, total.billable, total.cached, total.promptTokens, total.completionTokens,
                    spentPico / Price.PICO_PER_USD);
            if (total.earlierBillable > 0) {
                line += " (this attempt " + CostFormat.usd((total.pico - total.earlierPico) / Price.PICO_PER_USD) + " for "
                        + (total.billable - total.earlierBillable) + " replies, earlier attempts "
                        + CostFormat.usd(total.earlierPico / Price.PICO_PER_USD) + " for " + total.earlierBillable + ")";
            }
            return unpriced.isEmpty() ? line : line + " (unpriced: " + String.join(", ", unpriced) + ")";
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return summary();
    }

    private void add(ModelSpec spec, Usage usage, boolean cached) {
        ModelCost m = model(spec);
        long pico = m.price == null ? 0 : m.price.pico(usage.promptTokens(), usage.completionTokens());
        m.requests++;
        if (!cached) {
            m.billable++;
        }
        if (cached) {
            m.cached++;
            m.cachedPromptTokens += usage.promptTokens();
            m.cachedCompletionTokens += usage.completionTokens();
            m.savedPico = sat(m.savedPico + pico);
        } else {
            m.promptTokens += usage.promptTokens();
            m.completionTokens += usage.completionTokens();
            m.pico = sat(m.pico + pico);
            spentPico = sat(spentPico + pico);
        }
    }

    private ModelCost model(ModelSpec spec) {
        return models.computeIfAbsent(spec.toString(), k -> new ModelCost(prices.price(spec).orElse(null)));
    }

    private static void closeOnce(Reservation r) {
        if (!r.open.compareAndSet(true, false)) {
            throw new IllegalStateException("reservation already settled or released");
        }
    }

    private static long sat(long v) {
        return v < 0 ? Long.MAX_VALUE : v;
    }

    /** Counters of one model (or of all, for totals); guarded by the meter's lock. */
    private static final class ModelCost {
        final Price price;
        long requests;
        long attempts;
        long billable;
        long cached;
        long promptTokens;
        long completionTokens;
        long cachedPromptTokens;
        long cachedCompletionTokens;
        long pico;
        long savedPico;
        /** Of the counts above, what earlier attempts of the run paid ({@link #carry}). */
        long earlierBillable;
        long earlierPromptTokens;
        long earlierCompletionTokens;
        long earlierPico;

        ModelCost(Price price) {
            this.price = price;
        }

        void addAll(ModelCost o) {
            requests += o.requests;
            attempts += o.attempts;
            billable += o.billable;
            cached += o.cached;
            promptTokens += o.promptTokens;
            completionTokens += o.completionTokens;
            cachedPromptTokens += o.cachedPromptTokens;
            cachedCompletionTokens += o.cachedCompletionTokens;
            pico = sat(pico + o.pico);
            savedPico = sat(savedPico + o.savedPico);
            earlierBillable += o.earlierBillable;
            earlierPromptTokens += o.earlierPromptTokens;
            earlierCompletionTokens += o.earlierCompletionTokens;
            earlierPico = sat(earlierPico + o.earlierPico);
        }

        String thisAttempt() {
            return CostFormat.spend(billable - earlierBillable, promptTokens - earlierPromptTokens,
                    completionTokens - earlierCompletionTokens, (pico - earlierPico) / Price.PICO_PER_USD);
        }

        String earlier() {
            return CostFormat.spend(earlierBillable, earlierPromptTokens, earlierCompletionTokens, earlierPico / Price.PICO_PER_USD);
        }

        String whole() {
            return CostFormat.spend(billable, promptTokens, completionTokens, pico / Price.PICO_PER_USD);
        }

        static Map<String, Object> spendJson(long billable, long prompt, long completion, long pico) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("billable", billable);
            m.put("prompt_tokens", prompt);
            m.put("completion_tokens", completion);
            m.put("usd", pico / Price.PICO_PER_USD);
            return m;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requests", requests);
            m.put("attempts", attempts);
            m.put("billable", billable);
            m.put("cached", cached);
            m.put("prompt_tokens", promptTokens);
            m.put("completion_tokens", completionTokens);
            m.put("usd", pico / Price.PICO_PER_USD);
            m.put("cached_prompt_tokens", cachedPromptTokens);
            m.put("cached_completion_tokens", cachedCompletionTokens);
            m.put("saved_usd", savedPico / Price.PICO_PER_USD);
            // every attempt of the run: what this process paid, and what earlier (interrupted) attempts paid
            m.put("this_attempt", spendJson(billable - earlierBillable, promptTokens - earlierPromptTokens,
                    completionTokens - earlierCompletionTokens, pico - earlierPico));
            m.put("earlier_attempts", spendJson(earlierBillable, earlierPromptTokens, earlierCompletionTokens, earlierPico));
            return m;
        }
    }
}
