package dev.granular.judge;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The last match of a pattern in the reply (its first group if it has one) equals the gold answer, normalised. */
public record RegexJudge(Pattern pattern) implements Judge {
    @Override
    public Verdict judge(Task task, String reply) {
        Matcher m = pattern.matcher(reply);
        String last = null;
        while (m.find()) {
            last = m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
        }
        if (last == null) {
            return Verdict.unparseable("the pattern does not match the reply");
        }
        String got = Answers.normalise(last);
        String gold = Answers.normalise(task.answer());
        return got.equals(gold) ? Verdict.correct(got) : Verdict.wrong(got, gold);
    }

    @Override
    public String spec() {
        return "regex:" + pattern.pattern();
    }
}
