package dev.granular.in2;

import dev.granular.in2.internal.Context;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentTokens;

import dev.granular.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The claim the whole design rests on: a context's ids, built by concatenating stored segment
 * slices, are exactly the ids of its text, for every tokenizer we support.
 */
class SliceJoinPropertyTest {
    static final List<String> IDS = In2Fixtures.TOKENIZERS;
    static final int SEGMENT_TOKENS = 24;
    static final int ORDERINGS = 300;

    @TempDir
    static Path tmp;

    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<String, SegmentStore> STORES = new ConcurrentHashMap<>();

    static Tokenizer tokenizer(String id) {
        return TOKENIZERS.computeIfAbsent(id, In2Fixtures::tokenizer);
    }

    static SegmentStore store(String id) {
        return STORES.computeIfAbsent(id, k -> In2Fixtures.build(tmp.resolve(k), new SegmentTokens(tokenizer(k)),
                In2Fixtures.corpus(7, 60, true, false), SEGMENT_TOKENS, 160));
    }

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(Tokenizer::close);
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void storedUnitsAreTheSegmentsMidTextIds(String id) {
        SegmentTokens tokens = new SegmentTokens(tokenizer(id));
        SegmentStore store = store(id);
        assertThat(store.segments()).isGreaterThan(200);
        for (int s = 0; s < store.segments(); s++) {
            String text = store.segText(s);
            assertThat(store.segIds(s)).as("%s unit %d %s", id, s, text).containsExactly(tokens.midText(text + SegmentTokens.SEP));
            assertThat(store.segIds(s)).containsExactly(tokens.unitIds(text));
        }
    }

    @ParameterizedTest
    @FieldSource("IDS")
    void contextIdsAreTheIdsOfItsText(String id) {
        Tokenizer tok = tokenizer(id);
        SegmentTokens tokens = new SegmentTokens(tok);
        SegmentStore store = store(id);
        boolean plainEncode = In2Fixtures.NO_PREFIX_SPACE.contains(id);
        SplittableRandom r = new SplittableRandom(id.hashCode());
        for (int round = 0; round < ORDERINGS; round++) {
            int k = 1 + r.nextInt(30);
            List<Integer> order = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                order.add(r.nextInt(store.segments()));
            }
            Context ctx = Context.of(order, store, tokens, 0);
            String why = check(tok, tokens, ctx, plainEncode);
            if (why != null) {
                fail(id + ": " + why + "\nsmallest failing input: " + shrink(tok, tokens, store, order, plainEncode));
            }
            // the context's bookkeeping
            assertThat(ctx.segments()).hasSize(k);
            for (int i = 0; i < k; i++) {
                String seg = store.segText(order.get(i));
                assertThat(ctx.text().startsWith(seg, ctx.charStarts()[i])).isTrue();
                assertThat(ctx.text().codePointCount(0, ctx.charStarts()[i])).isEqualTo(ctx.cpStarts()[i]);
                assertThat(tokens.midText(ctx.text().substring(0, ctx.charStarts()[i])).length)
                        .as("%s token start of slot %d", id, i).isEqualTo(ctx.tokenStarts()[i]);
            }
        }
    }

    /** Adversarial segment pairs, joined directly: the same property without a store. */
    @ParameterizedTest
    @FieldSource("IDS")
    void adversarialJoins(String id) {
        Tokenizer tok = tokenizer(id);
        SegmentTokens tokens = new SegmentTokens(tok);
        boolean plainEncode = In2Fixtures.NO_PREFIX_SPACE.contains(id);
        List<String> segs = List.of("end.", "...!!", "?!", "1,234", "42", "😀", "👍🏽 🇫🇷", "東京は日本の首都です。",
                "Ça coûte cher, non ?", "'quoted'", "\"Hello\" she said.", "-- dash", "#hash", "___", "a\n\nb",
                "end.  \n\nnext", "x\ty", "http://example.com/a?b=c", "Élodie", "é", "$5", "(see below)", "🫠",
                "word \u00a0 word", "::", "\u201Cquoted\u201D",
                "\u00a0\nfoo", "foo\u00a0", "\u00a0foo", "\u2007x", "\u200bzero", "\u202Fx", "\u0085x", "x\u0085");
        List<String> failures = new ArrayList<>();
        for (String a : segs) {
            for (String b : segs) {
                String text = a + SegmentTokens.SEP + b;
                int[] joined = concat(tokens.unitIds(a), tokens.lastIds(b));
                if (!Arrays.equals(tokens.midText(text), joined) || (plainEncode && !Arrays.equals(tok.encode(text), joined))) {
                    failures.add(ascii(text));
                }
            }
        }
        assertThat(failures).as("%s: joins whose ids differ from the slices", id).isEmpty();
    }

    private static String check(Tokenizer tok, SegmentTokens tokens, Context ctx, boolean plainEncode) {
        int[] mid = tokens.midText(ctx.text());
        if (!Arrays.equals(mid, ctx.ids())) {
            return "midText(context) has " + mid.length + " ids, slices " + ctx.ids().length;
        }
        if (plainEncode) {
            int[] plain = tok.encode(ctx.text());
            if (!Arrays.equals(plain, ctx.ids())) {
                return "encode(context) has " + plain.length + " ids, slices " + ctx.ids().length;
            }
        }
        return null;
    }

    /** The shortest run of consecutive segments of a failing order that still fails. */
    private static String shrink(Tokenizer tok, SegmentTokens tokens, SegmentStore store, List<Integer> order, boolean plainEncode) {
        for (int len = 1; len <= order.size(); len++) {
            for (int i = 0; i + len <= order.size(); i++) {
                List<Integer> sub = order.subList(i, i + len);
                if (check(tok, tokens, Context.of(sub, store, tokens, 0), plainEncode) != null) {
                    List<String> texts = sub.stream().map(s -> ascii(store.segText(s))).toList();
                    return texts.toString();
                }
            }
        }
        return order.toString();
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String ascii(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\u{%x}", c));
            }
        });
        return sb.toString();
    }
}
