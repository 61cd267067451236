package dev.granular.erasure;

import dev.granular.erasure.internal.EraseInput;
import dev.granular.erasure.internal.ErasedRecords;
import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import java.util.stream.Stream;

/**
 * Prompt Erasure as a pure function of records: the generic system message that replaces every strategy instruction
 * in the student's data, so that the student must learn from the task alone which way of answering fits, and
 * {@link #erase} for records a program already holds (in a stream, a Spark task). {@link DistillJob} and
 * {@link EraseJob} are the same with files at both ends; both take another message with {@code withSystemMessage}.
 */
public final class Erasure {
    /**
     * The default generic system message, in our own words: a careful assistant that decides
     * how to approach a task before answering.
     */
    public static final String DEFAULT_SYSTEM_MESSAGE = "You are a careful, thoughtful assistant. Before you reply, "
            + "consider what kind of task you have been given and how it is best approached: some need worked reasoning, "
            + "some need recalled facts, some need only a brief answer. Then answer accurately and helpfully.";

    private Erasure() {
    }

    /**
     * {@code record} with its system turns replaced by one {@code systemMessage}, where the first stood (first when
     * it had none): the record {@code granular erase --input-format messages} writes for it, except that
     * {@code meta.source} is the record's own rather than a file and line. The erased prompt survives only as
     * {@code meta.erased_sha256} and {@code meta.erased_label}; every other turn (its training mask included), the tools
     * and the rest of the meta are kept.
     *
     * @throws InvalidConfigException if {@code systemMessage} is blank
     * @throws BadInputException      if the record has no user turn
     */
    public static TrainingRecord erase(TrainingRecord record, String systemMessage) {
        if (systemMessage == null || systemMessage.isBlank()) {
            throw new InvalidConfigException("${systemMessage} must not be empty");
        }
        EraseInput.Row row = EraseInput.of(record, null);
        if (row.messages().stream().noneMatch(m -> m.role() == Role.USER)) {
            throw new BadInputException("record " + record.id() + " has no user turn");
        }
        return ErasedRecords.erase(row, systemMessage);
    }

    /** {@link #erase(TrainingRecord, String)} of each record, lazily and in order. */
    public static Stream<TrainingRecord> erase(Stream<TrainingRecord> records, String systemMessage) {
        if (systemMessage == null || systemMessage.isBlank()) {
            throw new InvalidConfigException("${systemMessage} must not be empty");
        }
        return records.map(r -> erase(r, systemMessage));
    }
}
