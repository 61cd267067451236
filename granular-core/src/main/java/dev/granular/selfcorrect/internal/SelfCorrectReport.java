package dev.granular.selfcorrect.internal;

import dev.granular.selfcorrect.SelfCorrectCounts;
import dev.granular.selfcorrect.SelfCorrectJob;
import dev.granular.files.AtomicFiles;
import dev.granular.files.HubCard;
import dev.granular.files.OutputDirectory;
import dev.granular.report.Charts;
import dev.granular.report.Json;
import dev.granular.teacher.internal.CostMeter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report/summary.json, report/self-correction.png and the README.md dataset card of a run. */
public final class SelfCorrectReport {
    private SelfCorrectReport() {
    }

    static void write(OutputDirectory dir, SelfCorrectJob.Spec spec, SelfCorrectCounts c, CostMeter meter, boolean complete) {
        Map<String, Object> summary = new java.util.LinkedHashMap<>(c.toJson());
        summary.put("complete", complete);
        summary.put("cost", meter.toJson());
        try {
            Json.writeAtomically(dir.reportDir().resolve("summary.json"), summary);
            Charts.barChartPng(dir.reportDir().resolve("self-correction.png"), "Self-correction: answers and examples", "outcome", "count",
                    List.of("student right", "student wrong", "unparseable", "R→R written", "W→R written", "W→W dropped", "leaked dropped"),
                    List.of(c.correct(), c.wrong(), c.unparseable(), c.rightToRight(), c.wrongToRight(), c.wrongToWrong(), c.leaked()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + dir.reportDir(), e);
        }
        AtomicFiles.write(dir.dir().resolve("README.md"), HubCard.train("granular self-correct", c.records(),
                List.of("text-generation"), "self-correction", "synthetic").withFeaturesOf(dir.dir()).card(card(spec, c, meter, complete)));
    }

    private static String card(SelfCorrectJob.Spec spec, SelfCorrectCounts c, CostMeter meter, boolean complete) {
        return "# Self-correction data (answer, self-check, verdict, correction)\n\n"
                + "Made by granular with `granular " + String.join(" ", spec.commandLine()) + "`.\n\n"
                + "Each record is a question followed by one assistant message: the student's own answer (`"
                + spec.student().model() + "`), a self-check phrase, a verdict, and, when the answer was wrong, a corrected "
                + "answer written by `" + spec.teacher().model() + "`. In bad cases `train_detail` masks the initial answer "
                + "(Partial Answer Masking): the model learns to check and correct, never to give the wrong answer. "
                + (spec.maskGoodInitial() ? "Good cases mask their initial answer too (`--mask-good-initial`). "
                : "Good cases train the whole message. ")
                + "Offsets are code points; exporters that cannot carry per-span masks must refuse these records.\n\n"
                + "| | |\n|---|---|\n"
                + "| records | " + c.records() + " |\n"
                + "| good (R→R) / bad (W→R) | " + c.rightToRight() + " / " + c.wrongToRight() + " |\n"
                + String.format(Locale.ROOT, "| bad share, target / achieved | %.2f / %.2f |%n", c.targetRatio(), c.achievedRatio())
                + "| dropped: still wrong (W→W) / leaked the answer | " + c.wrongToWrong() + " / " + c.leaked() + " |\n"
                + String.format(Locale.ROOT, "| student accuracy | %.3f (%d right, %d wrong, %d unparseable of %d answers) |%n",
                c.studentAccuracy(), c.correct(), c.wrong(), c.unparseable(), c.answers())
                + String.format(Locale.ROOT, "| teacher correction success | %.3f |%n", c.correctionSuccess())
                + "| judge | " + spec.judge() + " |\n"
                + "| failed rows (failed.jsonl) / not sent (budget) | " + c.failed() + " / " + c.notSent() + " |\n"
                + "| complete | " + (complete ? "yes" : "no: rerun the same command to continue") + " |\n"
                + "| usage | " + meter.summary() + " |\n\n"
                + "See docs/self-correction.md for the design.\n"
                + "\n## Spend\n\nEvery attempt of this run (an interrupted run resumed pays only for what it did not have):\n\n" + meter.attemptsTable();
    }
}
