package dev.granular.mix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.RecordReader;
import dev.granular.record.TrainingRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MixJobTest {
    @TempDir
    Path tmp;

    static String row(String id, String design, String user, String answer) {
        return String.format(Locale.ROOT, "{\"id\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\",\"train\":false},"
                + "{\"role\":\"assistant\",\"content\":\"%s\",\"train\":true}],\"meta\":{\"design\":\"%s\"}}", id, user, answer, design);
    }

    Path file(String name, List<String> rows) throws IOException {
        Path f = tmp.resolve(name);
        Files.write(f, rows);
        return f;
    }

    Path rows(String name, String design, int n) throws IOException {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(row(name + i, design, "Question " + name + " number " + i + "?", "Answer " + i + "."));
        }
        return file(name + ".jsonl", rows);
    }

    static List<TrainingRecord> all(Path mix) throws IOException {
        List<TrainingRecord> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(mix.resolve("data"))) {
            for (Path f : s.sorted().toList()) {
                out.addAll(RecordReader.readAll(f));
            }
        }
        return out;
    }

    static Map<String, Long> byComponent(List<TrainingRecord> rows) {
        return rows.stream().collect(Collectors.groupingBy(r -> (String) r.meta().get("component"), Collectors.counting()));
    }

    @Test
    void sharesOfATotalAreMetExactlyAndTheReportAndCardAreWritten() throws IOException {
        Path a = rows("a", "in2", 100);
        Path b = rows("b", "general", 100);
        Path out = tmp.resolve("mix");
        MixJob.Result r = MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("long", 0.7, a),
                MixJob.Component.share("general", 0.3, b)), out).withTotal(50L).withValidation(0.1));

        assertThat(r.train()).isEqualTo(45);
        assertThat(r.validation()).isEqualTo(5);
        JsonNode mixJson = new ObjectMapper().readTree(out.resolve("report/mix.json").toFile());
        List<TrainingRecord> rows = all(out);
        assertThat(byComponent(rows)).containsExactlyInAnyOrderEntriesOf(Map.of("long", 35L, "general", 15L));
        assertThat(rows).allSatisfy(t -> assertThat(t.id()).startsWith(t.meta().get("component") + "/"));
        assertThat(rows).allSatisfy(t -> assertThat(t.meta().get("source")).isEqualTo((t.meta().get("component").equals("long") ? a : b).toString()));
        assertThat(Files.list(out.resolve("data")).map(p -> p.getFileName().toString()).sorted())
                .containsExactly("train-00000.jsonl", "validation-00000.jsonl");
        // the validation split has the mix's composition: 70% of 5 rows, rounded, from "long"
        assertThat(mixJson.path("components").path("long").path("validation").asLong()).isEqualTo(4);
        assertThat(mixJson.path("components").path("general").path("validation").asLong()).isEqualTo(1);
        assertThat(out.resolve("README.md")).exists();
        assertThat(Files.readString(out.resolve("README.md"))).startsWith("---").contains("long").contains("general");
        assertThat(out.resolve("report/index.html")).exists();
        assertThat(out.resolve("manifest.json")).exists();
        assertThat(mixJson.path("removed_duplicates").path("long").asLong(-1)).isEqualTo(0);
        assertThat(mixJson.path("components").path("general").path("taken").asLong()).isEqualTo(15);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherOrder() throws IOException {
        Path a = rows("a", "in2", 60);
        Path b = rows("b", "general", 60);
        List<MixJob.Component> cs = List.of(MixJob.Component.share("x", 0.5, a), MixJob.Component.share("y", 0.5, b));
        MixJob.run(MixJob.Spec.of(cs, tmp.resolve("one")).withTotal(40L));
        MixJob.run(MixJob.Spec.of(cs, tmp.resolve("two")).withTotal(40L));
        MixJob.run(MixJob.Spec.of(cs, tmp.resolve("three")).withTotal(40L).withSeed(7));
        String one = Files.readString(tmp.resolve("one/data/train-00000.jsonl"));
        assertThat(Files.readString(tmp.resolve("two/data/train-00000.jsonl"))).isEqualTo(one);
        assertThat(Files.readString(tmp.resolve("three/data/train-00000.jsonl"))).isNotEqualTo(one);
        // rerunning into a finished folder does nothing
        MixJob.Result again = MixJob.run(MixJob.Spec.of(cs, tmp.resolve("one")).withTotal(40L));
        assertThat(again.alreadyComplete()).isTrue();
        assertThat(again.train() + again.validation()).isEqualTo(40);
    }

    @Test
    void duplicatesAcrossComponentsAfterNormalisationGoToTheFirstComponent() throws IOException {
        // "Hello  world" (two spaces), a trailing space and the decomposed é are the same content; case is not.
        Path a = file("a.jsonl", List.of(row("1", "general", "Hello  world caf\\u00e9", "Hi."), row("2", "general", "Other", "Yes.")));
        Path b = file("b.jsonl", List.of(row("1", "general", "Hello world cafe\\u0301 ", "Hi."), row("2", "general", "HELLO WORLD café", "Hi."),
                row("3", "general", "Other", "Yes."), row("4", "general", "Fresh", "New.")));
        Path out = tmp.resolve("mix");
        MixJob.Result r = MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.count("first", 2, a), MixJob.Component.count("second", 2, b)), out)
                .withValidation(0));

        assertThat(r.components().get("first").removedDuplicates()).isZero();
        assertThat(r.components().get("second").removedDuplicates()).isEqualTo(2);
        assertThat(r.components().get("second").available()).isEqualTo(2);
        List<TrainingRecord> rows = all(out);
        assertThat(rows).extracting(TrainingRecord::id).containsExactlyInAnyOrder("first/1", "first/2", "second/2", "second/4");
        JsonNode mixJson = new ObjectMapper().readTree(out.resolve("report/mix.json").toFile());
        assertThat(mixJson.path("removed_duplicates").path("second").asLong()).isEqualTo(2);
        assertThat(Files.readString(out.resolve("README.md"))).contains("second");
    }

    @Test
    void rowsSharingAnNgramWithTheEvalSetAreRemoved() throws IOException {
        String leaked = "the quick brown fox jumps over the lazy dog near the river bank";
        Path a = file("a.jsonl", List.of(row("1", "general", "Tell me: " + leaked + " today", "Ok."),
                row("2", "general", "Something else entirely", "Ok."), row("3", "general", "A third row", "Ok.")));
        Path eval = file("eval.jsonl", List.of("{\"question\":\"" + leaked + "\"}"));
        Path out = tmp.resolve("mix");
        MixJob.Result r = MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("g", 1.0, a)), out)
                .withDecontaminate(List.of(eval)).withValidation(1));
        assertThat(r.components().get("g").removedContaminated()).isEqualTo(1);
        assertThat(r.train()).isEqualTo(1);
        assertThat(r.validation()).isEqualTo(1);
        assertThat(all(out)).extracting(TrainingRecord::id).containsExactlyInAnyOrder("g/2", "g/3");
        assertThat(new ObjectMapper().readTree(out.resolve("report/mix.json").toFile()).path("removed_contaminated").path("g").asLong())
                .isEqualTo(1);
    }

    @Test
    void withoutATotalTheComponentThatRunsOutFirstSetsTheSize() throws IOException {
        Path a = rows("a", "in2", 30);
        Path b = rows("b", "general", 100);
        MixJob.Result r = MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("long", 0.6, a),
                MixJob.Component.share("short", 0.4, b)), tmp.resolve("mix")));
        assertThat(r.train() + r.validation()).isEqualTo(50);
        assertThat(r.components().get("long").taken()).isEqualTo(30);
        assertThat(r.components().get("short").taken()).isEqualTo(20);
        assertThat(r.resolution()).contains("long").contains("50 rows");
    }

    @Test
    void countsWithSharesTakeTheRest() throws IOException {
        Path a = rows("a", "in2", 100);
        Path b = rows("b", "general", 100);
        MixJob.Result r = MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.count("fixed", 30, a),
                MixJob.Component.share("rest", 0.25, b)), tmp.resolve("mix")).withValidation(0));
        assertThat(r.components().get("fixed").taken()).isEqualTo(30);
        assertThat(r.components().get("rest").taken()).isEqualTo(10);
    }

    @Test
    void tooFewRowsIsBadInputAndLeavesNothing() throws IOException {
        Path a = rows("a", "in2", 10);
        Path out = tmp.resolve("mix");
        assertThatThrownBy(() -> MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.count("small", 11, a)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("small needs 11 rows").hasMessageContaining("has 10");
        assertThat(out).doesNotExist();
        Path b = rows("b", "general", 100);
        assertThatThrownBy(() -> MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("small", 0.5, a),
                MixJob.Component.share("big", 0.5, b)), out).withTotal(40L)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("small needs 20 rows").hasMessageContaining("lower total");
        assertThatThrownBy(() -> MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("small", 0.5, a),
                MixJob.Component.share("big", 0.4, b)), out)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("sum to 1");
    }

    @Test
    void aBadRowIsNamedByFileAndLine() throws IOException {
        Path a = file("a.jsonl", List.of(row("1", "general", "Fine", "Ok."), "{\"id\": \"2\", \"messages\": []}"));
        assertThatThrownBy(() -> MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("g", 1.0, a)), tmp.resolve("mix"))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("a.jsonl:2");
        assertThat(tmp.resolve("mix")).doesNotExist();
    }

    @Test
    void chatRowsWithoutIdOrMetaAreReadAsGeneralRows() throws IOException {
        Path chat = file("chat.jsonl", List.of("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello.\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Bye\"},{\"role\":\"assistant\",\"content\":\"Goodbye.\"}]}"));
        Path out = tmp.resolve("mix");
        MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("chat", 1.0, chat)), out).withValidation(0));
        List<TrainingRecord> rows = all(out);
        assertThat(rows).extracting(TrainingRecord::id).containsExactlyInAnyOrder("chat/chat.jsonl:1", "chat/chat.jsonl:2");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.design()).isEqualTo("general");
            assertThat(r.messages().get(1).train()).isTrue();
            assertThat(r.messages().get(0).train()).isFalse();
        });
        Path bad = file("bad.jsonl", List.of("{\"messages\":[{\"role\":\"robot\",\"content\":\"Hi\"}]}"));
        assertThatThrownBy(() -> MixJob.run(MixJob.Spec.of(List.of(MixJob.Component.share("b", 1.0, bad)), tmp.resolve("m2"))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("bad.jsonl:1").hasMessageContaining("robot");
    }

    /** Long answers: the near duplicate of answer i changes one of its 120 words (Jaccard about 0.92). */
    Path stories(String name, int n, int from, boolean edited) throws IOException {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> w = dev.granular.dedup.DedupFixtures.words(from + i, 120);
            if (edited) {
                w = dev.granular.dedup.DedupFixtures.edited(w, 1);
            }
            rows.add(row(name + i, "general", "Tell story " + (from + i), String.join(" ", w)));
        }
        return file(name + ".jsonl", rows);
    }

    @Test
    void nearDedupRemovesNearDuplicatesAcrossComponentsOnlyWhenAsked() throws IOException {
        Path a = stories("a", 20, 0, false);
        Path b = stories("b", 20, 10, true); // b0..b9 are near duplicates of a10..a19, b10..b19 are new
        List<MixJob.Component> cs = List.of(MixJob.Component.share("first", 0.5, a), MixJob.Component.share("second", 0.5, b));

        Path off = tmp.resolve("off");
        MixJob.Result plain = MixJob.run(MixJob.Spec.of(cs, off).withValidation(0));
        assertThat(plain.components().get("second").available()).isEqualTo(20);
        String offJson = Files.readString(off.resolve("report/mix.json"));
        assertThat(offJson).doesNotContain("near");
        assertThat(Files.readString(off.resolve("report/mix-stats.json"))).doesNotContain("near");

        Path on = tmp.resolve("on");
        MixJob.Result near = MixJob.run(MixJob.Spec.of(cs, on).withValidation(0)
                .withNearDedup(dev.granular.dedup.NearDedupConfig.DEFAULT.withThreshold(0.8)));
        assertThat(near.components().get("first").removedNearDuplicates()).isZero();
        assertThat(near.components().get("second").removedNearDuplicates()).isEqualTo(10);
        assertThat(near.components().get("second").available()).isEqualTo(10);
        JsonNode mixJson = new ObjectMapper().readTree(on.resolve("report/mix.json").toFile());
        assertThat(mixJson.path("removed_near_duplicates").path("second").asLong()).isEqualTo(10);
        assertThat(mixJson.path("components").path("second").path("removed_near_duplicates").asLong()).isEqualTo(10);
        assertThat(mixJson.path("near_dedup").path("threshold").asDouble()).isEqualTo(0.8);
        JsonNode stats = new ObjectMapper().readTree(on.resolve("report/mix-stats.json").toFile());
        assertThat(stats.path("components").path("second").path("removed_near_duplicates").asLong()).isEqualTo(10);
        assertThat(Files.readString(on.resolve("report/index.html"))).contains("near duplicates removed");
        assertThat(Files.readString(on.resolve("README.md"))).contains("Near duplicates removed by the mixer").contains("second 10");
        assertThat(Files.readString(off.resolve("README.md"))).doesNotContain("Near duplicates");
        assertThat(all(on)).extracting(TrainingRecord::id).noneMatch(id -> id.matches("second/b[0-9]"));
    }
}
