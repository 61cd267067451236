package dev.granular.teacher.internal;

/**
 * A model's list price.
 *
 * @param inputPerMillion  USD per 1M prompt tokens
 * @param outputPerMillion USD per 1M completion tokens
 */
public record Price(double inputPerMillion, double outputPerMillion) {
    /** Costs are counted in picodollars (1e-12 USD): exact sums under concurrency, no floating drift. */
    static final double PICO_PER_USD = 1e12;

    public Price {
        if (!(inputPerMillion >= 0) || !(outputPerMillion >= 0) || Double.isInfinite(inputPerMillion)
                || Double.isInfinite(outputPerMillion)) {
            throw new IllegalArgumentException("prices must be finite and >= 0");
        }
    }

    /** The cost of {@code usage} in USD. */
    public double usd(Usage usage) {
        return pico(usage.promptTokens(), usage.completionTokens()) / PICO_PER_USD;
    }

    /** The cost of these token counts in picodollars (saturating at {@link Long#MAX_VALUE}). */
    long pico(long promptTokens, long completionTokens) {
        double p = promptTokens * inputPerMillion * 1e6 + completionTokens * outputPerMillion * 1e6;
        return p >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.round(p);
    }
}
