package dev.granular.probe.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granular.io.BadInputException;
import dev.granular.probe.ProbeConfig;
import dev.granular.probe.ProbeTask;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Probe construction: targets where the positions say, exact token counts, ambiguity swaps. */
class ProbeBuilderTest {
    static Tokenizer tok;
    static TokenCounter counter;

    @BeforeAll
    static void load() {
        tok = Tokenizers.load("o200k_base");
        counter = new TokenCounter(tok);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void everyTargetIsTheItemNearestToItsDepth() {
        ProbeSet s = ProbeBuilder.build(ProbeFixtures.sentences(400), counter, ProbeFixtures.config(2000, 40, 10, 1), 0);
        assertThat(s.targets()).hasSize(40);
        for (ProbeSet.Target t : s.targets()) {
            double want = (double) t.position() / 40 * s.contextTokens();
            for (int i = 0; i < s.items().size(); i++) {
                assertThat(Math.abs(s.starts()[t.item()] - want)).as("position %d", t.position())
                        .isLessThanOrEqualTo(Math.abs(s.starts()[i] - want));
            }
            assertThat(t.depth()).isEqualTo((double) s.starts()[t.item()] / s.contextTokens());
        }
        assertThat(s.targets().get(0).item()).isZero();
        assertThat(s.targets().get(39).depth()).isBetween(0.9, 1.0);
        // The starts are the real token offsets: the context up to an item tokenizes to its start.
        ProbeSet.Target mid = s.targets().get(20);
        String before = String.join(TokenCounter.SEP, s.items().subList(0, mid.item()).stream().map(Item::text).toList());
        assertThat(counter.unit(before)).isEqualTo(s.starts()[mid.item()]);
    }

    @Test
    void contextTokensAreExactAndFillTheBudget() {
        List<Item> pool = ProbeFixtures.sentences(400);
        ProbeSet s = ProbeBuilder.build(pool, counter, ProbeFixtures.config(2000, 40, 10, 1), 0);
        assertThat(counter.midText(s.context())).isEqualTo(s.contextTokens());
        assertThat(s.contextTokens()).isLessThanOrEqualTo(2000);
        int largestItem = pool.stream().mapToInt(i -> counter.unit(i.text())).max().orElseThrow();
        assertThat(2000 - s.contextTokens()).as("room left is less than one item").isLessThan(largestItem);
    }

    @Test
    void setsDifferAndTheSameSeedRebuildsTheSameSet() {
        List<Item> pool = ProbeFixtures.sentences(400);
        ProbeConfig cfg = ProbeFixtures.config(1000, 20, 5, 2);
        ProbeSet a = ProbeBuilder.build(pool, counter, cfg, 0);
        assertThat(ProbeBuilder.build(pool, counter, cfg, 0).context()).isEqualTo(a.context());
        assertThat(ProbeBuilder.build(pool, counter, cfg, 1).context()).isNotEqualTo(a.context());
    }

    @Test
    void ambiguousTargetsAreSwappedForUnusedItemsAndCounted() {
        // Every third item gets a twin elsewhere in the pool that contains its piece.
        List<Item> pool = new ArrayList<>(ProbeFixtures.sentences(300));
        for (int i = 0; i < 300; i += 3) {
            Item.Sentence s = (Item.Sentence) pool.get(i);
            pool.add(new Item.Sentence("Another line repeats " + s.piece() + " word for word " + i + ".", "word for word " + i + "."));
        }
        ProbeSet s = ProbeBuilder.build(pool, counter, ProbeFixtures.config(3000, 200, 10, 1), 0);
        assertThat(s.swaps()).isPositive();
        for (ProbeSet.Target t : s.targets()) {
            String fragment = s.items().get(t.item()).fragment();
            assertThat(s.items().stream().filter(i -> i.text().contains(fragment)).count())
                    .as("position %d", t.position()).isEqualTo(1);
        }
        assertThat(counter.midText(s.context())).isEqualTo(s.contextTokens());
        assertThat(s.contextTokens()).isLessThanOrEqualTo(3000);
    }

    @Test
    void databaseIdsAreNotFoundInsideLongerIds() {
        List<Item> ctx = List.of(new Item.Entity("Q12", "A", "x"), new Item.Entity("Q123", "B", "y"));
        assertThat(ProbeBuilder.ambiguity(ctx)).containsExactly(1, 1);
        List<Item> dup = List.of(new Item.Entity("Q12", "A", "x"), new Item.Entity("Q12", "B", "y"));
        assertThat(ProbeBuilder.ambiguity(dup)).containsExactly(2, 2);
    }

    @Test
    void aPoolTooSmallForTheContextIsBadInput() {
        assertThatThrownBy(() -> ProbeBuilder.build(ProbeFixtures.sentences(10), counter, ProbeFixtures.config(2000, 10, 5, 1), 0))
                .isInstanceOf(BadInputException.class).hasMessageContaining("too few items to fill contextTokens ");
    }

    @Test
    void probeRecordsCarryTheMetaTheScorerNeeds() {
        ProbeConfig cfg = ProbeFixtures.config(1000, 20, 5, 1);
        ProbeSet s = ProbeBuilder.build(ProbeFixtures.sentences(200), counter, cfg, 0);
        ProbeSet.Target t = s.targets().get(9);
        var r = ProbeRecords.val(ProbeTask.DOCUMENT, s, s.context(), t, cfg);
        Item target = s.items().get(t.item());
        assertThat(r.id()).isEqualTo("probe-document-0-00009");
        assertThat(r.messages()).hasSize(1);
        assertThat(r.messages().get(0).content()).contains(s.context()).endsWith(target.question());
        assertThat(r.meta()).containsEntry("design", "probe").containsEntry("task", "document").containsEntry("position", 9)
                .containsEntry("set", 0).containsEntry("bin", 1).containsEntry("context_tokens", s.contextTokens())
                .containsEntry("gold", target.text());
    }
}
