package dev.granular.in2;

import dev.granular.io.InvalidConfigException;
import dev.granular.report.Numbers;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Shares of each {@link ExampleKind} in a dataset, summing to 1.
 *
 * <pre>{@code
 * Mix m = Mix.parse("single=0.63,multi=0.17,short=0.10,general=0.10");
 * long[] n = m.counts(1000);   // [630, 170, 100, 100], always summing to 1000
 * }</pre>
 */
public record Mix(Map<ExampleKind, Double> shares) implements java.io.Serializable {
    /** The paper's mixture, rounded: 63% single, 17% multi, 10% short, 10% general. */
    public static final Mix DEFAULT = parse("single=0.63,multi=0.17,short=0.10,general=0.10");

    public Mix {
        EnumMap<ExampleKind, Double> m = new EnumMap<>(ExampleKind.class);
        for (ExampleKind k : ExampleKind.values()) {
            double v = shares.getOrDefault(k, 0.0);
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new InvalidConfigException("${mix}: share of " + k.wireName() + " must be a number >= 0, got " + Numbers.human(v));
            }
            m.put(k, v);
        }
        double sum = m.values().stream().mapToDouble(Double::doubleValue).sum();
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new InvalidConfigException("${mix}: shares must sum to 1, they sum to " + Numbers.human(sum));
        }
        shares = java.util.Collections.unmodifiableMap(m);
    }

    /** Parses {@code kind=share,...}; kinds not named get 0. */
    public static Mix parse(String spec) {
        Map<ExampleKind, Double> m = new EnumMap<>(ExampleKind.class);
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                throw new InvalidConfigException("${mix}: expected kind=share, got '" + p + "'");
            }
            String name = p.substring(0, eq).trim();
            ExampleKind kind;
            try {
                kind = ExampleKind.fromWire(name);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException("${mix}: unknown kind '" + name + "' (known: single, multi, short, general)");
            }
            if (m.containsKey(kind)) {
                throw new InvalidConfigException("${mix}: kind '" + name + "' given twice");
            }
            try {
                m.put(kind, Double.parseDouble(p.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new InvalidConfigException("${mix}: share of " + name + " is not a number: '" + p.substring(eq + 1) + "'");
            }
        }
        return new Mix(m);
    }

    public double share(ExampleKind k) {
        return shares.get(k);
    }

    /** This mix with {@code kind}'s share spread over the others in proportion. */
    public Mix without(ExampleKind kind) {
        double dropped = share(kind);
        if (dropped == 0) {
            return this;
        }
        if (dropped >= 1) {
            throw new InvalidConfigException("${mix}: nothing left once " + kind.wireName() + " is dropped");
        }
        Map<ExampleKind, Double> m = new EnumMap<>(ExampleKind.class);
        for (ExampleKind k : ExampleKind.values()) {
            m.put(k, k == kind ? 0.0 : share(k) / (1 - dropped));
        }
        return new Mix(m);
    }

    /**
     * Examples per kind (in {@link ExampleKind} order) for {@code n} examples, by the
     * largest-remainder rule: floors first, then one more to the largest remainders (ties to
     * the earlier kind), so the counts sum to {@code n} exactly.
     */
    public long[] counts(long n) {
        ExampleKind[] kinds = ExampleKind.values();
        long[] out = new long[kinds.length];
        double[] rem = new double[kinds.length];
        long given = 0;
        // Shares may sum to 1 +- 1e-6: normalise, else the floors alone can exceed n for large n.
        double sum = shares.values().stream().mapToDouble(Double::doubleValue).sum();
        for (int i = 0; i < kinds.length; i++) {
            double exact = share(kinds[i]) / sum * n;
            out[i] = (long) Math.floor(exact);
            rem[i] = exact - out[i];
            given += out[i];
        }
        Integer[] order = new Integer[kinds.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(rem[b], rem[a]));
        for (int i = 0; given < n; i++) {
            out[order[i % kinds.length]]++;
            given++;
        }
        return out;
    }

    /** {@code {"single": 0.63, ...}} for manifests. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        shares.forEach((k, v) -> m.put(k.wireName(), v));
        return m;
    }
}
