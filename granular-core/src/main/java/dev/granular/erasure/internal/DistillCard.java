package dev.granular.erasure.internal;

import dev.granular.erasure.DistillJob;
import dev.granular.erasure.StrategyChoice;
import dev.granular.teacher.internal.CostMeter;
import java.util.List;
import java.util.Locale;

/** The dataset card ({@code README.md}) of a distill run: what the data is and how it was chosen. */
public final class DistillCard {
    private DistillCard() {
    }

    static String markdown(DistillJob.Spec spec, DistillOutputs.Counts counts, List<StrategyChoice> choices,
                           CalibrationRun calibration, CostMeter meter, boolean complete) {
        StringBuilder b = new StringBuilder();
        b.append("# Prompt Erasure data (Orca 2 style)\n\n");
        b.append("Made by granular with `granular ").append(String.join(" ", spec.commandLine())).append("`.\n\n");
        b.append("The teacher `").append(spec.teacher()).append("` answered each task of `").append(dev.granular.record.internal.JsonlInput.names(spec.tasks()))
                .append("` under a detailed reasoning-strategy instruction chosen for the task's category. In the records ")
                .append("that instruction is erased: every record's system message is the same generic one, so a student ")
                .append("trained on them must learn from the task itself which way of answering fits. Only the assistant ")
                .append("answer is trained. `meta.strategy` and `meta.instruction_sha256` say which strategy produced ")
                .append("each answer; `meta.correct` is the judge's verdict (null when the task had no gold answer).\n\n");
        b.append("System message of every record:\n\n> ").append(spec.systemMessage().replace("\n", "\n> ")).append("\n\n");
        b.append("## Strategy per category\n\n| category | strategy | chosen by |\n|---|---|---|\n");
        for (StrategyChoice c : choices) {
            b.append("| ").append(c.category()).append(" | ").append(c.strategy()).append(" | ").append(c.reason()).append(" |\n");
        }
        if (calibration.cells().stream().anyMatch(c -> c.judged() > 0)) {
            b.append("\nCalibration accuracy per category and strategy: `report/strategies.json`, `report/strategy_accuracy.png`.\n");
        }
        b.append("\n## Counts\n\n| | |\n|---|---|\n");
        b.append("| records | ").append(counts.records()).append(" |\n");
        b.append("| dropped: judged wrong").append(spec.requireCorrect()
                ? " after " + spec.attempts() + " attempts" : "").append(" | ").append(counts.droppedWrong()).append(" |\n");
        b.append("| dropped: answer repeated a strategy instruction | ").append(counts.droppedLeak()).append(" |\n");
        b.append("| records without a gold answer (not judged) | ").append(counts.unjudged()).append(" |\n");
        b.append("| failed tasks (failed.jsonl) | ").append(counts.failed()).append(" |\n");
        b.append("| complete | ").append(complete ? "yes" : "no: rerun the same command to continue").append(" |\n");
        b.append("| usage | ").append(meter.summary()).append(" |\n");
        b.append(String.format(Locale.ROOT, "%nJudge: `%s`. Leak check: no record contains any %d-word run of any strategy "
                + "instruction (checked before writing and again over the written files).%n", spec.judge(), LeakCheck.WINDOW));
        b.append("\n## Spend\n\nEvery attempt of this run (an interrupted run resumed pays only for what it did not have):\n\n").append(meter.attemptsTable());
        return b.toString();
    }
}
