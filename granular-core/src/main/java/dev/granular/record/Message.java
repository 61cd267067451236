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
 * @param toolCalls        the tool calls an assistant message makes, or null when absent (non-empty
 *                         when present; unmodifiable copy)
 * @param toolCallId       for a {@code tool} message, the id of the call it answers, or null
 * @param name             for a {@code tool} message, the name of the tool that answered, or null
 * @param contentParts     when the record gave the content as a list of text parts, their texts
 *                         in order ({@code content} is then their concatenation), else null;
 *                         kept so that the record is written back exactly as read
 * @param contentNull      whether the record gave {@code "content": null} (only an assistant
 *                         message that calls tools may; {@code content} is then empty)
 */
public record Message(Role role, String content, boolean train, List<TrainSpan> trainDetail,
                      String reasoningContent, List<ToolCall> toolCalls, String toolCallId, String name,
                      List<String> contentParts, boolean contentNull) {

    public Message {
        Objects.requireNonNull(role, "role");
        if (content == null) {
            throw new IllegalArgumentException("content: must not be null");
        }
        checkUnicode("content", content);
        if (reasoningContent != null) {
            checkUnicode("reasoning_content", reasoningContent);
        }
        if (toolCalls != null) {
            if (role != Role.ASSISTANT) {
                throw new IllegalArgumentException("tool_calls: only an assistant message may call tools, this is a "
                        + role.wireName() + " message");
            }
            if (toolCalls.isEmpty()) {
                throw new IllegalArgumentException("tool_calls: must not be empty (omit the field instead)");
            }
            toolCalls = Collections.unmodifiableList(new ArrayList<>(toolCalls));
            for (int i = 0; i < toolCalls.size(); i++) {
                if (toolCalls.get(i) == null) {
                    throw new IllegalArgumentException("tool_calls[" + i + "]: must not be null");
                }
            }
            if (trainDetail != null) {
                // Spans tile the content only; the rendered tool calls would have no mask.
                throw new IllegalArgumentException("train_detail: not allowed on a message with tool_calls"
                        + " (the turn is trained or not as a whole)");
            }
        }
        if (role != Role.TOOL && (toolCallId != null || name != null)) {
            throw new IllegalArgumentException((toolCallId != null ? "tool_call_id" : "name")
                    + ": only a tool message has it, this is a " + role.wireName() + " message");
        }
        if (toolCallId != null) {
            checkUnicode("tool_call_id", toolCallId);
        }
        if (name != null) {
            checkUnicode("name", name);
        }
        if (role == Role.TOOL && train) {
            throw new IllegalArgumentException("train: a tool message is never trained (it is the tool's output,"
                    + " not the model's), found true");
        }
        if (contentNull) {
            if (toolCalls == null) {
                throw new IllegalArgumentException("content: may be null only in an assistant message with tool_calls");
            }
            if (!content.isEmpty() || contentParts != null) {
                throw new IllegalArgumentException("content: null content must be represented as empty text");
            }
        }
        if (contentParts != null) {
            contentParts = Collections.unmodifiableList(new ArrayList<>(contentParts));
            StringBuilder joined = new StringBuilder();
            for (int i = 0; i < contentParts.size(); i++) {
                if (contentParts.get(i) == null) {
                    throw new IllegalArgumentException("content[" + i + "].text: must not be null");
                }
                joined.append(contentParts.get(i));
            }
            if (!joined.toString().equals(content)) {
                throw new IllegalArgumentException("content: must equal the concatenation of its text parts");
            }
        }
        if (trainDetail != null) {
            trainDetail = Collections.unmodifiableList(new ArrayList<>(trainDetail));
            checkTrainDetail(content, train, trainDetail);
        }
    }

    /** A message without tool calls, tool fields or content parts. */
    public Message(Role role, String content, boolean train, List<TrainSpan> trainDetail, String reasoningContent) {
        this(role, content, train, trainDetail, reasoningContent, null, null, null, null, false);
    }

    /** An assistant message that calls tools, with {@code "content": null}. */
    public static Message assistantToolCalls(List<ToolCall> toolCalls, boolean train) {
        return new Message(Role.ASSISTANT, "", train, null, null, toolCalls, null, null, null, true);
    }

    /** A tool message answering call {@code toolCallId} (may be null), never trained. */
    public static Message tool(String content, String toolCallId, String name) {
        return new Message(Role.TOOL, content, false, null, null, null, toolCallId, name, null, false);
    }

    /** Whether this message calls tools. */
    public boolean hasToolCalls() {
        return toolCalls != null;
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
        return new Message(role, content, train, trainDetail, reasoningContent, toolCalls, toolCallId, name,
                contentParts, contentNull);
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
