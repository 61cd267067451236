package dev.granular.judge;

/**
 * A judge's finding about one reply.
 *
 * @param outcome   correct, wrong, or unparseable (no final answer could be found: counted as wrong, and separately)
 * @param extracted the final answer found in the reply (a letter, a number, a normalised string), or null
 * @param reason    a short explanation for reports
 */
public record Verdict(Outcome outcome, String extracted, String reason) {
    public enum Outcome { CORRECT, WRONG, UNPARSEABLE }

    public boolean correct() {
        return outcome == Outcome.CORRECT;
    }

    static Verdict correct(String extracted) {
        return new Verdict(Outcome.CORRECT, extracted, "matches");
    }

    static Verdict wrong(String extracted, String gold) {
        return new Verdict(Outcome.WRONG, extracted, "got " + extracted + ", expected " + gold);
    }

    static Verdict unparseable(String why) {
        return new Verdict(Outcome.UNPARSEABLE, null, why);
    }
}
