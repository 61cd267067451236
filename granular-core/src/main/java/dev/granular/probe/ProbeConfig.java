package dev.granular.probe;

import dev.granular.in2.PromptTemplate;
import dev.granular.io.BadInputException;

/**
 * How VAL probes are laid out: a context of about {@code contextTokens} tokens per set, with
 * {@code positions} target slots spread evenly over it, grouped in bins of {@code bin} for
 * the Avg/Gap numbers.
 */
public record ProbeConfig(int contextTokens, int positions, int bin, int sets, long seed, PromptTemplate template) {
    public ProbeConfig {
        if (contextTokens < 1) {
            throw new BadInputException("--context-tokens must be at least 1, got " + contextTokens);
        }
        if (positions < 1) {
            throw new BadInputException("--positions must be at least 1, got " + positions);
        }
        if (bin < 1 || bin > positions) {
            throw new BadInputException("--bin must be between 1 and --positions (" + positions + "), got " + bin);
        }
        if (sets < 1) {
            throw new BadInputException("--sets must be at least 1, got " + sets);
        }
    }

    /** The bin a position falls in. Every position belongs to a bin, the last of each bin included. */
    public int binOf(int position) {
        return position / bin;
    }
}
