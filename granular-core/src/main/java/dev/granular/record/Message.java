package dev.granular.record;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation.
 *
 * <p>{@code train} says whether the turn contributes to the loss. {@code trainDetail}, when
 * present, refines that within the content: it must tile the content exactly (first span
 * begins at 0, each begins where the previous ended, the last ends at the content's length in
 * code points), and {@code train} must be true exactly when some span is trained. The tiling
 * rule is enforced here, at construction, because axolotl silently skips or stretches spans
 * that do not line up, which shows up only as a model that learned the wrong tokens.
 *
 * <p>Error messages start with the field they concern ({@code train_detail[1]: ...}), so a
 * reader can prefix them with the message's position ({@code messages[2].}).
 *
 * @param role             who speaks
 * @param content          the text, never null, may be empty
 * @param train            whether the turn is trained on
 * @param trainDetail      per-span training mask, or null when absent (unmodifiable copy)
 * @param reasoningContent the model's reasoning ("thinking") for this turn, or null when absent
 */
public record Message(Role role, String content, boolean train, List<TrainSpan> trainDetail,
                      String reasoningContent) {

    public Message {
        Objects.requireNonNull(role, "role");
        if (content == null) {
            throw new IllegalArgumentException("content: must not be null");
        }
        checkUnicode("content", content);
        if (reasoningContent != null) {
            checkUnicode("reasoning_content", reasoningContent);
        }
        if (trainDetail != null) {
            trainDetail = Collections.unmodifiableList(new ArrayList<>(trainDetail));
            checkTrainDetail(content, train, trainDetail);
        }
    }

    /** A system message, not trained on. */
    public static Message system(String content) {
        return of(Role.SYSTEM, content, false);
    }

    /** A user message, not trained on. */
    public static Message user(String content) {
        return of(Role.USER, content, false);
    }

    /** An assistant message, trained on. */
    public static Message assistant(String content) {
        return of(Role.ASSISTANT, content, true);
    }

    /** A message without train_detail or reasoning_content. */
    public static Message of(Role role, String content, boolean train) {
        return new Message(role, content, train, null, null);
    }

    /**
     * This message with {@code train} replaced. When train_detail is present it must still agree,
     * so this fails for a message whose spans say otherwise; drop or rebuild the spans first.
     */
    public Message withTrain(boolean train) {
        return new Message(role, content, train, trainDetail, reasoningContent);
    }

    /** The content's length in code points: the unit of {@link TrainSpan} offsets. */
    public int contentLength() {
        return content.codePointCount(0, content.length());
    }

    /**
     * {@code text}, checked to hold no unpaired surrogate (as every message's text is): a reader
     * calls it on text that will become a message later, to refuse the row at its line.
     *
     * @throws IllegalArgumentException naming {@code field} and the position
     */
    public static String requireWellFormed(String field, String text) {
        checkUnicode(field, text);
        return text;
    }

    /**
     * Rejects unpaired surrogates: they cannot be encoded as UTF-8, so the record could not be
     * written, and they usually mean text was cut inside a character (cut at code points).
     */
    private static void checkUnicode(String field, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(field + ": unpaired surrogate U+"
                        + Integer.toHexString(c).toUpperCase() + " at char index " + i
                        + " (text was cut inside a character; cut at code point boundaries)");
            }
        }
    }

    private static void checkTrainDetail(String content, boolean train, List<TrainSpan> spans) {
        int length = content.codePointCount(0, content.length());
        if (length == 0) {
            if (!spans.isEmpty()) {
                throw new IllegalArgumentException("train_detail: must be empty for empty content, found "
                        + spans.size() + (spans.size() == 1 ? " span" : " spans"));
            }
        } else if (spans.isEmpty()) {
            throw new IllegalArgumentException("train_detail: must not be empty for content of length "
                    + length + " (omit train_detail to train the whole message by train)");
        }
        int expectedBegin = 0;
        boolean anyTrained = false;
        for (int i = 0; i < spans.size(); i++) {
            TrainSpan span = spans.get(i);
            String at = "train_detail[" + i + "]: ";
            if (span == null) {
                throw new IllegalArgumentException(at + "must not be null");
            }
            if (span.beginOffset() != expectedBegin) {
                throw new IllegalArgumentException(at + (i == 0
                        ? "begin_offset " + span.beginOffset() + " != 0 (the first span must begin at 0)"
                        : "begin_offset " + span.beginOffset() + " != previous end_offset " + expectedBegin));
            }
            if (span.endOffset() > length) {
                throw new IllegalArgumentException(at + "end_offset " + span.endOffset()
                        + " > content length " + length + " (code points)");
            }
            expectedBegin = span.endOffset();
            anyTrained |= span.train();
        }
        if (expectedBegin != length) {
            throw new IllegalArgumentException("train_detail[" + (spans.size() - 1) + "]: end_offset "
                    + expectedBegin + " != content length " + length + " (code points; the last span must end there)");
        }
        if (train != anyTrained) {
            throw new IllegalArgumentException("train: expected " + anyTrained + " because "
                    + (anyTrained ? "a train_detail span has" : "no train_detail span has")
                    + " train=true, found " + train);
        }
    }
}
