package dev.granular.cli;

import static dev.granular.cli.In2Fixtures.granular;
import static dev.granular.cli.In2Fixtures.in2;
import static dev.granular.cli.In2Fixtures.manifest;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --exclude}: a corpus document sharing a word 10-gram with evaluation data never reaches a record. */
class In2DecontaminationTest {
    static final String MARKER = "Quillonbury";

    @TempDir
    Path tmp;

    @Test
    void aDocumentSharingATenGramWithTheEvalDataIsDropped() throws IOException {
        Path corpus = In2Fixtures.corpus(tmp.resolve("corpus"), 300, 17);
        // One document carries a marker word and, in the middle, a sentence the evaluation data quotes.
        Path victim = corpus.resolve("doc-0123.txt");
        String text = Files.readString(victim);
        String tainted = "The " + MARKER + " Observatory logged 4417 comets over Farrowdale in 1843.\n\n"
                + text + "\n\nIn the spring the keepers of the old lighthouse counted seven hundred gulls on the "
                + "northern rocks near " + MARKER + " Point.\n";
        Files.writeString(victim, tainted);
        // Different case, punctuation and spacing: still the same words in the same order.
        Path eval = tmp.resolve("eval.jsonl");
        Files.writeString(eval, "{\"question\": \"KEEPERS of the Old-Lighthouse, counted seven-hundred GULLS... on the "
                + "northern rocks?\", \"answer\": \"yes\"}\n");
        Path general = In2Fixtures.general(tmp.resolve("general.jsonl"));
        Path out = tmp.resolve("out");

        // more examples than usual, so that with the marker's document kept it would very likely show up
        In2Fixtures.Run run = granular(in2(corpus, general, out, "--exclude", eval.toString(), "--examples", "120",
                "--shard-size", "50"));

        assertThat(run.code()).as(run.all()).isZero();
        JsonNode m = manifest(out);
        assertThat(m.path("corpus").path("decontaminated").asLong()).isEqualTo(1);
        assertThat(m.path("corpus").path("documents").asLong()).isEqualTo(300);
        assertThat(m.path("inputs").path("exclude_sha256").asText()).matches("[0-9a-f]{64}");
        for (JsonNode r : In2Fixtures.records(out)) {
            assertThat(r.toString()).as(r.path("id").asText()).doesNotContain(MARKER).doesNotContain("Farrowdale");
        }

        // control: without --exclude the same document does reach the records
        Path control = tmp.resolve("control");
        assertThat(granular(in2(corpus, general, control, "--examples", "120", "--shard-size", "50")).code()).isZero();
        assertThat(manifest(control).path("corpus").path("decontaminated").asLong()).isZero();
        List<JsonNode> all = In2Fixtures.records(control);
        assertThat(all.stream().anyMatch(r -> r.toString().contains(MARKER))).as("marker used without --exclude").isTrue();
    }
}
