package dev.granular.export;

import dev.granular.export.internal.Masks;
import dev.granular.record.internal.ChatShape;
import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The trainer formats granular delivers without tokenizing, each a pure function from a
 * canonical record to a row or a refusal. Switches over it have no default: a new format
 * must be handled everywhere.
 */
public enum ExportFormat {
    /** OpenAI fine-tuning: messages, with {@code weight} 0/1 on assistant messages only. */
    OPENAI,
    /** axolotl {@code type: chat_template} rows with {@code train} and {@code train_detail}. */
    AXOLOTL,
    /** TRL SFTTrainer: conversational prompt/completion, or messages for assistant-only loss. */
    TRL,
    /** LLaMA-Factory sharegpt rows. */
    LLAMAFACTORY;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The row for {@code r}, or why this format cannot carry its loss mask exactly. */
    public Exported export(TrainingRecord r) {
        if (!Masks.anyTrained(r)) {
            return new Exported.Rejected("nothing is trained");
        }
        return switch (this) {
            case OPENAI -> openai(r);
            case AXOLOTL -> axolotl(r);
            case TRL -> trl(r);
            case LLAMAFACTORY -> llamafactory(r);
        };
    }

    private static Exported openai(TrainingRecord r) {
        int partial = Masks.firstPartial(r);
        if (partial >= 0) {
            return new Exported.Rejected("messages[" + partial + "] is trained only in part (train_detail); OpenAI's weight is per message");
        }
        int trainedOther = Masks.firstTrainedNonAssistant(r);
        if (trainedOther >= 0) {
            return new Exported.Rejected("messages[" + trainedOther + "] (" + r.messages().get(trainedOther).role().wireName()
                    + ") is trained; OpenAI trains only assistant messages");
        }
        if (hasReasoning(r)) {
            return new Exported.Rejected("a message has reasoning_content, which OpenAI's chat format cannot carry");
        }
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : r.messages()) {
            // OpenAI's fine-tuning rows take arguments as a JSON string only.
            Map<String, Object> o = ChatShape.chat(m, true);
            if (m.role() == Role.ASSISTANT) {
                o.put("weight", m.train() ? 1 : 0);
            }
            msgs.add(o);
        }
        return messagesRow(msgs, r);
    }

    /**
     * axolotl reads {@code train_detail} offsets as code points with an INCLUSIVE end (a token is
     * trained when its last character's index is at most {@code end_offset}); granular's are
     * half-open, so each end is written minus one. Otherwise a one-character token right after
     * a span would be counted inside it.
     */
    private static Exported axolotl(TrainingRecord r) {
        int parts = firstWithParts(r);
        if (parts >= 0) {
            return new Exported.Rejected("messages[" + parts + "] has content as a list of parts; axolotl's train_detail "
                    + "offsets and chat_template rows take string content");
        }
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : r.messages()) {
            // axolotl hands messages to the chat template as they are; arguments stay in the record's form.
            Map<String, Object> o = ChatShape.chat(m, false);
            if (m.reasoningContent() != null) {
                o.put("reasoning_content", m.reasoningContent());
            }
            o.put("train", m.train());
            if (m.trainDetail() != null && !m.trainDetail().isEmpty() && Masks.partial(m)) {
                List<Map<String, Object>> detail = new ArrayList<>();
                for (TrainSpan s : m.trainDetail()) {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("begin_offset", s.beginOffset());
                    d.put("end_offset", s.endOffset() - 1);
                    d.put("train", s.train());
                    detail.add(d);
                }
                o.put("train_detail", detail);
            }
            msgs.add(o);
        }
        return messagesRow(msgs, r);
    }

    /** A {@code messages} row, with the record's tools when it has them (OpenAI's and axolotl's shape). */
    private static Exported.Row messagesRow(List<Map<String, Object>> msgs, TrainingRecord r) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("messages", msgs);
        if (r.tools() != null) {
            row.put("tools", r.tools());
        }
        return new Exported.Row(row);
    }

    private static Exported trl(TrainingRecord r) {
        int partial = Masks.firstPartial(r);
        if (partial >= 0) {
            return new Exported.Rejected("messages[" + partial + "] is trained only in part; TRL's messages and prompt/completion "
                    + "rows cannot carry that (use the axolotl format)");
        }
        int trainedOther = Masks.firstTrainedNonAssistant(r);
        if (trainedOther >= 0) {
            return new Exported.Rejected("messages[" + trainedOther + "] (" + r.messages().get(trainedOther).role().wireName()
                    + ") is trained; TRL trains completions or assistant turns only");
        }
        if (hasReasoning(r)) {
            return new Exported.Rejected("a message has reasoning_content, which TRL's rows do not carry");
        }
        List<Map<String, Object>> msgs = plain(r.messages());
        Map<String, Object> row = new LinkedHashMap<>();
        if (Masks.onlyLastAssistantTrained(r)) {
            // Conversational prompt/completion: TRL computes the loss on the completion only (its default).
            row.put("prompt", msgs.subList(0, msgs.size() - 1));
            row.put("completion", List.of(msgs.get(msgs.size() - 1)));
        } else if (Masks.allAssistantsTrained(r)) {
            // Every assistant turn trained, nothing else: messages rows with assistant_only_loss=True.
            row.put("messages", msgs);
        } else {
            return new Exported.Rejected("some assistant messages are trained and others not, with the last one not the only "
                    + "trained one; TRL's rows cannot say which");
        }
        if (r.tools() != null) {
            row.put("tools", r.tools());
        }
        return new Exported.Row(row);
    }

    /**
     * sharegpt rows for LLaMA-Factory, whose default (mask_history off, train_on_prompt off)
     * trains every assistant turn and nothing else: exactly what such records mark.
     */
    private static Exported llamafactory(TrainingRecord r) {
        int partial = Masks.firstPartial(r);
        if (partial >= 0) {
            return new Exported.Rejected("messages[" + partial + "] is trained only in part; LLaMA-Factory trains whole turns");
        }
        int trainedOther = Masks.firstTrainedNonAssistant(r);
        if (trainedOther >= 0) {
            return new Exported.Rejected("messages[" + trainedOther + "] (" + r.messages().get(trainedOther).role().wireName()
                    + ") is trained; LLaMA-Factory trains assistant turns only");
        }
        if (!Masks.allAssistantsTrained(r)) {
            return new Exported.Rejected("an assistant message is not trained; LLaMA-Factory trains every assistant turn "
                    + "(mask_history is a dataset-wide setting)");
        }
        if (hasReasoning(r)) {
            return new Exported.Rejected("a message has reasoning_content, which sharegpt rows do not carry");
        }
        List<Message> ms = r.messages();
        int i = 0;
        String system = null;
        if (ms.get(0).role() == Role.SYSTEM) {
            system = ms.get(0).content();
            i = 1;
        }
        int parts = firstWithParts(r);
        if (parts >= 0) {
            return new Exported.Rejected("messages[" + parts + "] has content as a list of parts; sharegpt values are strings");
        }
        List<Map<String, Object>> conv = new ArrayList<>();
        for (int k = i; k < ms.size(); k++) {
            Message m = ms.get(k);
            // sharegpt alternates a prompt-side turn (human, observation) and a model turn (gpt, function_call).
            boolean modelSide = (k - i) % 2 == 1;
            boolean ok = modelSide ? m.role() == Role.ASSISTANT : m.role() == Role.USER || m.role() == Role.TOOL;
            if (!ok) {
                return new Exported.Rejected("messages[" + k + "] is " + m.role().wireName() + " where sharegpt needs "
                        + (modelSide ? "assistant" : "user or tool") + " (turns must alternate user or tool, assistant,"
                        + " starting with user; parallel tool results cannot be carried)");
            }
            Map<String, Object> t = new LinkedHashMap<>();
            if (m.toolCalls() != null) {
                String refused = sharegptCallRefusal(m);
                if (refused != null) {
                    return new Exported.Rejected("messages[" + k + "] " + refused);
                }
                t.put("from", "function_call");
                t.put("value", sharegptCalls(m));
            } else {
                t.put("from", switch (m.role()) {
                    case USER -> "human";
                    case TOOL -> "observation";
                    default -> "gpt";
                });
                t.put("value", m.content());
            }
            conv.add(t);
        }
        if (conv.isEmpty() || conv.size() % 2 != 0) {
            return new Exported.Rejected("the conversation must end with an assistant turn");
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("conversations", conv);
        if (system != null) {
            row.put("system", system);
        }
        if (r.tools() != null) {
            row.put("tools", r.tools());
        }
        return new Exported.Row(row);
    }

    private static List<Map<String, Object>> plain(List<Message> ms) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : ms) {
            // TRL hands messages to the tokenizer's chat template as they are, like transformers.
            out.add(ChatShape.chat(m, false));
        }
        return out;
    }

    private static int firstWithParts(TrainingRecord r) {
        for (int i = 0; i < r.messages().size(); i++) {
            if (r.messages().get(i).contentParts() != null) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Why a tool-calling turn cannot be a sharegpt function_call, or null. LLaMA-Factory json-dumps
     * each call's arguments itself, so string arguments would be encoded twice; a function_call
     * turn has no room for text beside the calls.
     */
    private static String sharegptCallRefusal(Message m) {
        if (!m.content().isEmpty()) {
            return "has both content and tool_calls; a sharegpt function_call turn carries the calls only";
        }
        if (m.toolCalls().stream().anyMatch(c -> !c.argumentsAsObject())) {
            return "has tool-call arguments as a string; LLaMA-Factory serialises arguments itself and needs a JSON object";
        }
        return null;
    }

    /** The function_call value: one {name, arguments} object, or a list of them for parallel calls. */
    private static String sharegptCalls(Message m) {
        List<Map<String, Object>> calls = new ArrayList<>();
        for (var c : m.toolCalls()) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("name", c.name());
            call.put("arguments", c.arguments());
            calls.add(call);
        }
        return ChatShape.json(calls.size() == 1 ? calls.get(0) : calls);
    }

    private static boolean hasReasoning(TrainingRecord r) {
        return r.messages().stream().anyMatch(m -> m.reasoningContent() != null);
    }
}
