package dev.granular.in2;

import dev.granular.in2.internal.Context;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;

import dev.granular.corpus.Document;
import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainingRecord;
import dev.granular.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.granular.in2.In2Fixtures.cpSlice;
import static dev.granular.in2.In2Fixtures.list;
import static dev.granular.in2.In2Fixtures.toInt;
import static org.assertj.core.api.Assertions.assertThat;

/** Whole examples from In2Design over a synthetic store: every number in meta checks out against the text. */
class AssemblyTest {
    static final int SEG = 32;
    static final int MIN = 600;
    static final int MAX = 2400;
    static final int MAX_DOC = 256;
    static final String PREFIX = "Read the text below and answer the question that follows it, using only what the text says.\n\n";
    static final String QUESTION = "\n\nQuestion: ";
    static final Pattern MARKER = Pattern.compile("zq(\\d+)k");

    @TempDir
    static Path dir;
    static Tokenizer tok;
    static SegmentTokens tokens;
    static SegmentStore store;
    static Map<String, List<Integer>> segmentsByText = new HashMap<>();

    static In2Config config(long n, String mix, long seed) {
        return new In2Config(n, SEG, MIN, MAX, Mix.parse(mix), MAX_DOC, PromptTemplate.DEFAULT, null, seed);
    }

    @BeforeAll
    static void build() {
        tok = In2Fixtures.tokenizer("o200k_base");
        tokens = new SegmentTokens(tok);
        List<Document> docs = In2Fixtures.corpus(21, 160, true, true);
        store = In2Fixtures.build(dir, tokens, docs, SEG, MAX_DOC);
        for (int s = 0; s < store.segments(); s++) {
            segmentsByText.computeIfAbsent(store.segText(s), k -> new ArrayList<>()).add(s);
        }
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    static String context(TrainingRecord r) {
        String user = r.messages().stream().filter(m -> m.role() == Role.USER).map(Message::content).findFirst().orElseThrow();
        assertThat(user).startsWith(PREFIX);
        return user.substring(PREFIX.length(), user.lastIndexOf(QUESTION));
    }

    static String user(TrainingRecord r) {
        return r.messages().get(0).content();
    }

    @Test
    void metaMatchesTheText() {
        In2Design design = new In2Design(store, tokens, config(300, "single=0.6,multi=0.3,short=0.1", 5), List.of());
        Map<String, Integer> perKind = new HashMap<>();
        for (long i = 0; i < design.size(); i++) {
            TrainingRecord r = design.example(i);
            Map<String, Object> meta = r.meta();
            String kind = (String) meta.get("kind");
            perKind.merge(kind, 1, Integer::sum);
            String user = user(r);
            String context = context(r);
            int contextCp = PREFIX.codePointCount(0, PREFIX.length());
            int contextTokens = tokens.midText(context).length;
            assertThat(toInt(meta.get("context_tokens"))).as(r.id()).isEqualTo(contextTokens);
            if (!kind.equals("short")) {
                assertThat(contextTokens).as(r.id()).isBetween(MIN, MAX);
                assertThat(contextTokens).as("context within its drawn target").isLessThanOrEqualTo(toInt(meta.get("target_tokens")));
            }
            assertThat(r.messages().get(1).role()).isEqualTo(Role.ASSISTANT);
            // key spans: code points of the user message that are exactly one stored segment, of the source document
            List<Object> keySpans = list(meta.get("key_char_spans"));
            List<Object> depth = list(meta.get("depth"));
            assertThat(depth).hasSameSizeAs(keySpans);
            List<String> keyTexts = new ArrayList<>();
            for (int k = 0; k < keySpans.size(); k++) {
                List<Object> span = list(keySpans.get(k));
                int b = toInt(span.get(0));
                int e = toInt(span.get(1));
                String key = cpSlice(user, b, e);
                keyTexts.add(key);
                assertThat(segmentsByText).as("%s key span %s is a segment", r.id(), span).containsKey(key);
                assertThat(segmentsByText.get(key).stream().map(s -> store.parentName(store.segParent(s))))
                        .contains((String) meta.get("source"));
                // the segment stands on its own in the context: at its start or after a paragraph break
                String before = cpSlice(user, contextCp, b);
                if (kind.equals("short")) {
                    assertThat(before.isEmpty() || Character.isWhitespace(before.charAt(before.length() - 1))).isTrue();
                } else {
                    assertThat(before.isEmpty() || before.endsWith("\n\n")).as(r.id()).isTrue();
                }
                double d = ((Number) depth.get(k)).doubleValue();
                assertThat(d).isGreaterThanOrEqualTo(0).isLessThan(1);
                int tokensBefore = before.isEmpty() ? 0 : tokens.midText(before).length;
                assertThat(d).as("%s depth", r.id()).isCloseTo((double) tokensBefore / contextTokens, org.assertj.core.data.Offset.offset(1e-6));
            }
            // evidence spans cut out exactly the evidence, each inside a key segment
            String[] evidence = ((String) meta.get("evidence")).split("\n", -1);
            List<Object> evSpans = list(meta.get("evidence_spans"));
            assertThat(evSpans).hasSize(evidence.length);
            for (int k = 0; k < evidence.length; k++) {
                List<Object> span = list(evSpans.get(k));
                int b = toInt(span.get(0));
                int e = toInt(span.get(1));
                assertThat(cpSlice(user, b, e)).as(r.id()).isEqualTo(evidence[k]);
                boolean inside = false;
                for (Object ks : keySpans) {
                    inside |= toInt(list(ks).get(0)) <= b && e <= toInt(list(ks).get(1));
                }
                assertThat(inside).as("%s evidence %d inside a key segment", r.id(), k).isTrue();
            }
            String source = (String) meta.get("source");
            String sourceMarker = "zq" + source.substring("doc-".length()) + "k";
            if (kind.equals("single")) {
                assertThat(keySpans).hasSize(1);
                // fillers never come from the key's parent: its marker appears only inside the key segment
                String key = keyTexts.get(0);
                String rest = context.replace(key, "");
                assertThat(rest).as("%s: a filler from %s", r.id(), source).doesNotContain(sourceMarker);
            } else if (kind.equals("multi")) {
                List<Object> docSlots = list(meta.get("doc_segments"));
                List<Object> keySlots = list(meta.get("key_segments"));
                assertThat(docSlots.size()).isGreaterThanOrEqualTo(2);
                for (int k = 1; k < docSlots.size(); k++) {
                    assertThat(toInt(docSlots.get(k))).as("document order kept").isGreaterThan(toInt(docSlots.get(k - 1)));
                }
                assertThat(docSlots).containsAll(keySlots);
                assertThat(keySlots).hasSameSizeAs(keySpans);
                // the key's pseudo-document: all its segments are in the context, in order, and nothing else of the parent
                int seg = segmentsByText.get(keyTexts.get(0)).get(0);
                int d = store.segDoc(seg);
                assertThat(store.docSegCount(d)).isEqualTo(docSlots.size());
                String rest = context;
                int at = -1;
                for (int s = store.docFirstSeg(d); s < store.docFirstSeg(d) + store.docSegCount(d); s++) {
                    int found = context.indexOf(store.segText(s), at + 1);
                    assertThat(found).as("%s doc segment %d in order", r.id(), s).isGreaterThan(at);
                    at = found;
                    rest = rest.replace(store.segText(s), "");
                }
                assertThat(rest).as("%s: a filler from %s", r.id(), source).doesNotContain(sourceMarker);
            } else {
                assertThat(kind).isEqualTo("short");
                assertThat(context).contains(keyTexts.get(0));
                Matcher m = MARKER.matcher(context);
                while (m.find()) {
                    assertThat(m.group()).isEqualTo(sourceMarker);
                }
            }
        }
        System.out.println("assembly examples per kind: " + perKind);
        assertThat(perKind).containsEntry("single", 180).containsEntry("multi", 90).containsEntry("short", 30);
    }

    /** assemble() directly: fillers from other parents only, keys in order, the target respected. */
    @Test
    void assembleDrawsFillersFromOtherParents() {
        In2Design design = new In2Design(store, tokens, config(10, "single=1", 1), List.of());
        SplittableRandom r = new SplittableRandom(77);
        for (int round = 0; round < 300; round++) {
            int d = r.nextInt(store.docs());
            List<Integer> keys = new ArrayList<>();
            for (int s = store.docFirstSeg(d); s < store.docFirstSeg(d) + store.docSegCount(d); s++) {
                keys.add(s);
            }
            if (r.nextBoolean()) {
                keys = List.of(keys.get(r.nextInt(keys.size())));
            }
            int target = MIN + r.nextInt(MAX - MIN + 1);
            Context ctx = design.assemble(keys, target, r);
            int parent = store.docParent(d);
            int last = -1;
            for (int i = 0; i < ctx.segments().length; i++) {
                int s = ctx.segments()[i];
                if (keys.contains(s)) {
                    assertThat(keys.indexOf(s)).isEqualTo(last + 1);
                    last++;
                } else {
                    assertThat(store.segParent(s)).isNotEqualTo(parent);
                }
            }
            assertThat(last).isEqualTo(keys.size() - 1);
            assertThat(ctx.tokens()).isBetween(MIN, target);
            assertThat(ctx.ids()).containsExactly(tokens.midText(ctx.text()));
            assertThat(ctx.ids()).containsExactly(tok.encode(ctx.text()));
        }
    }
}
