package dev.granular.export;

import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.Reference;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * {@link Labeler}'s labels equal a reference mask computed here by another method, from
 * transformers.js: each trained message's content is found by rendering the conversation again
 * with only that content replaced by a control character and diffing the two renderings (common
 * prefix and suffix), and each token's characters come from decoding growing id prefixes. A token
 * is expected trained when all its characters lie in a trained span; the model's end-of-turn
 * token right after a trained assistant content is expected trained.
 */
class LossMaskReferenceTest {

    private static final List<Tokenizer> OPEN = new ArrayList<>();
    private static final String PROBE = "\u0002";

    /** Each template's end-of-turn token, written right after an assistant content. */
    static final Map<String, String> EOT = Map.of("qwen3", "<|im_end|>", "llama3", "<|eot_id|>", "llama3_1", "<|eot_id|>",
            "gemma3", "<end_of_turn>");

    @AfterAll
    static void close() {
        OPEN.forEach(Tokenizer::close);
        OPEN.clear();
    }

    static TrainingRecord rec(String id, Message... ms) {
        return new TrainingRecord(id, List.of(ms), null, Map.of("design", "test"));
    }

    static Message a(String content, boolean train) {
        return Message.of(Role.ASSISTANT, content, train);
    }

    static List<TrainingRecord> records() {
        List<TrainingRecord> r = new ArrayList<>();
        r.add(rec("system-user-assistant", Message.system("You are a helpful assistant."),
                Message.user("What is the capital of France?"), a("The capital of France is Paris.", true)));
        r.add(rec("several-turns-non-ascii", Message.system("Réponds en français."), Message.user("Bonjour ! Ça va ? 👋"),
                a("Très bien, merci. 日本語も話せます。", false), Message.user("Family: 👨‍👩‍👧‍👦 flag 🇫🇷 — ∑∫√"),
                a("Noted: 👍🏽 — 한국어도 돼요.", true)));
        r.add(rec("every-assistant-trained", Message.user("One"), a("Two", true), Message.user("Three"), a("Four 🍀", true)));
        r.add(rec("pam-train-detail", Message.system("Answer briefly."), Message.user("What is the capital of France?"),
                new Message(Role.ASSISTANT, "Answer: 巴黎 😀!", true,
                        List.of(new TrainSpan(0, 8, false), new TrainSpan(8, 13, true)), null)));
        // Span boundaries inside words: the tokens that straddle them must be masked.
        r.add(rec("detail-boundaries-inside-words", Message.user("Describe it."),
                new Message(Role.ASSISTANT, "Résumé: naïve façade, très 😀😀 ok", true,
                        List.of(new TrainSpan(0, 10, false), new TrainSpan(10, 20, true), new TrainSpan(20, 28, false),
                                new TrainSpan(28, 32, true)), null)));
        r.add(rec("empty-contents", Message.system(""), Message.user(""), a("", true)));
        r.add(rec("user-last", Message.system("Be terse."), Message.user("One"), a("Two", true), Message.user("Three")));
        r.add(rec("trained-user-message", Message.of(Role.USER, "Repeat after me: 🦊 I am trained too.", true),
                a("🦊 I am trained too.", true)));
        // BPE seam: a content that starts with newlines merges with the template's "\n" before it (qwen3
        // renders a non-final assistant turn verbatim; llama3 and gemma3 trim it, where the case is plain).
        // Not "  x" in qwen3's final turn: its template says content.lstrip('\n'), which Python keeps
        // spaces for and transformers.js's jinja strips all whitespace for (granular renders as Python).
        r.add(rec("seam-newlines", Message.user("Say it."), a("\n\nLeading newlines merge with the header.", true),
                Message.user("Again?"), a("Spaces  inside  too.", true)));
        // Reasoning is rendered (qwen3: <think>...</think> before the final answer) but not trained: only content is.
        r.add(rec("reasoning-content", Message.user("2+2?"), new Message(Role.ASSISTANT, "4", true, null, "Two plus two is four.")));
        return r;
    }

