package dev.granular.tiktoken;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The wrapper gives jtokkit's ids and bytes unchanged; granular-core's tokenizer tests cover the rest. */
class TiktokenEncodingTest {

    @Test
    void namesTheTwoBuiltinEncodingsAndNothingElse() {
        assertThat(TiktokenEncoding.names()).containsExactly("o200k_base", "cl100k_base");
        assertThat(TiktokenEncoding.named("o200k_base")).map(TiktokenEncoding::name).contains("o200k_base");
        assertThat(TiktokenEncoding.named("cl100k_base")).map(TiktokenEncoding::name).contains("cl100k_base");
        assertThat(TiktokenEncoding.named("p50k_base")).isEmpty();
        assertThat(TiktokenEncoding.named(null)).isEmpty();
    }

    @Test
    void encodesAsTiktokenDoes() {
        // The ids OpenAI's tiktoken gives for "Hello world".
        assertThat(TiktokenEncoding.named("o200k_base").orElseThrow().encodeOrdinary("Hello world")).containsExactly(13225, 2375);
        assertThat(TiktokenEncoding.named("cl100k_base").orElseThrow().encodeOrdinary("Hello world")).containsExactly(9906, 1917);
    }

    @Test
    void specialTokenTextIsOrdinaryText() {
        TiktokenEncoding cl100k = TiktokenEncoding.named("cl100k_base").orElseThrow();
        int[] ids = cl100k.encodeOrdinary("<|endoftext|>");
        assertThat(ids).hasSizeGreaterThan(1).doesNotContain(100257);
        assertThat(cl100k.countOrdinary("<|endoftext|>")).isEqualTo(ids.length);
    }

    @Test
    void decodeBytesGivesTheTextBackAndSplitsCharactersWhereTokensDo() {
        TiktokenEncoding o200k = TiktokenEncoding.named("o200k_base").orElseThrow();
        String text = "Grüße 🦊 aus Köln, 東京";
        int[] ids = o200k.encodeOrdinary(text);
        assertThat(o200k.countOrdinary(text)).isEqualTo(ids.length);
        assertThat(new String(o200k.decodeBytes(ids), StandardCharsets.UTF_8)).isEqualTo(text);
        int total = 0;
        for (int id : ids) {
            total += o200k.decodeBytes(new int[] {id}).length;
        }
        assertThat(total).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        assertThat(o200k.decodeBytes(new int[0])).isEmpty();
        assertThat(Arrays.stream(ids).allMatch(id -> id >= 0)).isTrue();
    }
}
