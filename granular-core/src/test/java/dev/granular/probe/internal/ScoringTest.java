package dev.granular.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.granular.probe.ProbeTask;
import dev.granular.probe.ScoreSheet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each scorer on hand-made cases, and the Avg/Gap arithmetic with every position counted. */
class ScoringTest {
    @Test
    void documentIsWordRecallOfTheGoldSentence() {
        String gold = "The cat sat on the mat.";
        // gold words (set): the, cat, sat, on, mat. -> 5
        assertThat(Scorers.score(ProbeTask.DOCUMENT, gold, "the CAT sat on the mat.")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.DOCUMENT, gold, "A cat sat somewhere")).isCloseTo(2.0 / 5, within(1e-12));
        assertThat(Scorers.score(ProbeTask.DOCUMENT, gold, "mat")).isZero(); // "mat." is the gold word
        assertThat(Scorers.score(ProbeTask.DOCUMENT, gold, "")).isZero();
    }

    @Test
    void codeNeedsTheGoldNameInsideThePrediction() {
        assertThat(Scorers.score(ProbeTask.CODE, "load_data", " load_data")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.CODE, "load_data", "The function is `load_data()`.")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.CODE, "load_data", "load_dat")).isZero();
    }

    @Test
    void databaseAcceptsTheLabelOrTheDescriptionIgnoringCaseAndATrailingPeriod() {
        Map<String, Object> gold = Map.of("label", "Old Mill Bridge", "description", "bridge in Kent.");
        assertThat(Scorers.score(ProbeTask.DATABASE, gold, "It is the old mill bridge")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.DATABASE, gold, "a BRIDGE IN KENT")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.DATABASE, gold, "a bridge in Surrey")).isZero();
    }

    @Test
    void needleIsContainment() {
        assertThat(Scorers.score(ProbeTask.NEEDLE, "saffron yellow", "They chose Saffron Yellow.")).isEqualTo(1.0);
        assertThat(Scorers.score(ProbeTask.NEEDLE, "saffron yellow", "yellow")).isZero();
    }

    @Test
    void avgIsTheMeanOfBinsAndGapTheirSpreadCountingTheLastPositionOfEachBin() {
        // 8 positions, bins of 4, 2 sets. Only the last position of bin 0 (position 3) is wrong in both sets:
        // bin 0 = 0.75, bin 1 = 1.0. A scorer that skipped each bin's last position would say 1.0 and 1.0.
        List<Scored> rows = new ArrayList<>();
        for (int set = 0; set < 2; set++) {
            for (int p = 0; p < 8; p++) {
                rows.add(new Scored(ProbeTask.CODE, p, set, p / 4, 0, 0, p == 3 ? 0 : 1));
            }
        }
        // Document with partial credit in one set only: position 0 averages 0.5 over the sets.
        for (int set = 0; set < 2; set++) {
            for (int p = 0; p < 4; p++) {
                rows.add(new Scored(ProbeTask.DOCUMENT, p, set, p / 2, 0, 0, p == 0 && set == 0 ? 0 : 1));
            }
        }
        ScoreSheet s = ScoreSheets.of(rows);
        ScoreSheet.TaskScores code = s.tasks().get(ProbeTask.CODE);
        assertThat(code.positions()).containsExactly(1, 1, 1, 0, 1, 1, 1, 1);
        assertThat(code.bins()).containsExactly(0.75, 1.0);
        assertThat(code.avg()).isEqualTo(0.875);
        assertThat(code.gap()).isEqualTo(0.25);
        ScoreSheet.TaskScores doc = s.tasks().get(ProbeTask.DOCUMENT);
        assertThat(doc.bins()).containsExactly(0.75, 1.0);
        assertThat(s.allAvg()).isEqualTo(0.875);
        assertThat(s.allGap()).isEqualTo(0.25);
    }

    @Test
    void needleGridIsDepthByLength() {
        List<Scored> rows = List.of(
                new Scored(ProbeTask.NEEDLE, 0, 0, 0, 1000, 0, 1), new Scored(ProbeTask.NEEDLE, 1, 0, 1, 1000, 50, 0),
                new Scored(ProbeTask.NEEDLE, 0, 1, 0, 2000, 0, 1), new Scored(ProbeTask.NEEDLE, 1, 1, 1, 2000, 50, 1));
        ScoreSheet.Needle n = ScoreSheets.of(rows).needle();
        assertThat(n.depths()).containsExactly(0, 50);
        assertThat(n.lengths()).containsExactly(1000, 2000);
        assertThat(n.cells()[1]).containsExactly(0.0, 1.0);
        assertThat(n.avg()).isEqualTo(0.75);
        assertThat(n.gap()).isEqualTo(0.5);
        assertThat(ScoreSheets.of(rows).allAvg()).isNull();
    }
}
