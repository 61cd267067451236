package dev.granular.in2.internal;

import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * The first draw of one example ({@link In2Design#draw}), as a distributed job ships it back to where the
 * dataset is written: the record's JSON line exactly as {@code granular in2} writes it, its normalised
 * question (which decides, in index order, whether the example is drawn again: {@link In2Design#redrawRepeat}),
 * its context's token ids for {@code --chat-template}'s {@code tokens/} folder, and what the report counts of it.
 * Serializable, opaque.
 */
public final class In2Draw implements Serializable {
    private static final long serialVersionUID = 2L;
    private final long index;
    /** UTF-8: Java serialization copies a byte array, where it encodes a String a character at a time. */
    private final byte[] json;
    private final String question;
    private final long contextTokens;
    private final byte[] contextIds;
    private final In2Report.Counted counted;

    private In2Draw(long index, byte[] json, String question, long contextTokens, byte[] contextIds, In2Report.Counted counted) {
        this.index = index;
        this.json = json;
        this.question = question;
        this.contextTokens = contextTokens;
        this.contextIds = contextIds;
        this.counted = counted;
    }

    public static In2Draw of(long index, Generated g) {
        TrainingRecord r = g.record();
        Object q = r.meta().get("question");
        return new In2Draw(index, RecordJson.toJson(r).getBytes(StandardCharsets.UTF_8), q == null ? null : TeacherQuestions.normalise(String.valueOf(q)),
                r.meta().get("context_tokens") instanceof Number n ? n.longValue() : 0, ContextIdsFile.encode(index, g),
                In2Report.Counted.of(r));
    }

    /**
     * What decides, in index order, whether this draw is kept or drawn again ({@link In2Assembly#decide}): all of it
     * that needs to travel to the driver.
     */
    public Key key() {
        return new Key(index, question);
    }

    /**
     * A draw's index and its normalised question (null when it has none): what {@link In2Assembly#decide} takes.
     * Serializable; the question is opaque.
     */
    public record Key(long index, String question) implements Serializable {
    }

    /** The example's index. */
    public long index() {
        return index;
    }

    /** The record as one JSON line (no newline). */
    public String json() {
        return new String(json, StandardCharsets.UTF_8);
    }

    String question() {
        return question;
    }

    long contextTokens() {
        return contextTokens;
    }

    byte[] contextIds() {
        return contextIds;
    }

    In2Report.Counted counted() {
        return counted;
    }

    /** The JSON line's UTF-8 bytes (shared, not copied: package callers only write them). */
    byte[] jsonBytes() {
        return json;
    }
}
