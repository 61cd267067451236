package dev.granular.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DedupJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static TrainingRecord rec(String id, String user, String answer) {
        return new TrainingRecord(id, List.of(Message.user(user), Message.assistant(answer)), null, Map.of("design", "test"));
    }

    static String story(int seed) {
        return String.join(" ", NearDuplicatesTest.words(seed, 120));
    }

    /**
     * Rows with every fate: r0..r9 distinct; d1 an exact duplicate of r1 up to spacing; n2 a near duplicate of r2 (two
     * words changed); c3 contaminated (it quotes the evaluation text); n2b a near duplicate of n2 and r2.
     */
    static List<TrainingRecord> rows() {
        List<TrainingRecord> r = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            r.add(rec("r" + i, "Tell me story " + i + ".", story(i)));
        }
        r.add(rec("d1", "Tell me   story 1.", story(1) + "  "));
        List<String> w = NearDuplicatesTest.edited(NearDuplicatesTest.words(2, 120), 2);
        r.add(rec("n2", "Tell me story 2.", String.join(" ", w)));
        r.add(rec("c3", "Quote: the evaluation answer is forty two point seven and nothing else at all.", "ok"));
        r.add(rec("n2b", "Tell me story 2!", String.join(" ", w).toUpperCase()));
        r.add(rec("z", "Last one.", "Bye."));
        return r;
    }

    Path write(String name, List<TrainingRecord> rows) throws IOException {
        Path f = tmp.resolve(name);
        StringBuilder sb = new StringBuilder();
        rows.forEach(r -> sb.append(RecordJson.toJson(r)).append('\n'));
        Files.writeString(f, sb.toString());
        return f;
    }

    Path eval() throws IOException {
        Path f = tmp.resolve("eval.jsonl");
        Files.writeString(f, "{\"answer\": \"The evaluation answer is forty-two point seven and nothing else.\"}\n");
        return f;
    }

    static List<String> keptIds(Path out) throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<TrainingRecord> s = RecordReader.read(out)) {
            s.forEach(r -> ids.add(r.id()));
        }
        return ids;
    }

    @Test
    void removesContaminatedExactAndNearDuplicatesKeepingTheFirstInInputOrder() throws IOException {
        List<TrainingRecord> all = rows();
        Path a = write("a.jsonl", all.subList(0, 8));
        Path b = write("b.jsonl", all.subList(8, all.size()));
        Path out = tmp.resolve("out");
        DedupJob.Result r = DedupJob.run(DedupJob.Spec.of(List.of(a, b), out).withShardSize(4)
                .withConfig(DedupConfig.DEFAULT.withNearThreshold(0.8).withDecontaminate(List.of(eval()))));

        assertThat(keptIds(out)).containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "z");
        assertThat(Files.readString(out.resolve("data/part-00000.jsonl"))).isEqualTo(
                all.subList(0, 4).stream().map(t -> RecordJson.toJson(t) + "\n").reduce("", String::concat));
        assertThat(r.counts()).isEqualTo(new Dedup.Counts(15, 11, 1, 1, 2));
        List<JsonNode> removed = Files.readAllLines(out.resolve("removed.jsonl")).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }).toList();
        assertThat(removed).extracting(n -> n.path("id").asText()).containsExactly("d1", "n2", "c3", "n2b");
        assertThat(removed).extracting(n -> n.path("reason").asText())
                .containsExactly("duplicate", "near_duplicate", "contaminated", "near_duplicate");
        assertThat(removed).extracting(n -> n.path("of").asText()).containsExactly("r1", "r2", "", "r2");
        assertThat(removed.get(0).path("source").asText()).isEqualTo(b + ":3");
        assertThat(removed.get(1).path("jaccard").asDouble()).isGreaterThanOrEqualTo(0.8).isLessThan(1);
        assertThat(removed.get(2).has("of")).isFalse();
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.path("counts").path("removed_near_duplicates").asLong()).isEqualTo(2);
        assertThat(manifest.path("near").path("bands").asInt()).isEqualTo(14);

        DedupJob.Result again = DedupJob.run(DedupJob.Spec.of(List.of(a, b), out).withShardSize(4)
                .withConfig(DedupConfig.DEFAULT.withNearThreshold(0.8).withDecontaminate(List.of(eval()))));
        assertThat(again.alreadyComplete()).isTrue();
        assertThat(again.counts()).isEqualTo(r.counts());
    }

    @Test
    void withoutNearDedupOnlyExactDuplicatesGo() throws IOException {
        Path in = write("in.jsonl", rows());
        Path out = tmp.resolve("out");
        DedupJob.run(DedupJob.Spec.of(List.of(in), out));
        assertThat(keptIds(out)).contains("n2", "n2b", "c3").doesNotContain("d1");
    }

    @Test
    void theStreamingApiKeepsWhatTheJobKeeps() throws IOException {
        Dedup dedup = Dedup.of(DedupConfig.DEFAULT.withNearThreshold(0.8));
        assertThat(dedup.keep(rows().stream()).map(TrainingRecord::id).toList())
                .containsExactly("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "c3", "z");
        assertThat(dedup.counts().nearDuplicates()).isEqualTo(2);
    }

    @Test
    void aBadLineIsNamedAndLeavesNoOutput() throws IOException {
        Path in = tmp.resolve("bad.jsonl");
        Files.writeString(in, RecordJson.toJson(rows().getFirst()) + "\n{not json\n");
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> DedupJob.run(DedupJob.Spec.of(List.of(in), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining(in + ":2");
        assertThat(out.resolve("manifest.json")).doesNotExist();
        assertThat(out.resolve("removed.jsonl")).doesNotExist();
    }
}
