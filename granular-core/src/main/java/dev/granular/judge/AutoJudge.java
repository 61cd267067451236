package dev.granular.judge;

/** Choice when the task has choices, else number when the gold answer is a number, else exact. */
public record AutoJudge() implements Judge {
    private static final ChoiceJudge CHOICE = new ChoiceJudge();
    private static final NumberJudge NUMBER = new NumberJudge();
    private static final ExactJudge EXACT = new ExactJudge();

    @Override
    public Verdict judge(Task task, String reply) {
        return pick(task).judge(task, reply);
    }

    /** The judge {@code auto} uses for {@code task}. */
    public Judge pick(Task task) {
        if (task.multipleChoice()) {
            return CHOICE;
        }
        if (task.answer().strip().matches("-?\\$?\\d[\\d,]*(\\.\\d+)?")) {
            return NUMBER;
        }
        return EXACT;
    }

    @Override
    public String spec() {
        return "auto";
    }
}
