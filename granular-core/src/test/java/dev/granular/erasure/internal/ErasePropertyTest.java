package dev.granular.erasure.internal;

import dev.granular.erasure.EraseFormat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.granular.record.internal.JsonlInput;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import dev.granular.report.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Erasing a system prompt is surgery on one message: for random canonical records (random
 * train flags, train_detail spans, reasoning_content, tools, meta), {@code erase} changes the
 * system message and nothing else, and adds its own meta without losing any of the row's.
 */
class ErasePropertyTest {
    static final String GENERIC = "Answer carefully.";
    static final Path FILE = Path.of("in.jsonl");
    static final List<String> ERASURE_KEYS = List.of("design", "erased_label", "erased_sha256", "input_format", "source");

    @Test
    void eraseChangesOnlyTheSystemMessageAndExtendsMeta() {
        for (long seed = 0; seed < 500; seed++) {
            Random rnd = new Random(seed);
            TrainingRecord in = randomRecord(rnd, seed);
            for (EraseFormat format : List.of(EraseFormat.AUTO, EraseFormat.MESSAGES)) {
                EraseInput.Row row = EraseInput.parse(RecordJson.toJson(in), new JsonlInput.Line(FILE.toString(), seed + 1), seed, format);
                TrainingRecord out = ErasedRecords.erase(row, GENERIC);
                String at = "seed " + seed + " " + format + ": " + RecordJson.toJson(in);

                assertThat(out.id()).as(at).isEqualTo(in.id());
                assertThat(out.tools()).as(at).isEqualTo(in.tools());
                assertThat(out.messages().stream().filter(m -> m.role() == Role.SYSTEM).toList()).as(at)
                        .containsExactly(Message.system(GENERIC));
                assertThat(withoutSystem(out.messages())).as(at).isEqualTo(withoutSystem(in.messages()));
                int firstSystem = firstSystem(in.messages());
                assertThat(out.messages().get(firstSystem < 0 ? 0 : firstSystem)).as(at + ": the system message stays where it was")
                        .isEqualTo(Message.system(GENERIC));

                String erased = String.join("\n\n", in.messages().stream().filter(m -> m.role() == Role.SYSTEM)
                        .map(Message::content).filter(c -> !c.isBlank()).toList());
                assertThat(out.meta()).as(at).containsEntry("design", "erasure")
                        .containsEntry("erased_sha256", erased.isEmpty() ? null : Json.sha256Hex(erased))
                        .containsEntry("erased_label", ErasedRecords.label(erased))
                        .containsEntry("input_format", "messages")
                        .containsEntry("source", "in.jsonl:" + (seed + 1));
                in.meta().forEach((k, v) -> {
                    if (ERASURE_KEYS.contains(k) && !java.util.Objects.equals(out.meta().get(k), v)) {
                        assertThat(out.meta()).as(at + ": meta." + k + " is kept under original_" + k)
                                .containsEntry("original_" + k, v);
                    } else {
                        assertThat(out.meta()).as(at + ": meta." + k + " is kept").containsEntry(k, v);
                    }
                });
                // the output is itself a valid canonical record, and erasing it again is stable
                TrainingRecord again = ErasedRecords.erase(EraseInput.parse(RecordJson.toJson(out), new JsonlInput.Line(FILE.toString(), seed + 1), seed, format), GENERIC);
                assertThat(again.messages()).as(at).isEqualTo(out.messages());
            }
        }
    }

    @Test
    void anUntrainedAssistantTurnWithTrainDetailSurvives() {
        String line = "{\"id\":\"r1\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Think step by step.\",\"train\":false},"
                + "{\"role\":\"user\",\"content\":\"Q\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"wrong\",\"train\":false},"
                + "{\"role\":\"user\",\"content\":\"Check it.\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"abcdef\",\"train\":true,\"train_detail\":["
                + "{\"begin_offset\":0,\"end_offset\":3,\"train\":false},{\"begin_offset\":3,\"end_offset\":6,\"train\":true}]}],"
                + "\"meta\":{\"design\":\"selfcorrect\",\"source\":\"gsm8k:17\",\"note\":\"keep me\"}}";
        TrainingRecord out = ErasedRecords.erase(EraseInput.parse(line, new JsonlInput.Line(FILE.toString(), 4), 3, EraseFormat.AUTO), GENERIC);
        assertThat(out.messages().get(2)).isEqualTo(Message.of(Role.ASSISTANT, "wrong", false));
        assertThat(out.messages().get(4).trainDetail()).containsExactly(new TrainSpan(0, 3, false), new TrainSpan(3, 6, true));
        assertThat(out.meta()).containsEntry("note", "keep me").containsEntry("original_design", "selfcorrect")
                .containsEntry("original_source", "gsm8k:17").containsEntry("source", "in.jsonl:4");
    }

