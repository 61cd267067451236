package dev.granular.judge;

import java.util.Optional;

/** Multiple choice: the label the reply picks equals the gold label (or the gold choice's text). */
public record ChoiceJudge() implements Judge {
    @Override
    public Verdict judge(Task task, String reply) {
        Optional<String> got = Answers.choice(reply, task.choices());
        if (got.isEmpty()) {
            return Verdict.unparseable("no choice found in the reply");
        }
        String gold = goldLabel(task);
        return got.get().equalsIgnoreCase(gold) ? Verdict.correct(got.get()) : Verdict.wrong(got.get(), gold);
    }

    /** The gold label: the answer itself, or the label of the choice whose text it is. */
    static String goldLabel(Task task) {
        for (Task.Choice c : task.choices()) {
            if (c.label().equalsIgnoreCase(task.answer().strip())) {
                return c.label();
            }
        }
        for (Task.Choice c : task.choices()) {
            if (Answers.normalise(c.text()).equals(Answers.normalise(task.answer()))) {
                return c.label();
            }
        }
        return task.answer().strip();
    }

    @Override
    public String spec() {
        return "choice";
    }
}
