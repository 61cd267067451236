package dev.granular.in2.internal;

import java.util.Arrays;
import java.util.List;

/**
 * The programmatic question kinds. Each is answerable from its key segment(s) alone and
 * checkable against the quoted evidence. None asks what the evaluation probes ask (which
 * sentence contains a fragment, which function contains a snippet, which record has an id):
 * those are kept for evaluation.
 */
public enum QaKind {
    /** Fine-grained awareness: a number blanked out of a quoted sentence. */
    CLOZE_NUMBER("cloze_number", false),
    /** Fine-grained awareness: a capitalised name blanked out of a quoted sentence. */
    CLOZE_NAME("cloze_name", false),
    /** Fine-grained awareness: the word that follows a quoted phrase. */
    NEXT_WORD("next_word", false),
    /** Fine-grained awareness: the sentence that follows a quoted sentence. */
    NEXT_SENTENCE("next_sentence", false),
    /** Integration: which of two quoted statements, from different segments, comes first. */
    ORDER("order", true),
    /** Integration and reasoning: the sum of two numbers blanked out of sentences in different segments. */
    SUM("sum", true),
    /** Written by a teacher model about one segment. */
    TEACHER_SINGLE("teacher_single", false),
    /** Written by a teacher model about a whole document; needs two of its segments. */
    TEACHER_MULTI("teacher_multi", true);

    private final String wireName;
    private final boolean multi;

    QaKind(String wireName, boolean multi) {
        this.wireName = wireName;
        this.multi = multi;
    }

    /** The name written to {@code meta.qa_kind}. */
    public String wireName() {
        return wireName;
    }

    /** Whether it needs two or more segments of one document. */
    public boolean multi() {
        return multi;
    }

    /** Whether a teacher model writes it. */
    public boolean teacher() {
        return this == TEACHER_SINGLE || this == TEACHER_MULTI;
    }

    /** The programmatic single-segment kinds. */
    public static List<QaKind> single() {
        return Arrays.stream(values()).filter(k -> !k.multi && !k.teacher()).toList();
    }

    /** The programmatic multi-segment kinds. */
    public static List<QaKind> multiSegment() {
        return Arrays.stream(values()).filter(k -> k.multi && !k.teacher()).toList();
    }
}
