package dev.granular.erasure;

/**
 * The strategy a category's tasks are answered under, and why, for the report: a category
 * that fell back to the default must say so rather than pass for a measured choice.
 *
 * @param category the category
 * @param strategy the strategy's name
 * @param reason   {@code calibration}, {@code fixed}, {@code map}, {@code default: no answered tasks}
 *                 or {@code default: not in the map}
 */
public record StrategyChoice(String category, String strategy, String reason) {
    public boolean fallback() {
        return reason.startsWith("default");
    }
}
