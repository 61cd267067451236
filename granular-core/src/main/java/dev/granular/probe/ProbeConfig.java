package dev.granular.probe;

import dev.granular.in2.PromptTemplate;
import dev.granular.io.InvalidConfigException;

/**
 * How VAL probes are laid out: a context of about {@code contextTokens} tokens per set, with
 * {@code positions} target slots spread evenly over it, grouped in bins of {@code bin} for
 * the Avg/Gap numbers. Errors name the component ({@code ${bin}}); the CLI shows its flags ({@code --bin}).
 *
 * <pre>{@code
 * ProbeConfig config = new ProbeConfig(8000, 40, 10, 2, 42, PromptTemplate.DEFAULT);
 * }</pre>
 *
 * @param contextTokens tokens per context
 * @param positions     target positions per set
 * @param bin           positions per bin (1 to {@code positions})
 * @param sets          independent contexts
 * @param seed          the random seed of the construction
 * @param template      the user message, with {@code {context}} and {@code {question}}
 */
public record ProbeConfig(int contextTokens, int positions, int bin, int sets, long seed, PromptTemplate template) {
    public ProbeConfig {
        if (contextTokens < 1) {
            throw new InvalidConfigException("${contextTokens} must be at least 1, got " + contextTokens);
        }
        if (positions < 1) {
            throw new InvalidConfigException("${positions} must be at least 1, got " + positions);
        }
        if (bin < 1 || bin > positions) {
            throw new InvalidConfigException("${bin} must be between 1 and ${positions} (" + positions + "), got " + bin);
        }
        if (sets < 1) {
            throw new InvalidConfigException("${sets} must be at least 1, got " + sets);
        }
        if (template == null) {
            throw new InvalidConfigException("${template} must be given (PromptTemplate.DEFAULT for the built-in one)");
        }
    }

    /**
     * The defaults of {@code granular probe --task task}: 32,000-token contexts, the paper's positions for the task
     * ({@link ProbeTask#defaultPositions()}; 1 for needle, which has none) in bins of 50 (1 for needle), 4 sets, seed 42,
     * {@link PromptTemplate#DEFAULT}.
     */
    public static ProbeConfig defaults(ProbeTask task) {
        return new ProbeConfig(32_000, Math.max(1, task.defaultPositions()), task.isVal() ? 50 : 1, 4, 42, PromptTemplate.DEFAULT);
    }

    /** Tokens per context ({@code --context-tokens}). */
    public ProbeConfig withContextTokens(int v) {
        return new ProbeConfig(v, positions, bin, sets, seed, template);
    }

    /** Positions and bin size together ({@code --positions}, {@code --bin}): either alone may break {@code bin <= positions}. */
    public ProbeConfig withPositions(int positions, int bin) {
        return new ProbeConfig(contextTokens, positions, bin, sets, seed, template);
    }

    /** Independent contexts ({@code --sets}). */
    public ProbeConfig withSets(int v) {
        return new ProbeConfig(contextTokens, positions, bin, v, seed, template);
    }

    /** The random seed ({@code --seed}). */
    public ProbeConfig withSeed(long v) {
        return new ProbeConfig(contextTokens, positions, bin, sets, v, template);
    }

    /** The user message template ({@code --template}). */
    public ProbeConfig withTemplate(PromptTemplate v) {
        return new ProbeConfig(contextTokens, positions, bin, sets, seed, v);
    }

    /** The bin a position falls in. Every position belongs to a bin, the last of each bin included. */
    public int binOf(int position) {
        return position / bin;
    }
}
