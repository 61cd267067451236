package dev.granular.probe.internal;

import dev.granular.io.BadInputException;
import dev.granular.probe.ProbeConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds one set of VAL probes: a pure function of the item pool, the tokenizer, the
 * configuration and the set number.
 *
 * <p>Items are drawn in a shuffled order and added until the next one would push the context
 * past {@code contextTokens}. Position {@code p} of {@code P} targets the item whose first
 * token is nearest to depth {@code p / P}. A target whose fragment also occurs in another
 * item would have two right answers, so it is replaced, in place, by an unused item whose
 * fragment is unique (and which fits in the token budget; when no such item is short enough,
 * a longer one is taken and the end of the context gives way, then is filled again); the
 * replacements are counted.
 */
public final class ProbeBuilder {
    private ProbeBuilder() {
    }

    public static ProbeSet build(List<Item> pool, TokenCounter counter, ProbeConfig cfg, int set) {
        int[] order = shuffled(pool.size(), new SplittableRandom(cfg.seed() * 1_000_003L + set));
        List<Item> ctx = new ArrayList<>();
        List<Integer> units = new ArrayList<>();
        List<Integer> lasts = new ArrayList<>();
        long sumUnits = 0;
        int k = 0;
        for (; k < order.length; k++) {
            Item it = pool.get(order[k]);
            int last = counter.midText(it.text());
            if (sumUnits + last > cfg.contextTokens()) {
                break;
            }
            ctx.add(it);
            int unit = counter.unit(it.text());
            units.add(unit);
            lasts.add(last);
            sumUnits += unit;
        }
        if (ctx.isEmpty()) {
            throw new dev.granular.io.InvalidConfigException("no item fits in ${contextTokens} " + cfg.contextTokens());
        }
        if (k == order.length) {
            throw new dev.granular.io.InvalidConfigException("too few items to fill ${contextTokens} " + cfg.contextTokens() + ": all "
                    + pool.size() + " items make only " + total(units, lasts) + " tokens; give more pieces or a larger corpus");
        }
        List<Item> unused = new ArrayList<>();
        for (int i = k; i < order.length; i++) {
            unused.add(pool.get(order[i]));
        }
        int[] counts = ambiguity(ctx);
        int swaps = 0;
        while (true) {
            int[] starts = starts(units);
            int total = total(units, lasts);
            List<ProbeSet.Target> targets = targets(starts, total, cfg.positions());
            ProbeSet.Target bad = null;
            for (ProbeSet.Target t : targets) {
                if (counts[t.item()] > 1) {
                    bad = t;
                    break;
                }
            }
            if (bad == null) {
                ProbeSet result = new ProbeSet(set, ctx, starts, total, targets, swaps);
                check(result, counter);
                return result;
            }
            int j = bad.item();
            boolean isLast = j == ctx.size() - 1;
            int budgetLeft = cfg.contextTokens() - total + (isLast ? lasts.get(j) : units.get(j));
            // Targets that are unambiguous now must stay so; ambiguous ones are replaced in turn anyway.
            boolean[] targeted = new boolean[ctx.size()];
            for (ProbeSet.Target t : targets) {
                targeted[t.item()] = counts[t.item()] == 1;
            }
            int pick = replacement(ctx, j, unused, counter, budgetLeft, isLast, targeted);
            boolean resize = false;
            if (pick < 0) {
                // Nothing unambiguous is short enough: take a longer item and let the end of the context give way.
                pick = replacement(ctx, j, unused, counter, Integer.MAX_VALUE, isLast, targeted);
                resize = true;
            }
            if (pick < 0) {
                throw new BadInputException("set " + set + ": the target at position " + bad.position()
                        + " is ambiguous and none of the " + unused.size()
                        + " unused items can replace it (its fragment would not be unique); give more pieces");
            }
            Item old = ctx.get(j);
            Item fresh = unused.remove(pick);
            ctx.set(j, fresh);
            units.set(j, counter.unit(fresh.text()));
            lasts.set(j, counter.midText(fresh.text()));
            swaps++;
            if (resize) {
                refit(ctx, units, lasts, unused, counter, cfg.contextTokens());
                counts = ambiguity(ctx);
                continue;
            }
            for (int i = 0; i < ctx.size(); i++) {
                String f = ctx.get(i).fragment();
                counts[i] += (fresh.text().contains(f) ? 1 : 0) - (old.text().contains(f) ? 1 : 0);
            }
            counts[j] = count(ctx, fresh.fragment());
        }
    }

