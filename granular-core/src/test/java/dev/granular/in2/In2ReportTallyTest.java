package dev.granular.in2;

import dev.granular.in2.internal.In2Report;

import dev.granular.files.OutputDirectory;
import dev.granular.files.ShardWriter;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code in2} tallies its report while it writes the records ({@link In2Report.Tally}) and reads them
 * back from disk only after a resume: both ways must give the same report, byte for byte, for every
 * field the report reads (kinds, question kinds, lengths, depths, teacher rejections, repeats).
 */
class In2ReportTallyTest {
    @TempDir
    Path dir;

    @Test
    void theTallyWhileWritingEqualsTheReportReadBackFromDisk() throws Exception {
        In2Config config = In2Config.DEFAULT.withExamples(300).withContext(1024, 4096);
        List<TrainingRecord> records = records(300, new SplittableRandom(7));
        OutputDirectory out = OutputDirectory.open(dir.resolve("out"), "in2", Map.<String, Object>of("test", 1), 100, false, List.of());
        try (ShardWriter w = out.writer()) {
            w.start();
            for (TrainingRecord r : records) {
                w.write(RecordJson.toJson(r));
            }
            w.finish();
        }
        Path summary = out.reportDir().resolve("summary.json");

        In2Report fromDisk = In2Report.build(out, config);
        String disk = Files.readString(summary);
        byte[] diskDepth = Files.readAllBytes(out.reportDir().resolve("depth.png"));
        Files.delete(summary);
        In2Report.Tally tally = new In2Report.Tally(config);
        records.forEach(tally::add);
        In2Report tallied = tally.write(out);

        assertThat(Files.readString(summary)).isEqualTo(disk);
        assertThat(Files.readAllBytes(out.reportDir().resolve("depth.png"))).isEqualTo(diskDepth);
        long singles = records.stream().filter(r -> r.meta().get("kind").equals("single")).count();
        assertThat(tallied.byKind()).isEqualTo(fromDisk.byKind()).containsEntry("single", singles);
        assertThat(tallied.contextTokens()).isEqualTo(fromDisk.contextTokens()).isPositive();
        assertThat(disk).contains("\"rejected_candidates\"").contains("\"repeated\" : 1");
    }

    /** Records shaped as in2 writes them; every tenth by a teacher with rejections, one question asked twice. */
    private static List<TrainingRecord> records(int n, SplittableRandom rnd) {
        List<TrainingRecord> out = new ArrayList<>();
        String[] kinds = {"single", "multi", "short"};
        for (int i = 0; i < n; i++) {
            String kind = i % 2 == 0 ? "single" : kinds[rnd.nextInt(3)];
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("design", "in2");
            meta.put("kind", kind);
            meta.put("qa_kind", i % 3 == 0 ? "cloze_name" : "next_word");
            meta.put("context_tokens", kind.equals("short") ? 100 + rnd.nextInt(900) : 1024 + rnd.nextInt(3000));
            List<Double> depth = new ArrayList<>();
            for (int k = 0; k < (kind.equals("multi") ? 2 : 1); k++) {
                depth.add(Math.round(rnd.nextDouble() * 1e6) / 1e6);
            }
            meta.put("depth", depth);
            meta.put("question", i == 7 ? "What is question 3?" : "What is question " + i + "?");
            if (i % 10 == 0) {
                meta.put("teacher", "openai:test");
                Map<String, Object> rejected = new LinkedHashMap<>();
                rejected.put("ambiguous", (long) (1 + rnd.nextInt(3)));
                rejected.put("duplicate", 1L);
                meta.put("qa_rejected", rejected);
            }
            out.add(new TrainingRecord(String.format("in2-%08d", i),
                    List.of(Message.user("context " + i + " é 😀"), Message.assistant("answer " + "x".repeat(rnd.nextInt(40)))), null,
                    meta));
        }
        return out;
    }
}
