package dev.granular.template;

import java.time.Duration;

/**
 * How much work one rendering of a chat template may do. A template is untrusted input (it comes
 * with a downloaded model or {@code --chat-template}), so every way to spend memory or time is
 * bounded, and exceeding a bound fails with a {@link TemplateException} whose {@link
 * TemplateException#limit()} names it.
 *
 * <p>The size bounds grow with the rendering's input, so that long IN2 contexts (millions of
 * characters) still render: with {@code n} the characters of all the strings given to the template
 * (messages, tools, special tokens, extra variables),
 *
 * <ul>
 *   <li>{@code output}: the rendered text, and any one string the template builds, at most
 *       {@code outputChars + outputPerInputChar × n} characters (default 32 Mi + 8n);</li>
 *   <li>{@code items}: any one list the template builds (including iterating a string, which
 *       makes a list of its characters), at most {@code items + 2n} items (default 1 Mi + 2n);</li>
 *   <li>{@code steps}: loop iterations plus macro calls, at most {@code steps + 4n} (default 10
 *       million + 4n);</li>
 *   <li>{@code depth}: macro and {@code {% call %}} recursion, recursive loops and expression
 *       nesting, at most {@code depth} levels (default 200);</li>
 *   <li>{@code time}: wall-clock time of one rendering (default 60 s).</li>
 * </ul>
 *
 * <p>{@code range()} is bounded separately at 100,000 items, as Jinja2's sandbox bounds it
 * (transformers' templates fail there too). The defaults can be raised for the CLI with Java
 * system properties ({@code GRANULAR_JAVA_OPTS="-Dgranular.template.time=300"}):
 * {@code granular.template.output}, {@code .items}, {@code .steps}, {@code .depth} (the base
 * numbers above) and {@code granular.template.time} (seconds).
 *
 * @param outputChars        output characters allowed whatever the input's size
 * @param outputPerInputChar further output characters per input character
 * @param items              list items allowed whatever the input's size
 * @param steps              loop iterations and macro calls allowed whatever the input's size
 * @param depth              nesting levels (macro recursion, expressions)
 * @param time               wall-clock time for one rendering
 */
public record TemplateLimits(long outputChars, long outputPerInputChar, long items, long steps, int depth, Duration time) {

    /** Jinja2's sandbox refuses {@code range()} longer than this (its {@code MAX_RANGE}). */
    public static final long MAX_RANGE = 100_000;

    public TemplateLimits {
        if (outputChars < 0 || outputPerInputChar < 0 || items < 0 || steps < 0 || depth < 1 || time == null || time.isNegative()) {
            throw new IllegalArgumentException("template limits must be positive");
        }
    }

    /** The defaults above, each overridable by its {@code granular.template.*} system property. */
    public static TemplateLimits defaults() {
        return new TemplateLimits(property("output", 32L << 20), 8, property("items", 1L << 20),
                property("steps", 10_000_000L), (int) property("depth", 200), Duration.ofSeconds(property("time", 60)));
    }

    private static long property(String name, long dflt) {
        String v = System.getProperty("granular.template." + name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property granular.template." + name + " must be a whole number, got '" + v + "'");
        }
    }

    /** The bounds for one rendering whose inputs hold {@code inputChars} characters. */
    Budget budget(long inputChars) {
        return new Budget(sat(outputChars, outputPerInputChar, inputChars), sat(items, 2, inputChars), sat(steps, 4, inputChars),
                depth, System.nanoTime() + Math.min(time.toNanos(), Long.MAX_VALUE / 4));
    }

    private static long sat(long base, long per, long n) {
        try {
            return Math.min(Integer.MAX_VALUE - 16L, Math.addExact(base, Math.multiplyExact(per, n)));
        } catch (ArithmeticException e) {
            return Integer.MAX_VALUE - 16L;
        }
    }

    /** Resolved bounds of one rendering; {@code deadline} is a {@link System#nanoTime()} value. */
    record Budget(long outputChars, long items, long steps, int depth, long deadline) {
    }
}
