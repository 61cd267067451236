package dev.granular.teacher.internal;

/** Tokens a reply cost, as the server reported them. */
public record Usage(long promptTokens, long completionTokens) {
    public static final Usage ZERO = new Usage(0, 0);

    public Usage plus(Usage o) {
        return new Usage(promptTokens + o.promptTokens, completionTokens + o.completionTokens);
    }
}
