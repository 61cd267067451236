package dev.granular.export.internal;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import java.util.List;

/** Questions about a record's loss mask that decide which formats can carry it. */
public final class Masks {
    private Masks() {
    }

    /** Whether the message is trained only in part (a train_detail with both trained and untrained spans). */
    public static boolean partial(Message m) {
        List<TrainSpan> d = m.trainDetail();
        if (d == null || d.isEmpty()) {
            return false;
        }
        boolean any = false;
        boolean all = true;
        for (TrainSpan s : d) {
            any |= s.train();
            all &= s.train();
        }
        return any && !all;
    }

    /** The first message that is trained in part, or -1. */
    public static int firstPartial(TrainingRecord r) {
        for (int i = 0; i < r.messages().size(); i++) {
            if (partial(r.messages().get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** The first non-assistant message that is trained, or -1. */
    public static int firstTrainedNonAssistant(TrainingRecord r) {
        for (int i = 0; i < r.messages().size(); i++) {
            Message m = r.messages().get(i);
            if (m.train() && m.role() != Role.ASSISTANT) {
                return i;
            }
        }
        return -1;
    }

    /** Whether anything at all is trained. */
    public static boolean anyTrained(TrainingRecord r) {
        return r.messages().stream().anyMatch(Message::train);
    }

    /** Whether every assistant message is trained (wholly). */
    public static boolean allAssistantsTrained(TrainingRecord r) {
        return r.messages().stream().filter(m -> m.role() == Role.ASSISTANT).allMatch(m -> m.train() && !partial(m));
    }

    /** Whether the last message is a wholly trained assistant message and no other message is trained. */
    public static boolean onlyLastAssistantTrained(TrainingRecord r) {
        List<Message> ms = r.messages();
        Message last = ms.get(ms.size() - 1);
        if (last.role() != Role.ASSISTANT || !last.train() || partial(last)) {
            return false;
        }
        for (int i = 0; i < ms.size() - 1; i++) {
            if (ms.get(i).train()) {
                return false;
            }
        }
        return true;
    }
}
