package dev.granular.selfcorrect.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.record.Message;
import dev.granular.record.TrainSpan;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The assistant layout and its Partial Answer Masking spans, in code points, on non-ASCII text. */
class SelfCorrectionFormatTest {
    static final String INITIAL = "章鱼有六条腕 🐙🐙.\n#### 6";
    static final String CHECK = "Let me double-check my reasoning.";
    static final String VERDICT = "That is wrong: 八 arms, not six 😅.";
    static final String CORRECTION = "An octopus has eight arms 🐙.\n#### 8";

    /** Python-style slicing by code points: what axolotl does with the offsets. */
    static String slice(String s, TrainSpan span) {
        int[] cps = s.codePoints().toArray();
        return new String(cps, span.beginOffset(), span.length());
    }

    @Test
    void badCaseMasksExactlyTheInitialAnswerAndTrainsEverythingAfterIt() {
        Message m = SelfCorrectionFormat.assistant(new SelfCorrectionFormat.Parts(INITIAL, CHECK, VERDICT, CORRECTION), true);
        assertThat(m.content()).isEqualTo(INITIAL + "\n\n" + CHECK + " " + VERDICT + "\n\n" + CORRECTION);
        assertThat(m.trainDetail()).hasSize(2);
        TrainSpan masked = m.trainDetail().get(0);
        TrainSpan trained = m.trainDetail().get(1);
        assertThat(masked.train()).isFalse();
        assertThat(slice(m.content(), masked)).isEqualTo(INITIAL);
        assertThat(trained.train()).isTrue();
        assertThat(slice(m.content(), trained)).isEqualTo("\n\n" + CHECK + " " + VERDICT + "\n\n" + CORRECTION);
        // code points, not UTF-16 units: the emoji are surrogate pairs in Java
        assertThat(masked.endOffset()).isEqualTo(INITIAL.codePointCount(0, INITIAL.length())).isLessThan(INITIAL.length());
        assertThat(trained.endOffset()).isEqualTo(m.contentLength());
        assertThat(m.train()).isTrue();
    }

    @Test
    void goodCaseTrainsTheWholeMessageUnlessAskedToMaskTheInitialAnswer() {
        var parts = new SelfCorrectionFormat.Parts(INITIAL, CHECK, VERDICT, null);
        Message whole = SelfCorrectionFormat.assistant(parts, false);
        assertThat(whole.content()).isEqualTo(INITIAL + "\n\n" + CHECK + " " + VERDICT);
        assertThat(whole.trainDetail()).containsExactly(new TrainSpan(0, whole.contentLength(), true));

        Message masked = SelfCorrectionFormat.assistant(parts, true);
        assertThat(slice(masked.content(), masked.trainDetail().get(0))).isEqualTo(INITIAL);
        assertThat(masked.trainDetail().get(0).train()).isFalse();
        assertThat(slice(masked.content(), masked.trainDetail().get(1))).isEqualTo("\n\n" + CHECK + " " + VERDICT);
    }

    @Test
    void theSpansAreAcceptedByMessageValidationWhenRebuiltFromScratch() {
        Message m = SelfCorrectionFormat.assistant(new SelfCorrectionFormat.Parts(INITIAL, CHECK, VERDICT, CORRECTION), true);
        Message copy = new Message(m.role(), m.content(), true, List.copyOf(m.trainDetail()), null);
        assertThat(copy).isEqualTo(m);
    }

    @Test
    void partsAreStrippedSoNoStraySpaceIsMaskedOrTrained() {
        var parts = new SelfCorrectionFormat.Parts("  #### 6\n", CHECK, " " + VERDICT + " ", null);
        assertThat(parts.initial()).isEqualTo("#### 6");
        assertThat(parts.verdict()).isEqualTo(VERDICT);
    }

    @Test
    void blankPartsAreRejected() {
        assertThatThrownBy(() -> new SelfCorrectionFormat.Parts(" ", CHECK, VERDICT, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initial");
        assertThatThrownBy(() -> new SelfCorrectionFormat.Parts(INITIAL, CHECK, VERDICT, "\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("correction");
    }
}
