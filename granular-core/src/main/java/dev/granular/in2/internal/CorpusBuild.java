package dev.granular.in2.internal;

import java.util.Map;

/** The segmented corpus and what reading it found. */
public record CorpusBuild(SegmentStore store, SegmentTokens tokens, long documents, long decontaminated,
                          Map<String, Long> skipped, long segments) {
}
