package dev.granular.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** left-context truncation never removes the text an IN2 answer rests on. */
class LeftContextTest {
    @Test
    void segmentsHoldingKeyOrEvidenceSpansAreNeverInTheRemovalOrder() {
        String content = "Read this.\n\np1 😀 text\n\np2 the key fact\n\np3 filler\n\np4 filler\n\nQuestion?";
        List<String> segments = LeftContext.segments(content);
        assertThat(String.join("", segments)).isEqualTo(content);
        assertThat(segments).hasSize(6);
        int keyBegin = content.codePointCount(0, content.indexOf("p2"));
        int keyEnd = keyBegin + "p2 the key fact".length();
        TrainingRecord r = new TrainingRecord("x", List.of(Message.user(content), Message.assistant("a")), null,
                Map.of("design", "in2", "key_char_spans", List.of(List.of(keyBegin, keyEnd))));

        int[] all = LeftContext.removalOrder(segments.size());
        assertThat(all).contains(2);
        int[] kept = LeftContext.withoutProtected(all, segments, LeftContext.protectedSpans(r));
        assertThat(kept).doesNotContain(2).contains(1, 3, 4);

        TrainingRecord plain = new TrainingRecord("y", r.messages(), null, Map.of("design", "other"));
        assertThat(LeftContext.withoutProtected(all, segments, LeftContext.protectedSpans(plain))).isEqualTo(all);
    }
}
