package dev.granular.in2.internal;

import dev.granular.files.MappedBlob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The segmented corpus, read-only and off the Java heap: pseudo-document texts, their
 * segments, and each segment's exact token ids, in memory-mapped files written by
 * {@link SegmentStoreBuilder}. Heap use does not grow with the corpus. Thread-safe.
 *
 * <p>Vocabulary: a <em>parent</em> is a corpus document; a <em>doc</em> is a pseudo-document
 * (a parent, or a piece of a long one); a <em>segment</em> is a ~128-token slice of a doc.
 */
public final class SegmentStore {
    static final int SEG_RECORD = 32;
    static final int DOC_RECORD = 32;
    static final int PARENT_RECORD = 16;
    static final int FLAG_STARTS_SENTENCE = 1;

    private final MappedBlob text;
    private final MappedBlob ids;
    private final MappedBlob segs;
    private final MappedBlob docs;
    private final MappedBlob parentNames;
    private final MappedBlob parents;
    private final int segmentCount;
    private final int docCount;
    private final int parentCount;
    private final long totalTokens;
    private final long maxParentTokens;

    SegmentStore(Path dir, long totalTokens, long maxParentTokens) {
        this.text = MappedBlob.map(dir.resolve("text.bin"));
        this.ids = MappedBlob.map(dir.resolve("ids.bin"));
        this.segs = MappedBlob.map(dir.resolve("segments.idx"));
        this.docs = MappedBlob.map(dir.resolve("docs.idx"));
        this.parentNames = MappedBlob.map(dir.resolve("parents.bin"));
        this.parents = MappedBlob.map(dir.resolve("parents.idx"));
        this.segmentCount = Math.toIntExact(segs.size() / SEG_RECORD);
        this.docCount = Math.toIntExact(docs.size() / DOC_RECORD);
        this.parentCount = Math.toIntExact(parents.size() / PARENT_RECORD);
        this.totalTokens = totalTokens;
        this.maxParentTokens = maxParentTokens;
    }

    /**
     * Maps a store that {@link SegmentStoreBuilder} wrote earlier (or elsewhere: a distributed job ships the
     * files to its workers), its totals read back from the documents' index.
     */
    public static SegmentStore open(Path dir) {
        SegmentStore counted = new SegmentStore(dir, 0, 0);
        long total = 0;
        long maxParent = 0;
        long parentTokens = 0;
        int parent = -1;
        for (int d = 0; d < counted.docs(); d++) {
            if (counted.docParent(d) != parent) {
                parent = counted.docParent(d);
                parentTokens = 0;
            }
            parentTokens += counted.docTokens(d);
            total += counted.docTokens(d);
            maxParent = Math.max(maxParent, parentTokens);
        }
        return new SegmentStore(dir, total, maxParent);
    }

    public int segments() {
        return segmentCount;
    }

    public int docs() {
        return docCount;
    }

    int parents() {
        return parentCount;
    }

    /** Sum of all segments' unit token counts. */
    public long totalTokens() {
        return totalTokens;
    }

    /** The largest number of tokens any one parent contributes. */
    public long maxParentTokens() {
        return maxParentTokens;
    }

    // segments.idx: int doc | long textOffset | int textBytes | int unitTokens | long idsOffset | int flags
    public int segDoc(int s) {
        return segs.getInt((long) s * SEG_RECORD);
    }

    /** Tokens of {@code segment + SEP}, the unit it contributes when another segment follows. */
    public int segTokens(int s) {
        return segs.getInt((long) s * SEG_RECORD + 16);
    }

    public String segText(int s) {
        long base = (long) s * SEG_RECORD;
        return new String(text.bytes(segs.getLong(base + 4), segs.getInt(base + 12)), StandardCharsets.UTF_8);
    }

    /** Unit ids of the segment ({@code ids(segment + SEP)} mid-text), appended to {@code dst} at {@code off}. */
    public void segIds(int s, int[] dst, int off) {
        long base = (long) s * SEG_RECORD;
        ids.ints(segs.getLong(base + 20) * 4, dst, off, segs.getInt(base + 16));
    }

    public int[] segIds(int s) {
        int[] out = new int[segTokens(s)];
        segIds(s, out, 0);
        return out;
    }

    /** Whether the segment begins at a sentence start of its document. */
    public boolean segStartsSentence(int s) {
        return (segs.getInt((long) s * SEG_RECORD + 28) & FLAG_STARTS_SENTENCE) != 0;
    }

    /** UTF-16 offset of the segment's first character inside its doc's text. */
    public int segCharBegin(int s) {
        long base = (long) s * SEG_RECORD;
        long docBase = (long) segDoc(s) * DOC_RECORD;
        long docOff = docs.getLong(docBase);
        int prefix = Math.toIntExact(segs.getLong(base + 4) - docOff);
        return new String(text.bytes(docOff, prefix), StandardCharsets.UTF_8).length();
    }

    public int segParent(int s) {
        return docParent(segDoc(s));
    }

    // docs.idx: long textOffset | int textBytes | int parent | int firstSeg | int segCount | int tokens
    public String docText(int d) {
        long base = (long) d * DOC_RECORD;
        return new String(text.bytes(docs.getLong(base), docs.getInt(base + 8)), StandardCharsets.UTF_8);
    }

    public int docParent(int d) {
        return docs.getInt((long) d * DOC_RECORD + 12);
    }

    public int docFirstSeg(int d) {
        return docs.getInt((long) d * DOC_RECORD + 16);
    }

    public int docSegCount(int d) {
        return docs.getInt((long) d * DOC_RECORD + 20);
    }

    int docTokens(int d) {
        return docs.getInt((long) d * DOC_RECORD + 24);
    }

    // parents.idx: long nameOffset | int nameBytes | int pad
    public String parentName(int p) {
        long base = (long) p * PARENT_RECORD;
        return new String(parentNames.bytes(parents.getLong(base), parents.getInt(base + 8)), StandardCharsets.UTF_8);
    }
}
