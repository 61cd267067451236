package dev.granular.corpus.reader;

import dev.granular.corpus.Document;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundledCorpusTest {
    @Test
    void loadsTheWholeSampleInOrder() {
        List<Document> docs = new ArrayList<>();
        BundledCorpus.forEach(docs::add);

        assertThat(docs).hasSizeGreaterThan(50).hasSize(BundledCorpus.names().size());
        long bytes = docs.stream().mapToLong(d -> d.text().getBytes(StandardCharsets.UTF_8).length).sum();
        assertThat(bytes).isGreaterThan(3_000_000);
        assertThat(docs.getFirst().id()).isEqualTo("sotu/1791_george_washington_n.txt");
        assertThat(docs.getFirst().origin()).isEqualTo("bundled:sotu/1791_george_washington_n.txt");
        assertThat(docs.getFirst().text()).startsWith("Fellow-Citizens of the Senate and House of Representatives");
        assertThat(docs).extracting(Document::id).isSorted().doesNotHaveDuplicates();
        assertThat(docs).allSatisfy(d -> assertThat(d.text()).isNotBlank().doesNotContain("\r"));
    }

    @Test
    void fingerprintIsStable() {
        String fingerprint = BundledCorpus.fingerprint();
        assertThat(fingerprint).hasSize(64).isEqualTo(BundledCorpus.fingerprint());
    }
}
