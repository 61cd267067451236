package dev.granular.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/**
 * Numbers as a person reads them, for messages, cards and plot labels: thousands separated, at
 * most four significant digits after rounding away floating-point noise, never an exponent.
 * {@code 0.8999999999999999} reads {@code 0.9}, {@code 12431.3} reads {@code 12,430},
 * {@code 1.5E7} reads {@code 15,000,000}.
 */
public final class Numbers {
    private Numbers() {
    }

    /** {@code x} without needless digits: 12, 0.25, 0.9, 6,800, 12,430. Integers stay exact. */
    public static String human(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return Double.toString(x);
        }
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return format().format((long) x);
        }
        return format().format(new BigDecimal(x).round(new MathContext(4)));
    }

    /** A dollar amount with cents: {@code $5.00}, {@code $1,234.50}. */
    public static String usd(double x) {
        DecimalFormat f = new DecimalFormat("$#,##0.00", DecimalFormatSymbols.getInstance(Locale.ROOT));
        return f.format(x);
    }

    private static DecimalFormat format() {
        // DecimalFormat is not thread-safe: a new one per call, which messages and labels can afford.
        return new DecimalFormat("#,##0.####", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }
}
