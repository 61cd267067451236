package dev.granular.erasure.internal;

import dev.granular.erasure.Erasure;
import dev.granular.erasure.Strategy;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.ToolCall;
import dev.granular.record.TrainingRecord;
import dev.granular.teacher.internal.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prompt Erasure as pure functions (behind {@link dev.granular.erasure.DistillJob} and {@link dev.granular.erasure.EraseJob}): the teacher sees the strategy instruction, the student's
 * record sees only the generic system message. The student must then learn from the task
 * alone which way of answering fits, since nothing in its input names the strategy.
 */
public final class ErasedRecords {
    private ErasedRecords() {
    }


    /** What the teacher is sent: the strategy instruction as system message, then the task. */
    public static List<ChatMessage> teacherRequest(DistillTask task, Strategy strategy) {
        List<ChatMessage> out = new ArrayList<>();
        out.add(ChatMessage.system(strategy.instruction()));
        task.prompt().forEach(m -> out.add(ChatMessage.of(m)));
        return out;
    }

    /**
     * The training record: generic system message, the task's messages (not trained), the
     * teacher's answer (the only trained turn).
     *
     * @param correct the judge's verdict, or null when the task has no gold answer
     */
    public static TrainingRecord record(DistillTask task, Strategy strategy, String answer, String systemMessage,
                                        String teacher, Boolean correct) {
        return record(task, strategy, answer, null, false, systemMessage, teacher, correct);
    }

    /**
     * The training record of a reply that may call tools: its calls are kept (with null content when the
     * server sent null), as {@code generate} keeps them; the task's tool definitions go with the record.
     *
     * @param toolCalls the reply's tool calls, or null
     * @param textNull  whether the reply's content was null beside its calls
     */
    public static TrainingRecord record(DistillTask task, Strategy strategy, String answer, List<ToolCall> toolCalls,
                                        boolean textNull, String systemMessage, String teacher, Boolean correct) {
        List<Message> msgs = new ArrayList<>();
        msgs.add(Message.system(systemMessage));
        task.prompt().forEach(m -> msgs.add(m.withTrain(false)));
        msgs.add(toolCalls == null ? Message.assistant(answer)
                : new Message(Role.ASSISTANT, answer, true, null, null, toolCalls, null, null, null, textNull));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", "erasure");
        meta.put("category", task.category());
        meta.put("strategy", strategy.name());
        meta.put("instruction_sha256", strategy.instructionSha256());
        meta.put("teacher", teacher);
        meta.put("correct", correct);
        meta.put("source", task.source());
        return new TrainingRecord(task.id(), msgs, task.tools(), meta);
    }

    /** Words of an erased prompt kept as its label in meta and reports. */
    public static final int LABEL_WORDS = 8;

    /**
     * {@code granular erase}: an existing row with its system prompt replaced by
     * {@code systemMessage}, where it stood (first when it had none); the erased prompt survives
     * only as a sha256 and a short label, so records stay traceable to the prompt family they
     * came from. Every other turn, its training mask included, and the row's tools and meta are
     * kept as they were: erasure is about the prompt, not about what is trained.
     */
    public static TrainingRecord erase(EraseInput.Row row, String systemMessage) {
        List<Message> msgs = new ArrayList<>(row.messages());
        msgs.add(row.systemAt(), Message.system(systemMessage));
        Map<String, Object> ours = new LinkedHashMap<>();
        ours.put("design", "erasure");
        ours.put("erased_label", label(row.erased()));
        ours.put("erased_sha256", row.erased() == null ? null : dev.granular.report.Json.sha256Hex(row.erased()));
        ours.put("input_format", row.format().name().toLowerCase(java.util.Locale.ROOT));
        if (row.source() != null) {   // a record handed over in memory came from no file: its own source stays
            ours.put("source", row.source());
        }
        return new TrainingRecord(row.id(), msgs, row.tools(), extend(row.meta(), ours));
    }

    /**
     * The row's meta, in its order, then erasure's own keys. Where the row already has one of
     * them with another value, the row's value is kept under {@code original_<key>} (and
     * {@code original_original_<key>} ... if that is taken too), so nothing the row carried is lost.
     */
    static Map<String, Object> extend(Map<String, Object> rowMeta, Map<String, Object> ours) {
        Map<String, Object> meta = new LinkedHashMap<>(rowMeta);
        ours.forEach((k, v) -> {
            if (meta.containsKey(k) && !java.util.Objects.equals(meta.get(k), v)) {
                String moved = "original_" + k;
                while (meta.containsKey(moved) || ours.containsKey(moved)) {
                    moved = "original_" + moved;
                }
                meta.put(moved, meta.get(k));
            }
            meta.put(k, v);
        });
        return meta;
    }

    /** The first {@value #LABEL_WORDS} words of a prompt ("..." when cut), or {@code none}. */
    public static String label(String prompt) {
        if (prompt == null || prompt.isBlank()) {
            return "none";
        }
        String[] w = prompt.strip().split("\\s+");
        return w.length <= LABEL_WORDS ? String.join(" ", w)
                : String.join(" ", java.util.Arrays.copyOf(w, LABEL_WORDS)) + " ...";
    }
}
