package dev.granular.files;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * The merged type of JSONL rows ({@link HubFeatures}), gathered where the rows are written (a distributed job's
 * tasks, a shard each) and merged in row order, so that a card's features need no second pass over the files:
 * {@link HubCard#withFeatures}. Merging shards' types gives the type of all their rows (the merge is associative).
 */
public final class RowTypes implements Serializable {
    private static final long serialVersionUID = 1L;
    private HubFeatures.Type row;

    /** Adds one row: a JSON line's UTF-8 bytes. */
    public void add(byte[] jsonLine) {
        row = HubFeatures.merge(row, HubFeatures.ofLine(jsonLine));
    }

    /** Adds the rows of {@code later}, which come after these. */
    public void addAll(RowTypes later) {
        row = HubFeatures.merge(row, later.row);
    }

    /** {@code dataset_info.features} of the rows added, as {@link HubCard#withFeaturesOf} gives them; empty as there. */
    Optional<List<Object>> features() {
        return HubFeatures.of(row);
    }
}
