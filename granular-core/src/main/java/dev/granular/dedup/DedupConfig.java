package dev.granular.dedup;

import dev.granular.corpus.internal.Decontaminator;
import dev.granular.io.InvalidConfigException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Dedup} removes, in this order: rows sharing a word n-gram with evaluation files (decontamination), exact
 * duplicates of an earlier row ({@code ContentDigest}), near duplicates of an earlier row ({@link NearDuplicates}).
 * Immutable; {@link #DEFAULT} removes exact duplicates only.
 *
 * <pre>{@code
 * DedupConfig c = DedupConfig.DEFAULT.withNear(NearDedupConfig.DEFAULT.withThreshold(0.85))
 *         .withDecontaminate(List.of(Path.of("eval/test.jsonl")));
 * }</pre>
 *
 * @param decontaminate evaluation files ({@code Decontaminator.fromFiles}); none: no decontamination
 * @param ngram         the decontamination n-gram length in words
 * @param exact         whether exact duplicates go
 * @param near          near-duplicate detection, or null for none
 */
public record DedupConfig(List<Path> decontaminate, int ngram, boolean exact, NearDedupConfig near) {
    /** No decontamination, exact dedup, no near dedup. */
    public static final DedupConfig DEFAULT = new DedupConfig(List.of(), Decontaminator.DEFAULT_N, true, null);

    public DedupConfig {
        decontaminate = List.copyOf(decontaminate);
        if (ngram < 1) {
            throw new InvalidConfigException("${ngram} must be at least 1, got " + ngram);
        }
    }

    public DedupConfig withDecontaminate(List<Path> files) {
        return new DedupConfig(files, ngram, exact, near);
    }

    public DedupConfig withNgram(int n) {
        return new DedupConfig(decontaminate, n, exact, near);
    }

    public DedupConfig withExact(boolean on) {
        return new DedupConfig(decontaminate, ngram, on, near);
    }

    /** Near dedup with {@code config}; null turns it off. */
    public DedupConfig withNear(NearDedupConfig config) {
        return new DedupConfig(decontaminate, ngram, exact, config);
    }

    /** Near dedup at Jaccard {@code threshold} with the other defaults of {@link NearDedupConfig#DEFAULT}. */
    public DedupConfig withNearThreshold(double threshold) {
        return withNear((near == null ? NearDedupConfig.DEFAULT : near).withThreshold(threshold));
    }

    /** The settings that change the output, for manifests and output-directory fingerprints. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("decontaminate", decontaminate.stream().map(Path::toString).toList());
        m.put("ngram", ngram);
        m.put("exact", exact);
        m.put("near", near == null ? null : describe(near));
        return m;
    }

    /** A near-dedup config as manifests show it, the banding resolved. */
    public static Map<String, Object> describe(NearDedupConfig near) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", near.threshold());
        m.put("shingle", near.shingle());
        m.put("permutations", near.permutations());
        NearDedupConfig.Banding b = near.banding();
        m.put("bands", b.bands());
        m.put("rows_per_band", b.rows());
        m.put("seed", near.seed());
        return m;
    }
}
