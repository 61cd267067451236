package dev.granular.erasure;

import dev.granular.report.Json;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reasoning strategy: the detailed system instruction a teacher answers under. The
 * instruction is what Prompt Erasure later removes from the training data, so its hash goes
 * into each record's meta (to trace a record to its strategy without carrying the text).
 *
 * @param name        a short name, e.g. {@code step-by-step}
 * @param instruction the system instruction sent to the teacher
 * @param extract     where the final answer is in a reply (its first group, else the whole last
 *                    match), or null to let the judge find it
 */
public record Strategy(String name, String instruction, Pattern extract) {
    public Strategy {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(instruction, "instruction");
        if (name.isBlank() || !name.equals(name.strip())) {
            throw new IllegalArgumentException("a strategy name must be non-blank without surrounding spaces: '" + name + "'");
        }
        if (instruction.isBlank()) {
            throw new IllegalArgumentException("strategy " + name + " has an empty instruction");
        }
    }

    /** sha256 of the instruction: identifies it in meta and in the run's fingerprint. */
    public String instructionSha256() {
        return Json.sha256Hex(instruction);
    }

    /**
     * The part of {@code reply} a judge should look at: the last match of {@link #extract()}
     * when there is one, else the whole reply (judges find final-answer markers themselves).
     */
    public String answerPart(String reply) {
        if (extract == null) {
            return reply;
        }
        Matcher m = extract.matcher(reply);
        String last = null;
        while (m.find()) {
            last = m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
        }
        return Optional.ofNullable(last).orElse(reply);
    }
}
