package dev.granular.in2.internal;

import dev.granular.corpus.internal.Decontaminator;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import java.util.Map;

/** The segmented corpus and what reading it found. */
public record CorpusBuild(SegmentStore store, SegmentTokens tokens, long documents, long decontaminated,
                          Map<String, Long> skipped, long segments) {
    /**
     * Refuses a corpus that left no text, saying why: a user whose every document was decontaminated away (a
     * corpus drawn from the evaluation set itself) was told only "empty corpus" and looked for a reading bug.
     */
    public CorpusBuild {
        if (segments == 0) {
            long skippedRows = skipped.values().stream().mapToLong(Long::longValue).sum();
            String rows = skippedRows == 0 ? "" : "; " + skippedRows + " bad rows skipped " + skipped;
            if (documents > 0 && decontaminated == documents) {
                throw new InvalidConfigException("empty corpus after decontamination: all " + documents + " documents share a "
                        + "word " + Decontaminator.DEFAULT_N + "-gram with the evaluation files of ${exclude}, so nothing is left to "
                        + "segment" + rows + "; check that the corpus is not drawn from the evaluation data, or exclude other files");
            }
            throw new BadInputException("empty corpus: no text to segment (" + documents + " documents read, "
                    + decontaminated + " excluded by decontamination" + rows + ")");
        }
    }
}
