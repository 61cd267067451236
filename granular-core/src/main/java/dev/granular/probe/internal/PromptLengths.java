package dev.granular.probe.internal;

import dev.granular.in2.PromptTemplate;
import dev.granular.record.Message;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import java.util.List;

/**
 * Lengths of probe prompts as the model under test reads them: the user message rendered with
 * its chat template and the generation prompt ({@code add_generation_prompt=True}), in its
 * tokenizer ({@code probe --chat-template}).
 *
 * <p>As for IN2 rows ({@code dev.granular.in2.internal.RenderedRows}): the prompt is rendered once with a
 * placeholder for the context, and its length is {@code tokens(before + first item + SEP) +
 * (item tokens in between) + tokens(last item + after)}: the template/content seams are tokenized
 * for real, the cuts are paragraph breaks before text (the boundary {@link TokenCounter} rests on).
 */
public final class PromptLengths {
    private static final String PLACEHOLDER = "\uE000";

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final TokenCounter counter;

    public PromptLengths(ChatTemplate template, Tokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.counter = new TokenCounter(tokenizer);
    }

    public ChatTemplate template() {
        return template;
    }

    /** The prompt's text before and after the context, for {@code question}. */
    record Frame(String before, String after) {
    }

    Frame frame(PromptTemplate prompt, String question) {
        String r = template.render(List.of(dev.granular.template.TemplateMessage.from(Message.user(
                prompt.fill(PLACEHOLDER, question).content()))), null, true);
        int at = r.indexOf(PLACEHOLDER);
        if (at < 0 || r.indexOf(PLACEHOLDER, at + 1) >= 0) {
            throw new dev.granular.io.InvalidConfigException("${chatTemplate} " + template.source() + " does not render the user message verbatim "
                    + "(once, unchanged); probe cannot size its prompts with it");
        }
        return new Frame(r.substring(0, at), r.substring(at + PLACEHOLDER.length()));
    }

    /** Tokens of the prompt with {@code set}'s context. */
    int length(Frame f, ProbeSet set) {
        int n = set.items().size();
        if (n < 2) {
            return tokenizer.encode(f.before() + set.context() + f.after()).length;
        }
        int head = tokenizer.encode(f.before() + set.items().get(0).text() + TokenCounter.SEP).length;
        int tail = counter.midText(set.items().get(n - 1).text() + f.after());
        return head + (set.starts()[n - 1] - set.starts()[1]) + tail;
    }

    /** Tokens of the prompt with {@code context}, tokenized whole (a needle's haystack: one per probe). */
    int length(Frame f, String context) {
        return tokenizer.encode(f.before() + context + f.after()).length;
    }
}
