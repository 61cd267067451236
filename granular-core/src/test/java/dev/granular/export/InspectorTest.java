package dev.granular.export;

import dev.granular.export.job.Inspector;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What inspect shows for a hand-made mask: trained pieces marked, byte pieces of one character shown once. */
class InspectorTest {
    /** "hi 😀\nok": tokens "hi", " ", two byte pieces of 😀 (same span), "\n", "ok"; the last three trained. */
    static LossMask mask() {
        String text = "hi 😀\nok";
        int[] ids = {10, 11, 12, 13, 14, 15};
        int[] starts = {0, 2, 3, 3, 4, 5};
        int[] ends = {2, 3, 4, 4, 5, 7};
        int[] labels = {-100, -100, -100, 13, 14, 15};
        return new LossMask(text, ids, labels, starts, ends, List.of(new LossMask.Span(1, 3, 7, false)));
    }

    @Test
    void plainOutputBracketsTrainedTokensAndShowsEachCharacterOnce() {
        assertThat(Inspector.ansi(mask(), false, false)).isEqualTo("hi 😀[[\n]][[ok]]");
        assertThat(Inspector.counts(mask())).isEqualTo("6 tokens, 3 trained (50.0%)");
    }

    @Test
    void colourOutputMarksTrainedNewlines() {
        String s = Inspector.ansi(mask(), true, true);
        assertThat(s).contains("\u001b[30;42m").contains("↵").contains("ok");
    }

    @Test
    void htmlEscapesAndTitlesEveryToken() {
        TrainingRecord r = new TrainingRecord("r<1>", List.of(Message.user("q"), Message.assistant("a")), null, Map.of("design", "t"));
        String h = Inspector.html(List.of(new Inspector.Entry(r, mask()), new Inspector.Entry(r, new Labeler.Refused("nothing trained"))),
                "t & t");
        assertThat(h).contains("<title>t &amp; t</title>").contains("r&lt;1&gt;").contains("title=\"token 5: id 15, trained\"")
                .contains("refused").contains("nothing trained");
    }
}
