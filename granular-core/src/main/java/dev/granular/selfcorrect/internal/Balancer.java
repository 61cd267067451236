package dev.granular.selfcorrect.internal;

import dev.granular.io.BadInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses which judged answers become examples, before any teacher call is paid for. Pure: the
 * choice is a seeded function of the candidates alone (their keys, never their arrival order),
 * so a resumed run selects the same answers as the run it continues.
 */
public final class Balancer {
    /**
     * The chosen candidates.
     *
     * @param good           chosen correct answers, by index
     * @param bad            chosen wrong answers, by index
     * @param goodCandidates correct answers left after the per-question caps
     * @param badCandidates  wrong answers left after the per-question caps
     * @param targetRatio    the requested share of bad cases
     */
    public record Selection(List<Candidate> good, List<Candidate> bad, int goodCandidates, int badCandidates, double targetRatio) {
        public Selection {
            good = List.copyOf(good);
            bad = List.copyOf(bad);
        }

        /** The share of bad cases among the chosen (0 when nothing is chosen). */
        public double ratio() {
            int n = good.size() + bad.size();
            return n == 0 ? 0 : (double) bad.size() / n;
        }

        /** All chosen, by index. */
        public List<Candidate> all() {
            List<Candidate> out = new ArrayList<>(good);
            out.addAll(bad);
            out.sort(Comparator.comparingLong(Candidate::index));
            return out;
        }
    }

    private Balancer() {
    }

    /**
     * Applies the per-question caps, then the balance.
     *
     * <p>Caps: per task, identical answers (same stripped text) count once (the lowest sample is
     * kept), then at most {@code maxPerQuestion} correct and at most {@code maxPerQuestion} wrong
     * answers are kept, drawn by seed, so no single question dominates either side.
     *
     * <p>Balance: with G good and B bad candidates and bad share r, the output holds
     * n = ⌊min(G/(1−r), B/r)⌋ examples (n = G when r = 0, n = B when r = 1), of which round(n·r) are
     * bad; each side is downsampled by seed. Example: G = 10, B = 2, r = 0.5 → n = 4: both bad, two
     * of the ten good.
     *
     * @throws BadInputException for r outside [0, 1] or a cap below 1
     */
    public static Selection select(List<Candidate> candidates, int maxPerQuestion, double badRatio, long seed) {
        if (!(badRatio >= 0 && badRatio <= 1)) {
            throw new dev.granular.io.InvalidConfigException("${badRatio} must be between 0 and 1, got " + badRatio);
        }
        if (maxPerQuestion < 1) {
            throw new dev.granular.io.InvalidConfigException("${maxPerQuestion} must be at least 1, got " + maxPerQuestion);
        }
        List<Candidate> capped = cap(candidates, maxPerQuestion, seed);
        List<Candidate> good = capped.stream().filter(Candidate::correct).toList();
        List<Candidate> bad = capped.stream().filter(c -> !c.correct()).toList();
        int g = good.size();
        int b = bad.size();
        long n;
        if (badRatio == 0) {
            n = g;
        } else if (badRatio == 1) {
            n = b;
        } else {
            n = (long) Math.floor(Math.min(g / (1 - badRatio), b / badRatio) + 1e-9);
        }
        int nBad = (int) Math.min(b, Math.round(n * badRatio));
        int nGood = (int) Math.min(g, n - nBad);
        return new Selection(draw(good, nGood, seed, "good"), draw(bad, nBad, seed, "bad"), g, b, badRatio);
    }

    /** Per task: identical answers once, then at most {@code max} of each kind, by seed; result by index. */
    static List<Candidate> cap(List<Candidate> candidates, int max, long seed) {
        Map<String, List<Candidate>> groups = new LinkedHashMap<>();
        List<Candidate> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingLong(Candidate::index));
        Set<String> seen = new HashSet<>();
        for (Candidate c : sorted) {
            if (seen.add(c.taskId() + "\u0000" + c.text())) {
                groups.computeIfAbsent(c.taskId() + "\u0000" + c.correct(), k -> new ArrayList<>()).add(c);
            }
        }
        List<Candidate> out = new ArrayList<>();
        for (List<Candidate> group : groups.values()) {
            out.addAll(draw(group, max, seed, "cap"));
        }
        out.sort(Comparator.comparingLong(Candidate::index));
        return out;
    }

    /** The {@code k} candidates with the smallest seeded hash, by index. */
    private static List<Candidate> draw(List<Candidate> from, int k, long seed, String salt) {
        if (k >= from.size()) {
            return from;
        }
        List<Candidate> order = new ArrayList<>(from);
        order.sort(Comparator.comparingLong((Candidate c) -> Seeds.hash(seed, salt + ":" + c.key())).thenComparingLong(Candidate::index));
        List<Candidate> chosen = new ArrayList<>(order.subList(0, k));
        chosen.sort(Comparator.comparingLong(Candidate::index));
        return chosen;
    }
}
