package dev.granular.tokenize;

import com.fasterxml.jackson.databind.JsonNode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * The UTF-8 bytes each token id stands for, read from a {@code tokenizer.json}, so that token spans
 * can be computed from the ids alone.
 *
 * <p>Why: asking the Rust tokenizer for each token's span goes through DJL's JNI layer, which builds
 * one Java object per token; for the token export that cost 10–30% on top of the encode itself
 * (BENCHMARKS.md, "Token export"). A token's bytes are a property of the vocabulary, so the spans
 * follow from walking the ids against the text's UTF-8: token {@code i} covers the bytes after
 * those of tokens {@code 0..i-1}.
 *
 * <p>The walk is only trusted when it proves itself: every byte of every token must equal the next
 * byte of the text's UTF-8, and the tokens must use up the text exactly. Anything a normalizer or
 * pre-tokenizer changed (a prepended {@code ▁}, NFC on non-NFC text, a literal {@code ▁} in the
 * text, lstrip/rstrip of an added token, an id without known bytes) breaks that equality, and
 * {@link #spans} returns null so the caller asks the tokenizer instead. When the bytes do match,
 * each token's range is the characters its bytes fall in, which is what Hugging Face's offset
 * mapping reports (a byte-level piece of a character covers the whole character);
 * {@code TokenBytesTest} checks that against the tokenizer's own spans for every test tokenizer.
 *
 * <p>Two decoders are understood: {@code ByteLevel} (GPT-2's byte-to-character table: Llama 3,
 * Qwen, DeepSeek, gpt-oss) and the SentencePiece-style sequence of {@code Replace("▁", " ")},
 * {@code ByteFallback} and {@code Fuse} (Gemma, Llama 2), where {@code <0xNN>} is one byte.
 * Other tokenizers, and post-processors that trim offsets, get no table ({@link #of} returns null).
 */
final class TokenBytes {

    /**
     * The bytes of an id whose bytes are unknown: 0xFF never occurs in UTF-8, so the byte check
     * refuses such a token without a separate test.
     */
    private static final byte[] UNKNOWN = {(byte) 0xFF};

    /** Tokens of at most this many bytes keep them inside their {@link #entries} word. */
    private static final int INLINE = 7;
    /** The low byte of an entry whose bytes live in {@link #longBytes}. */
    private static final long OUT_OF_LINE = 0xFF;
    /** {@code LOW_BYTES[k]} keeps the low {@code k} bytes of a word. */
    private static final long[] LOW_BYTES = {0L, 0xFFL, 0xFFFFL, 0xFF_FFFFL, 0xFFFF_FFFFL, 0xFF_FFFF_FFFFL, 0xFFFF_FFFF_FFFFL,
            0xFF_FFFF_FFFF_FFFFL};
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * One word per token id, so that checking a token costs one cache miss (the tables are larger
     * than the cache, and ids jump around them; a separate offset table and byte array cost twice
     * the misses, and the check then took a tenth of the export's time). A token of up to 7 bytes:
     * its length in the low byte and its bytes above it, first byte lowest. A longer one: low byte
     * {@link #OUT_OF_LINE}, its offset in {@link #longBytes} in bits 8–39, its length in bits 40–63.
     */
    private final long[] entries;
    private final byte[] longBytes;

    private TokenBytes(long[] entries, byte[] longBytes) {
        this.entries = entries;
        this.longBytes = longBytes;
    }

    /** The table for a parsed {@code tokenizer.json}, or null when its model, decoder or post-processor is not understood. */
    static TokenBytes of(JsonNode tokenizerJson) {
        JsonNode model = tokenizerJson.path("model");
        JsonNode vocab = model.path("vocab");
        if (!"BPE".equals(model.path("type").asText()) || !vocab.isObject() || trimsOffsets(tokenizerJson.path("post_processor"))
                || addsPrefix(tokenizerJson.path("normalizer")) || addsPrefix(tokenizerJson.path("pre_tokenizer"))) {
            return null;
        }
        Decoding decoding = decoding(tokenizerJson.path("decoder"));
        if (decoding == null) {
            return null;
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        int size = 0;
        for (JsonNode id : (Iterable<JsonNode>) vocab::elements) {
            size = Math.max(size, id.asInt() + 1);
        }
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            size = Math.max(size, added.path("id").asInt() + 1);
        }
        byte[][] perId = new byte[size][];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            perId[e.getValue().asInt()] = decoding == Decoding.BYTE_LEVEL ? byteLevel(e.getKey()) : metaspace(e.getKey(), byteFallback);
        }
        // An added token outside the model's vocabulary (<|im_start|>) stands for its content, as
        // the text spells it. One that is also in the vocabulary (Gemma's "▁▁") keeps the model's
        // bytes ("  "): the model produces it from normalized text; where the added-token matcher
        // found it spelled literally instead, the byte check fails and the tokenizer's spans serve.
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            int id = added.path("id").asInt();
            if (perId[id] == null) {
                perId[id] = added.path("content").asText().getBytes(StandardCharsets.UTF_8);
            }
        }
        int total = 0;
        for (int id = 0; id < size; id++) {
            if (perId[id] == null) {
                perId[id] = UNKNOWN;
            }
            if (perId[id].length > INLINE) {
                total += perId[id].length;
            }
        }
        long[] entries = new long[size];
        byte[] longBytes = new byte[total];
        int at = 0;
        for (int id = 0; id < size; id++) {
            byte[] b = perId[id];
            if (b.length <= INLINE) {
                long e = b.length;
                for (int k = 0; k < b.length; k++) {
                    e |= (b[k] & 0xFFL) << (8 * (k + 1));
                }
                entries[id] = e;
            } else {
                entries[id] = OUT_OF_LINE | ((long) at << 8) | ((long) b.length << 40);
                System.arraycopy(b, 0, longBytes, at, b.length);
                at += b.length;
            }
        }
        return new TokenBytes(entries, longBytes);
    }

    private enum Decoding { BYTE_LEVEL, METASPACE }

    private static Decoding decoding(JsonNode decoder) {
        String type = decoder.path("type").asText();
        if (type.equals("ByteLevel")) {
            return Decoding.BYTE_LEVEL;
        }
        if (!type.equals("Sequence")) {
            return null;
        }
        boolean replace = false;
        for (JsonNode d : decoder.path("decoders")) {
            switch (d.path("type").asText()) {
                case "ByteLevel" -> {
                    if (decoder.path("decoders").size() == 1) {
                        return Decoding.BYTE_LEVEL;
                    }
                    return null;
                }
                case "Replace" -> {
                    if (!"\u2581".equals(d.path("pattern").path("String").asText(null)) || !" ".equals(d.path("content").asText(null))) {
                        return null;
                    }
                    replace = true;
                }
                // Strip only removes the decoded leading space that a Prepend normalizer added; the
                // byte check refuses such texts anyway, since the text lacks that space.
                case "ByteFallback", "Fuse", "Strip" -> {
                }
                default -> {
                    return null;
                }
            }
        }
        return replace ? Decoding.METASPACE : null;
    }

    /**
     * Whether a normalizer or pre-tokenizer puts a space (or {@code ▁}) before the text: then the
     * tokens' bytes never equal the text and trying would only cost time.
     */
    private static boolean addsPrefix(JsonNode step) {
        if (step.isMissingNode() || step.isNull()) {
            return false;
        }
        return switch (step.path("type").asText()) {
            case "Prepend" -> true;
            case "ByteLevel" -> step.path("add_prefix_space").asBoolean(false);
            case "Metaspace" -> !"never".equals(step.path("prepend_scheme").asText("always"))
                    && step.path("add_prefix_space").asBoolean(true);
            case "Sequence" -> {
                JsonNode steps = step.has("normalizers") ? step.path("normalizers") : step.path("pretokenizers");
                for (JsonNode s : steps) {
                    if (addsPrefix(s)) {
                        yield true;
                    }
                }
                yield false;
            }
            default -> false;
        };
    }

    /** Whether a post-processor moves offsets (ByteLevel or RoBERTa with {@code trim_offsets}). */
    private static boolean trimsOffsets(JsonNode post) {
        if (post.isMissingNode() || post.isNull()) {
            return false;
        }
        return switch (post.path("type").asText()) {
            case "TemplateProcessing", "BertProcessing" -> false;
            case "ByteLevel", "RobertaProcessing" -> post.path("trim_offsets").asBoolean(true);
            case "Sequence" -> {
                for (JsonNode p : post.path("processors")) {
                    if (trimsOffsets(p)) {
                        yield true;
                    }
                }
                yield false;
            }
            default -> true;
        };
    }

    /** GPT-2's bytes_to_unicode, inverted: the byte each of the 256 printable stand-in characters means. */
    private static final int[] BYTE_OF_CHAR = byteOfChar();

    private static int[] byteOfChar() {
        int[] map = new int[324];
        Arrays.fill(map, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                map[b] = b;
            } else {
                map[256 + extra++] = b;
            }
        }
        return map;
    }

    private static byte[] byteLevel(String piece) {
        byte[] out = new byte[piece.length()];
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b < 0) {
                return null; // not a byte-level piece: leave its bytes unknown
            }
            out[i] = (byte) b;
        }
        return out;
    }

    private static byte[] metaspace(String piece, boolean byteFallback) {
        if (byteFallback && piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // an ordinary piece that happens to look like one
            }
        }
        return piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The range of {@code text} each token covers, in UTF-16 indices, or null when the tokens' bytes
     * are not exactly the text's UTF-8 (then only the tokenizer knows the spans).
     *
     * @param text the text the ids were encoded from, without lone surrogates
     */
    TokenSpans spans(int[] ids, String text) {
        // Compare against the text's UTF-8 (String.getBytes is vectorized for ASCII) rather than
        // code point by code point: the per-character walk was most of this method's time.
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int size = utf8.length;
        int n = ids.length;
        int[] begins = new int[n];
        int[] ends = new int[n];
        int pos = 0;
        for (int t = 0; t < n; t++) {
            int id = ids[t];
            if (id < 0 || id >= entries.length) {
                return null;
            }
            long e = entries[id];
            int len;
            if ((e & 0xFF) != OUT_OF_LINE) {
                len = (int) (e & 0xFF);
                if (pos + len > size) {
                    return null; // the tokens run past the text
                }
                if (pos + Long.BYTES <= size) {
                    // Compare the token's bytes with the text's next 8 bytes, masked to the token's length.
                    long textWord = (long) LONG_LE.get(utf8, pos);
                    if (((textWord ^ (e >>> 8)) & LOW_BYTES[len]) != 0) {
                        return null;
                    }
                } else {
                    for (int k = 0; k < len; k++) {
                        if ((byte) (e >>> (8 * (k + 1))) != utf8[pos + k]) {
                            return null;
                        }
                    }
                }
            } else {
                int from = (int) (e >>> 8);
                len = (int) (e >>> 40);
                if (pos + len > size || !Arrays.equals(longBytes, from, from + len, utf8, pos, pos + len)) {
                    return null;
                }
            }
            begins[t] = pos;
            pos += len;
            ends[t] = pos; // for now byte offsets: begin of the first byte, end of the last
        }
        if (pos != utf8.length) {
            return null; // the text goes on past the tokens
        }
        if (utf8.length != text.length()) {
            toUtf16(text, utf8.length, begins, ends);
        }
        return new TokenSpans(ids, begins, ends);
    }

    /**
     * Turns byte ranges into UTF-16 ranges of whole characters: a range starting inside a character
     * starts at that character, and one ending inside a character ends after it.
     */
    private static void toUtf16(String text, int byteLength, int[] begins, int[] ends) {
        int[] charStart = new int[byteLength + 1]; // UTF-16 start of the character holding each byte
        int[] charEnd = new int[byteLength + 1];   // UTF-16 end of that character
        int b = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            for (int k = Utf16.utf8Length(cp); k > 0; k--) {
                charStart[b] = i;
                charEnd[b] = next;
                b++;
            }
            i = next;
        }
        charStart[byteLength] = text.length();
        for (int t = 0; t < begins.length; t++) {
            if (ends[t] == begins[t]) { // no bytes: an empty range where it stands
                begins[t] = ends[t] = charStart[begins[t]];
            } else {
                begins[t] = charStart[begins[t]];
                ends[t] = charEnd[ends[t] - 1];
            }
        }
    }
}