    /** Drops items from the end until the context fits, then adds unused items again until the next would not fit. */
    private static void refit(List<Item> ctx, List<Integer> units, List<Integer> lasts, List<Item> unused, TokenCounter counter,
                              int budget) {
        while (ctx.size() > 1 && total(units, lasts) > budget) {
            int last = ctx.size() - 1;
            ctx.remove(last);
            units.remove(last);
            lasts.remove(last);
        }
        while (!unused.isEmpty()) {
            Item next = unused.get(0);
            int lastTokens = counter.midText(next.text());
            if (total(units, lasts) - lasts.get(lasts.size() - 1) + units.get(units.size() - 1) + lastTokens > budget) {
                break;
            }
            ctx.add(unused.remove(0));
            units.add(counter.unit(next.text()));
            lasts.add(lastTokens);
        }
    }

    /** The first unused item that fits the budget, is unambiguous in the context, and makes no unambiguous target ambiguous. */
    private static int replacement(List<Item> ctx, int j, List<Item> unused, TokenCounter counter, int budgetLeft,
                                   boolean isLast, boolean[] targeted) {
        for (int u = 0; u < unused.size(); u++) {
            Item c = unused.get(u);
            int tokens = isLast ? counter.midText(c.text()) : counter.unit(c.text());
            if (tokens > budgetLeft || !fits(ctx, j, c, targeted)) {
                continue;
            }
            return u;
        }
        return -1;
    }

    private static boolean fits(List<Item> ctx, int j, Item c, boolean[] targeted) {
        for (int i = 0; i < ctx.size(); i++) {
            if (i == j) {
                continue;
            }
            if (ctx.get(i).text().contains(c.fragment()) || (targeted[i] && c.text().contains(ctx.get(i).fragment()))) {
                return false;
            }
        }
        return true;
    }

    /** For each item, how many items of the context contain its fragment (itself included). */
    static int[] ambiguity(List<Item> ctx) {
        int[] counts = new int[ctx.size()];
        for (int i = 0; i < ctx.size(); i++) {
            counts[i] = count(ctx, ctx.get(i).fragment());
        }
        return counts;
    }

    private static int count(List<Item> ctx, String fragment) {
        int n = 0;
        for (Item it : ctx) {
            if (it.text().contains(fragment)) {
                n++;
            }
        }
        return n;
    }

    /** Slot {@code p} targets the item starting nearest to token {@code p / positions * total}; ties go to the earlier item. */
    static List<ProbeSet.Target> targets(int[] starts, int total, int positions) {
        List<ProbeSet.Target> out = new ArrayList<>(positions);
        for (int p = 0; p < positions; p++) {
            double want = (double) p / positions * total;
            int i = Arrays.binarySearch(starts, (int) Math.floor(want));
            if (i < 0) {
                i = -i - 1;
            }
            int best = Math.min(i, starts.length - 1);
            if (best > 0 && Math.abs(starts[best - 1] - want) <= Math.abs(starts[best] - want)) {
                best--;
            }
            out.add(new ProbeSet.Target(p, best, (double) starts[best] / total));
        }
        return out;
    }

    private static int[] starts(List<Integer> units) {
        int[] s = new int[units.size()];
        for (int i = 1; i < s.length; i++) {
            s[i] = s[i - 1] + units.get(i - 1);
        }
        return s;
    }

    private static int total(List<Integer> units, List<Integer> lasts) {
        int sum = 0;
        for (int i = 0; i < units.size() - 1; i++) {
            sum += units.get(i);
        }
        return units.isEmpty() ? 0 : sum + lasts.get(lasts.size() - 1);
    }

    /** A full tokenization of the finished context must agree with the item-by-item sum. */
    private static void check(ProbeSet s, TokenCounter counter) {
        int full = counter.midText(s.context());
        if (full != s.contextTokens()) {
            throw new IllegalStateException("tokenizer " + counter.tokenizer().name() + ": the context of set " + s.set()
                    + " has " + full + " tokens, not the " + s.contextTokens() + " counted item by item");
        }
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
