package dev.granular.in2;

import dev.granular.io.InvalidConfigException;

/**
 * The user message: a text with one {@code {context}} and one {@code {question}} placeholder.
 */
public record PromptTemplate(String text) implements java.io.Serializable {
    /** Ours: asks for an answer from the text, with the question after the context as in IN2. */
    public static final PromptTemplate DEFAULT = new PromptTemplate(
            "Read the text below and answer the question that follows it, using only what the text says.\n\n"
                    + "{context}\n\nQuestion: {question}");

    public static final String CONTEXT = "{context}";
    public static final String QUESTION = "{question}";

    public PromptTemplate {
        for (String p : new String[] {CONTEXT, QUESTION}) {
            int first = text.indexOf(p);
            if (first < 0) {
                throw new InvalidConfigException("${template} must contain " + p + " exactly once; it has none");
            }
            if (text.indexOf(p, first + 1) >= 0) {
                throw new InvalidConfigException("${template} must contain " + p + " exactly once; it has several");
            }
        }
    }

    /** The filled template and where the context starts in it (UTF-16 index). */
    public record Filled(String content, int contextStart) {
    }

    public Filled fill(String context, String question) {
        int c = text.indexOf(CONTEXT);
        int q = text.indexOf(QUESTION);
        StringBuilder sb = new StringBuilder(text.length() + context.length() + question.length());
        int contextStart;
        if (c < q) {
            sb.append(text, 0, c);
            contextStart = sb.length();
            sb.append(context).append(text, c + CONTEXT.length(), q).append(question).append(text, q + QUESTION.length(), text.length());
        } else {
            sb.append(text, 0, q).append(question).append(text, q + QUESTION.length(), c);
            contextStart = sb.length();
            sb.append(context).append(text, c + CONTEXT.length(), text.length());
        }
        return new Filled(sb.toString(), contextStart);
    }
}