    static Map<String, Object> wire(Message m, String content) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("role", m.role().wireName());
        o.put("content", content);
        if (m.reasoningContent() != null) {
            o.put("reasoning_content", m.reasoningContent());
        }
        return o;
    }

    static List<Map<String, Object>> wire(TrainingRecord r, int replace) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < r.messages().size(); i++) {
            Message m = r.messages().get(i);
            out.add(wire(m, i == replace ? PROBE : m.content()));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> labelsEqualTheReferenceMask() {
        List<DynamicTest> tests = new ArrayList<>();
        List<TrainingRecord> records = records();
        for (String model : List.of("qwen3", "llama3", "llama3_1", "gemma3")) {
            Path dir = Reference.tokenizerDir(model);
            // One reference run: every record, then each record with one trained content replaced by the probe.
            List<Reference.Conversation> convs = new ArrayList<>();
            List<int[]> variantOf = new ArrayList<>();
            for (TrainingRecord r : records) {
                convs.add(new Reference.Conversation(r.id(), wire(r, -1), null, false));
            }
            for (int k = 0; k < records.size(); k++) {
                List<Message> ms = records.get(k).messages();
                for (int i = 0; i < ms.size(); i++) {
                    if (ms.get(i).train()) {
                        convs.add(new Reference.Conversation(records.get(k).id() + "/" + i, wire(records.get(k), i), null, false));
                        variantOf.add(new int[]{k, i});
                    }
                }
            }
            Reference.Result ref = Reference.run(dir, convs, List.of(), true);
            Tokenizer tokenizer = Tokenizers.load(dir.toString());
            OPEN.add(tokenizer);
            Labeler labeler = new Labeler(ChatTemplate.load(dir), tokenizer);
            for (int k = 0; k < records.size(); k++) {
                TrainingRecord r = records.get(k);
                Reference.Rendered full = ref.conversations().get(k);
                Map<Integer, String> variants = new LinkedHashMap<>();
                for (int v = 0; v < variantOf.size(); v++) {
                    if (variantOf.get(v)[0] == k) {
                        variants.put(variantOf.get(v)[1], ref.conversations().get(records.size() + v).text());
                    }
                }
                tests.add(dynamicTest(model + ": " + r.id(), () -> {
                    assertThat(full.error()).as("reference refused").isNull();
                    int[] expected = expectedLabels(r, full, variants, EOT.get(model));
                    Labeler.Result res = labeler.label(r);
                    assertThat(res).as("labelled, not refused: %s", res).isInstanceOf(LossMask.class);
                    LossMask m = (LossMask) res;
                    assertThat(m.text()).isEqualTo(full.text());
                    assertThat(m.ids()).isEqualTo(full.ids());
                    assertThat(m.labels()).as(explain(m, expected, tokenizer)).isEqualTo(expected);
                    assertEndOfTurn(r, m, EOT.get(model), tokenizer);
                }));
            }
        }
        return tests.stream();
    }

    /** The reference mask, computed from the reference renderings only. */
    static int[] expectedLabels(TrainingRecord r, Reference.Rendered full, Map<Integer, String> variants, String eot) {
        String text = full.text();
        List<int[]> trained = new ArrayList<>(); // [begin, end) UTF-16 in text
        List<Integer> eots = new ArrayList<>();
        for (var e : variants.entrySet()) {
            Message m = r.messages().get(e.getKey());
            String other = e.getValue();
            int start = commonPrefix(text, other);
            int end = text.length() - commonSuffix(text, other, start);
            String shown = text.substring(start, end);
            int lead = shown.isEmpty() ? 0 : m.content().indexOf(shown);
            assertThat(lead).as("message %d's content found in the reference rendering", e.getKey()).isGreaterThanOrEqualTo(0);
            if (m.trainDetail() == null) {
                trained.add(new int[]{start, end});
            } else {
                for (TrainSpan s : m.trainDetail()) {
                    if (s.train()) {
                        int b = m.content().offsetByCodePoints(0, s.beginOffset()) - lead + start;
                        int en = m.content().offsetByCodePoints(0, s.endOffset()) - lead + start;
                        trained.add(new int[]{Math.max(b, start), Math.min(en, end)});
                    }
                }
            }
            if (m.role() == Role.ASSISTANT) {
                assertThat(text.startsWith(eot, end)).as("%s right after message %d", eot, e.getKey()).isTrue();
                eots.add(end);
            }
        }
        int[] ends = full.tokenEnds();
        int[] ids = full.ids();
        assertThat(ends[ends.length - 1]).as("decoding the reference ids gives the rendering back").isEqualTo(text.length());
        int[] labels = new int[ids.length];
        Arrays.fill(labels, LossMask.IGNORE);
        for (int j = 0; j < ids.length; j++) {
            int b = j == 0 ? 0 : ends[j - 1];
            int e = ends[j];
            int nonEmpty = j;
            while (b == e && nonEmpty + 1 < ids.length) { // a piece of a character: judged with the token completing it
                nonEmpty++;
                e = ends[nonEmpty];
            }
            for (int[] span : trained) {
                if (b < e && b >= span[0] && e <= span[1]) {
                    labels[j] = ids[j];
                }
            }
            for (int at : eots) {
                if (b == at && e == at + eot.length()) {
                    labels[j] = ids[j];
                }
            }
        }
        return labels;
    }

    /** The end-of-turn token after each assistant content is trained exactly when the message is. */
    static void assertEndOfTurn(TrainingRecord r, LossMask m, String eot, Tokenizer tokenizer) {
        int eotId = tokenizer.encode(eot)[0];
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            if (m.ids()[i] == eotId) {
                positions.add(i);
            }
        }
        // Turns close in message order; gemma3 folds the system prompt into the first user turn.
        List<Message> turns = r.messages().stream()
                .filter(x -> !(x.role() == Role.SYSTEM && eot.equals("<end_of_turn>"))).toList();
        assertThat(positions).as("one %s per turn", eot).hasSize(turns.size());
        for (int t = 0; t < turns.size(); t++) {
            Message x = turns.get(t);
            boolean trained = x.role() == Role.ASSISTANT && x.train();
            assertThat(m.isTrained(positions.get(t))).as("%s closing turn %d (%s, train=%s)", eot, t, x.role().wireName(), x.train())
                    .isEqualTo(trained);
        }
    }

    static int commonPrefix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
            n++;
        }
        return n;
    }

    static int commonSuffix(String a, String b, int notBefore) {
        int n = 0;
        while (n < a.length() - notBefore && n < b.length() - notBefore
                && a.charAt(a.length() - 1 - n) == b.charAt(b.length() - 1 - n)) {
            n++;
        }
        return n;
    }

    static String explain(LossMask m, int[] expected, Tokenizer tokenizer) {
        StringBuilder sb = new StringBuilder("token | got | expected\n");
        for (int i = 0; i < m.size(); i++) {
            if (m.labels()[i] != expected[i]) {
                sb.append(i).append(" ").append(tokenizer.decode(new int[]{m.ids()[i]}).replace("\n", "\\n")).append(" | ")
                        .append(m.labels()[i]).append(" | ").append(expected[i]).append('\n');
            }
        }
        return sb.toString();
    }
}
