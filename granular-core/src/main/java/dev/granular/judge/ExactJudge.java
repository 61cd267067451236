package dev.granular.judge;

/** The reply's final answer equals the gold answer after SQuAD-style normalisation. */
public record ExactJudge() implements Judge {
    @Override
    public Verdict judge(Task task, String reply) {
        String fin = Answers.finalPart(reply);
        if (fin.isBlank()) {
            return Verdict.unparseable("empty reply");
        }
        String got = Answers.normalise(fin);
        String gold = Answers.normalise(task.answer());
        return got.equals(gold) ? Verdict.correct(got) : Verdict.wrong(got, gold);
    }

    @Override
    public String spec() {
        return "exact";
    }
}
