package dev.granular.judge;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Numeric answers (GSM8K style): the reply's final number (after "####" or "the answer is",
 * else its last number) equals the gold number, commas and dollar signs ignored.
 */
public record NumberJudge() implements Judge {
    @Override
    public Verdict judge(Task task, String reply) {
        Optional<BigDecimal> gold = Answers.number(task.answer());
        if (gold.isEmpty()) {
            return Verdict.unparseable("the gold answer has no number: " + task.answer());
        }
        Optional<BigDecimal> got = Answers.number(reply);
        if (got.isEmpty()) {
            return Verdict.unparseable("no number in the reply");
        }
        String g = got.get().toPlainString();
        return got.get().compareTo(gold.get()) == 0 ? Verdict.correct(g) : Verdict.wrong(g, gold.get().toPlainString());
    }

    @Override
    public String spec() {
        return "number";
    }
}