    @Test
    void aPlainMessagesRowKeepsAnExplicitTrainFalse() {
        String line = "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Q\"},"
                + "{\"role\":\"assistant\",\"content\":\"draft\",\"train\":false},{\"role\":\"user\",\"content\":\"Again.\"},"
                + "{\"role\":\"assistant\",\"content\":\"final\"}]}";
        TrainingRecord out = ErasedRecords.erase(EraseInput.parse(line, new JsonlInput.Line(FILE.toString(), 1), 0, EraseFormat.AUTO), GENERIC);
        assertThat(out.messages()).containsExactly(Message.system(GENERIC), Message.user("Q"),
                Message.of(Role.ASSISTANT, "draft", false), Message.user("Again."), Message.assistant("final"));
    }

    @Test
    void aMessagesRowWithAMetaOfItsOwnKeepsIt() {
        // meta without "design" is not a granular record: read as a messages row, its meta kept
        String line = "{\"id\":\"u7\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"Q\"},"
                + "{\"role\":\"assistant\",\"content\":\"A\"}],\"meta\":{\"origin\":\"crm\",\"score\":3}}";
        TrainingRecord out = ErasedRecords.erase(EraseInput.parse(line, new JsonlInput.Line(FILE.toString(), 2), 1, EraseFormat.AUTO), GENERIC);
        assertThat(out.messages()).containsExactly(Message.system(GENERIC), Message.user("Q"), Message.assistant("A"));
        assertThat(out.meta()).containsEntry("origin", "crm").containsEntry("score", 3).containsEntry("design", "erasure");
    }

    static List<Message> withoutSystem(List<Message> msgs) {
        return msgs.stream().filter(m -> m.role() != Role.SYSTEM).toList();
    }

    static int firstSystem(List<Message> msgs) {
        for (int i = 0; i < msgs.size(); i++) {
            if (msgs.get(i).role() == Role.SYSTEM) {
                return i;
            }
        }
        return -1;
    }

    static TrainingRecord randomRecord(Random rnd, long seed) {
        List<Message> msgs = new ArrayList<>();
        int turns = 1 + rnd.nextInt(3);
        for (int t = 0; t < turns; t++) {
            msgs.add(randomMessage(rnd, Role.USER));
            msgs.add(randomMessage(rnd, Role.ASSISTANT));
        }
        int systems = rnd.nextInt(4) == 0 ? 0 : 1 + (rnd.nextInt(5) == 0 ? 1 : 0);
        for (int s = 0; s < systems; s++) {
            // mostly first, sometimes later in the conversation
            int at = s == 0 && rnd.nextInt(4) != 0 ? 0 : rnd.nextInt(msgs.size() + 1);
            msgs.add(at, randomMessage(rnd, Role.SYSTEM));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("design", List.of("in2", "selfcorrect", "erasure", "custom").get(rnd.nextInt(4)));
        if (rnd.nextBoolean()) {
            meta.put("source", "upstream:" + rnd.nextInt(100));
        }
        if (rnd.nextBoolean()) {
            meta.put("erased_label", "an earlier erasure");
        }
        for (int k = rnd.nextInt(4); k > 0; k--) {
            meta.put("k" + rnd.nextInt(10), rnd.nextBoolean() ? List.of(rnd.nextInt(9), "x") : Map.of("nested", rnd.nextDouble()));
        }
        List<Object> tools = rnd.nextInt(3) == 0 ? List.of(Map.of("type", "function", "name", "f" + rnd.nextInt(5))) : null;
        return new TrainingRecord("rec-" + seed, msgs, tools, meta);
    }

    static Message randomMessage(Random rnd, Role role) {
        String content = randomText(rnd, role == Role.SYSTEM && rnd.nextInt(6) == 0 ? 0 : 1 + rnd.nextInt(30));
        String reasoning = role == Role.ASSISTANT && rnd.nextBoolean() ? randomText(rnd, 1 + rnd.nextInt(20)) : null;
        int length = content.codePointCount(0, content.length());
        if (length > 0 && rnd.nextInt(3) == 0) {
            List<TrainSpan> spans = new ArrayList<>();
            int begin = 0;
            boolean any = false;
            while (begin < length) {
                int end = begin + 1 + rnd.nextInt(length - begin);
                boolean train = rnd.nextBoolean();
                spans.add(new TrainSpan(begin, end, train));
                any |= train;
                begin = end;
            }
            return new Message(role, content, any, spans, reasoning);
        }
        return new Message(role, content, rnd.nextBoolean(), null, reasoning);
    }

    static String randomText(Random rnd, int codePoints) {
        StringBuilder b = new StringBuilder();
        String alphabet = "abc de\nfg.é漢";
        for (int i = 0; i < codePoints; i++) {
            if (rnd.nextInt(20) == 0) {
                b.appendCodePoint(0x1F600 + rnd.nextInt(10)); // outside the BMP: offsets count code points
            } else {
                b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
        }
        return b.toString();
    }
}
