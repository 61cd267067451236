package dev.granular.in2.internal;

import dev.granular.record.Message;
import dev.granular.template.ChatTemplate;
import java.util.List;

/**
 * Lengths of IN2 rows as the trained model sees them: the record rendered with the model's chat
 * template (system, user and assistant wrappers, the prompt template, the question, the answer and
 * its end-of-turn token) and tokenized with its tokenizer, exactly as {@code export --format tokens}
 * renders and tokenizes it.
 *
 * <p>A rendering is {@code before + context + after}, where {@code before} and {@code after} come
 * from rendering the record with a one-character placeholder for the context (so the long context
 * never goes through the template). Its token count is exact without tokenizing the context:
 * {@code ids(before + seg1 + SEP) + units(seg2 .. segN-1) + mid(segN + after)}. The two ends are
 * tokenized for real (the template/content seams are inside them, whatever they merge); the cuts
 * between them are paragraph breaks before text, the hard boundary that IN2's slice joining
 * already rests on ({@link SegmentTokens}). The first examples of each kind are re-checked against
 * a full render and tokenization.
 */
public final class RenderedRows {
    /** Stands for the context while rendering; granular's labeler refuses content holding it, so it is never real text. */
    public static final String PLACEHOLDER = "\uE000";

    private final ChatTemplate template;
    private final SegmentTokens tokens;

    public RenderedRows(ChatTemplate template, SegmentTokens tokens) {
        this.template = template;
        this.tokens = tokens;
    }

    ChatTemplate template() {
        return template;
    }

    /**
     * A rendering around a context.
     *
     * @param before   the rendering before the context
     * @param after    the rendering after it
     * @param overhead tokens of {@code before} and {@code after} on their own (the seams may differ by a token or two)
     */
    public record Frame(String before, String after, int overhead) {
    }

    /** The frame of a record whose messages hold {@link #PLACEHOLDER} where the context goes. */
    public Frame frame(List<Message> messages) {
        String r = template.renderMessages(messages, null, false);
        int at = r.indexOf(PLACEHOLDER);
        if (at < 0 || r.indexOf(PLACEHOLDER, at + 1) >= 0) {
            throw new dev.granular.io.InvalidConfigException("${chatTemplate} " + template.source() + " does not render the user message verbatim "
                    + "(once, unchanged); IN2 cannot size its rows in rendered tokens with it");
        }
        String before = r.substring(0, at);
        String after = r.substring(at + PLACEHOLDER.length());
        return new Frame(before, after, tokens.tokenizer().encode(before).length + tokens.tokenizer().encode(after).length);
    }

    /** Exact tokens of the row with {@code ctx} in {@code frame}. */
    public int length(Frame frame, Context ctx) {
        int n = ctx.segments().length;
        if (n < 2) {
            return tokens.tokenizer().encode(frame.before() + ctx.text() + frame.after()).length;
        }
        String text = ctx.text();
        int head = tokens.tokenizer().encode(frame.before() + text.substring(0, ctx.charStarts()[1])).length;
        int tail = tokens.midText(text.substring(ctx.charStarts()[n - 1]) + frame.after()).length;
        return head + (ctx.tokenStarts()[n - 1] - ctx.tokenStarts()[1]) + tail;
    }

    /** Exact tokens of a short row (its context is one document): tokenized whole, it is short. */
    public int length(Frame frame, String context) {
        return tokens.tokenizer().encode(frame.before() + context + frame.after()).length;
    }

    /**
     * Renders and tokenizes the real row and compares it with {@link #length}: a template that
     * renders the context other than verbatim, or a tokenizer for which the cuts are not exact,
     * stops the run instead of writing wrong lengths.
     */
    public void verify(String id, List<Message> messages, Frame frame, String context, int length) {
        String real = template.renderMessages(messages, null, false);
        int[] ids = tokens.tokenizer().encode(real);
        if (!real.equals(frame.before() + context + frame.after()) || ids.length != length) {
            throw new IllegalStateException("rendered-length check failed for " + id + ": " + length + " tokens computed, "
                    + ids.length + " from rendering with " + template.source() + " and tokenizing with " + tokens.tokenizer().name()
                    + (real.equals(frame.before() + context + frame.after()) ? "" : " (the template does not render the context verbatim)"));
        }
    }
}
