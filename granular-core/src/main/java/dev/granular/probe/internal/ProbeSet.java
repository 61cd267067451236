package dev.granular.probe.internal;

import java.util.List;

/**
 * One set's context and its targets.
 *
 * @param set           the set number (0-based)
 * @param items         the context's items, in order
 * @param starts        each item's first token in the context
 * @param contextTokens the context's exact token count
 * @param targets       one per position, in position order
 * @param swaps         ambiguous targets replaced by an unused item
 */
public record ProbeSet(int set, List<Item> items, int[] starts, int contextTokens, List<Target> targets, int swaps) {

    /** A probe slot: position {@code position} asks about item {@code item}, which starts at {@code depth} of the context. */
    public record Target(int position, int item, double depth) {
    }

    public ProbeSet {
        items = List.copyOf(items);
        targets = List.copyOf(targets);
    }

    /** The context text: the items joined by a paragraph break. */
    public String context() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(TokenCounter.SEP);
            }
            sb.append(items.get(i).text());
        }
        return sb.toString();
    }
}
