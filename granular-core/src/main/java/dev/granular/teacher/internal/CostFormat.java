package dev.granular.teacher.internal;

import java.util.Locale;

/** The human-readable numbers of {@link CostMeter#summary()}. */
public final class CostFormat {
    private CostFormat() {
    }

    public static String summary(long attempts, long billable, long cached, long prompt, long completion, double usd) {
        return String.format(Locale.US, "%,d requests sent, %,d billable, %,d cached, %s prompt + %s completion tokens, %s",
                attempts, billable, cached, tokens(prompt), tokens(completion), usd(usd));
    }

    /** {@code 12 replies, 1.2K + 3.4K tokens, $0.0123}: one cell of a spend table. */
    public static String spend(long replies, long prompt, long completion, double usd) {
        return String.format(Locale.US, "%,d replies, %s + %s tokens, %s", replies, tokens(prompt), tokens(completion), usd(usd));
    }

    /** 999, 1.2K, 345K, 1.2M, 3.4B: three significant figures at most, so the line stays short. */
    public static String tokens(long n) {
        if (n < 1_000) {
            return Long.toString(n);
        }
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 999.95 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return (v < 10 ? String.format(Locale.US, "%.1f", v) : String.format(Locale.US, "%.0f", v)) + units[u];
    }

    /** Dollars with cents; sub-cent totals keep four decimals so a cheap test run does not read $0.00. */
    public static String usd(double usd) {
        if (usd > 0 && usd < 0.01) {
            return String.format(Locale.US, "$%.4f", usd);
        }
        return String.format(Locale.US, "$%,.2f", usd);
    }
}
