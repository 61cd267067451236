package dev.granular.in2.internal;

import dev.granular.corpus.Document;
import dev.granular.tokenize.Encoding;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link SegmentStore}: documents go in one at a time, in corpus order.
 *
 * <p>The expensive part, {@link #prepare}, is a pure function of a document, so callers run
 * it on worker threads; {@link #append} is sequential and only copies bytes to files, which
 * keeps the store identical whatever the thread count.
 */
public final class SegmentStoreBuilder implements AutoCloseable {
    /** One pseudo-document, ready to store. */
    record PreparedDoc(String text, List<PreparedSegment> segments) implements java.io.Serializable {
    }

    /** A segment: UTF-16 range inside its doc's text, its unit ids and whether it starts a sentence. */
    record PreparedSegment(int begin, int end, int[] unitIds, boolean startsSentence) implements java.io.Serializable {
    }

    /** A parent document, split and segmented. */
    public record Prepared(String parentId, List<PreparedDoc> docs) implements java.io.Serializable {
    }

    private final Path dir;
    private final DataOutputStream text;
    private final DataOutputStream ids;
    private final DataOutputStream segs;
    private final DataOutputStream docs;
    private final DataOutputStream parentNames;
    private final DataOutputStream parents;
    private long textOffset;
    private long idsOffset;
    private long parentNameOffset;
    private int segmentCount;
    private int docCount;
    private int parentCount;
    private long totalTokens;
    private long maxParentTokens;

    public SegmentStoreBuilder(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            text = open("text.bin");
            ids = open("ids.bin");
            segs = open("segments.idx");
            docs = open("docs.idx");
            parentNames = open("parents.bin");
            parents = open("parents.idx");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the segment store in " + dir, e);
        }
    }

    private DataOutputStream open(String name) throws IOException {
        return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(dir.resolve(name)), 1 << 16));
    }

    /** Splits, segments and tokenizes one corpus document. Thread-safe, no I/O. */
    public static Prepared prepare(Document doc, SegmentTokens tokens, DocumentSplitter splitter, Segmenter segmenter) {
        String text = doc.text();
        Encoding enc = tokens.tokenizer().encodeWithOffsets(text);
        List<PreparedDoc> out = new ArrayList<>();
        for (DocumentSplitter.Part part : splitter.split(text, enc)) {
            String docText = text.substring(part.begin(), part.end());
            List<PreparedSegment> segments = new ArrayList<>();
            for (Segmenter.Cut cut : segmenter.cut(text, enc, part.begin(), part.end(), part.tokBegin(), part.tokEnd())) {
                String seg = text.substring(cut.begin(), cut.end());
                segments.add(new PreparedSegment(cut.begin() - part.begin(), cut.end() - part.begin(),
                        tokens.unitIds(seg), Sentences.startsSentence(text, cut.begin())));
            }
            if (!segments.isEmpty()) {
                out.add(new PreparedDoc(docText, segments));
            }
        }
        return new Prepared(doc.id(), out);
    }

    /** Stores a prepared parent document. Not thread-safe; call in corpus order. */
    public void append(Prepared p) {
        if (p.docs().isEmpty()) {
            return;
        }
        try {
            byte[] name = p.parentId().getBytes(StandardCharsets.UTF_8);
            parentNames.write(name);
            parents.writeLong(parentNameOffset);
            parents.writeInt(name.length);
            parents.writeInt(0);
            parentNameOffset += name.length;
            long parentTokens = 0;
            for (PreparedDoc d : p.docs()) {
                byte[] bytes = d.text().getBytes(StandardCharsets.UTF_8);
                long docOffset = textOffset;
                text.write(bytes);
                textOffset += bytes.length;
                int docTokens = 0;
                int firstSeg = segmentCount;
                int byteCursor = 0;
                int charCursor = 0;
                for (PreparedSegment s : d.segments()) {
                    byteCursor += utf8Length(d.text(), charCursor, s.begin());
                    int segBytes = utf8Length(d.text(), s.begin(), s.end());
                    segs.writeInt(docCount);
                    segs.writeLong(docOffset + byteCursor);
                    segs.writeInt(segBytes);
                    segs.writeInt(s.unitIds().length);
                    segs.writeLong(idsOffset);
                    segs.writeInt(s.startsSentence() ? SegmentStore.FLAG_STARTS_SENTENCE : 0);
                    for (int id : s.unitIds()) {
                        ids.writeInt(id);
                    }
                    idsOffset += s.unitIds().length;
                    docTokens += s.unitIds().length;
                    byteCursor += segBytes;
                    charCursor = s.end();
                    segmentCount++;
                }
                docs.writeLong(docOffset);
                docs.writeInt(bytes.length);
                docs.writeInt(parentCount);
                docs.writeInt(firstSeg);
                docs.writeInt(d.segments().size());
                docs.writeInt(docTokens);
                docs.writeInt(0);
                docCount++;
                parentTokens += docTokens;
            }
            totalTokens += parentTokens;
            maxParentTokens = Math.max(maxParentTokens, parentTokens);
            parentCount++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the segment store in " + dir, e);
        }
    }

    public int segments() {
        return segmentCount;
    }

    /** Flushes the files and maps them for reading. */
    public SegmentStore finish() {
        close();
        return new SegmentStore(dir, totalTokens, maxParentTokens);
    }

    @Override
    public void close() {
        try {
            for (DataOutputStream s : List.of(text, ids, segs, docs, parentNames, parents)) {
                s.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the segment store in " + dir, e);
        }
    }

    /** UTF-8 byte length of {@code s[from, to)}. */
    static int utf8Length(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
