package dev.granular.tokenize;

import ai.djl.engine.EngineException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library through DJL, loaded from
 * a local file only.
 *
 * <p>Encoding adds no special tokens (no BOS/EOS), truncates nothing and pads nothing. Note that,
 * as in Hugging Face, text that spells an added token (e.g. {@code <|endoftext|>} for Qwen, or
 * {@code <s>} for Llama 2) is still encoded as that token. {@code tokenizer_config.json} is not
 * read: decoding is the raw {@code tokenizer.json} decoder, without "clean up tokenization
 * spaces".
 *
 * <p>Offsets: DJL reports each token's span in Unicode code points of the text; they are turned
 * into UTF-16 indices. Byte-level pieces of one character (byte-level BPE, or SentencePiece byte
 * fallback such as {@code <0xF0>}) all carry the span of the whole character, so a token whose
 * span starts before the end of the text already covered by earlier tokens starts inside a
 * character and gets -1. The same rule gives -1 to the token after a SentencePiece prefix
 * {@code ▁} that was inserted by the normalizer and aligned to the first character.
 *
 * <p>Thread-safe: the Rust tokenizer encodes through a shared reference, and truncation and
 * padding are set once, at load. Every native call runs inside {@link NativeCalls}: {@link #close()}
 * waits for the calls in flight before it frees the tokenizer, and later calls fail with an
 * {@link IllegalStateException} ("tokenizer NAME is closed") instead of crashing the JVM.
 */
final class HuggingFaceTokenizerAdapter implements Tokenizer {

    static {
        // Never reach the network: offline mode stops DJL's EC2 usage ping and any download of a
        // native-library flavour (the CPU library ships inside the tokenizers jar).
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "false",
            "withOverflowingTokens", "false",
            "truncation", "false",
            "padding", "false");

    private static final int FINGERPRINT_HEX_CHARS = 16;

    private final String name;
    private final String fingerprint;
    private final HuggingFaceTokenizer tokenizer;
    private final NativeCalls calls;
    /** The tokenizer.json bytes until {@link #vocabulary()} has read them (on first use: most callers never need it). */
    private byte[] json;
    private Vocabulary vocabulary;

    /** What granular reads from tokenizer.json itself, besides what DJL does with it. */
    private record Vocabulary(TokenBytes tokenBytes, Set<String> specialTokens) {
    }

    private HuggingFaceTokenizerAdapter(String name, String fingerprint, HuggingFaceTokenizer tokenizer, byte[] json) {
        this.name = name;
        this.fingerprint = fingerprint;
        this.tokenizer = tokenizer;
        this.json = json;
        this.calls = new NativeCalls("tokenizer " + name);
    }

    /**
     * Loads {@code path}: a {@code tokenizer.json} file, or a directory that contains one.
     *
     * @throws BadInputException naming the file when it is missing, unreadable or not a tokenizer
     */
    static HuggingFaceTokenizerAdapter open(Path path) {
        boolean directory = Files.isDirectory(path);
        Path file = directory ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file, 0,
                    "no such file: expected a Hugging Face tokenizer.json or a directory containing one");
        }
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadInputException(file, 0, "cannot read: " + e.getMessage());
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS);
        } catch (EngineException e) {
            throw new IllegalStateException("cannot load the Hugging Face tokenizers native library", e);
        } catch (IOException | RuntimeException e) {
            throw new BadInputException(file, 0, "not a valid Hugging Face tokenizer.json: " + e.getMessage());
        }
        return new HuggingFaceTokenizerAdapter(nameOf(path, file, directory), sha256Prefix(json), tokenizer, json);
    }

    /** The directory's name; for a file, its directory's name when it is called tokenizer.json, else its own name. */
    private static String nameOf(Path path, Path file, boolean directory) {
        Path named = directory ? path.toAbsolutePath().normalize() : file.toAbsolutePath().normalize();
        if (!directory && named.getFileName().toString().equals("tokenizer.json") && named.getParent() != null
                && named.getParent().getFileName() != null) {
            named = named.getParent();
        }
        return named.getFileName() == null ? named.toString() : named.getFileName().toString();
    }

    private static String sha256Prefix(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(digest).substring(0, FINGERPRINT_HEX_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** First 16 hex characters of the SHA-256 of the tokenizer.json bytes. */
    @Override
    public String fingerprint() {
        return fingerprint;
    }

    // encode and encodeWithOffsets call DJL's JNI layer directly: HuggingFaceTokenizer.encode also
    // builds token strings, word ids, masks and spans for every call, about 20% of the time.
    // Each public method enters `calls` once; the private ones below it assume they are inside.

    @Override
    public int[] encode(String text) {
        calls.enter();
        try {
            return ids(Utf16.replaceLoneSurrogates(text));
        } finally {
            calls.exit();
        }
    }

    @Override
    public Encoding encodeWithOffsets(String text) {
        String s = Utf16.replaceLoneSurrogates(text);
        IdsAndSpans e;
        calls.enter();
        try {
            e = idsAndSpans(s);
        } finally {
            calls.exit();
        }
        return new Encoding(e.ids(), starts(e.spans(), Utf16.codePointStarts(s)));
    }

    /** Token ids and DJL's code-point spans of one encoding. */
    private record IdsAndSpans(int[] ids, CharSpan[] spans) {
    }

    private int[] ids(String s) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), s, false);
        try {
            return toInts(TokenizersLibrary.LIB.getTokenIds(encoding));
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    private IdsAndSpans idsAndSpans(String s) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), s, false);
        try {
            return new IdsAndSpans(toInts(TokenizersLibrary.LIB.getTokenIds(encoding)),
                    TokenizersLibrary.LIB.getTokenCharSpans(encoding));
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * Each token's own span, as Hugging Face's offset mapping gives it, in UTF-16 indices. The spans
     * come from the vocabulary's token bytes walked against the text when those match the text
     * exactly (see {@link TokenBytes}), else from the tokenizer itself.
     */
    @Override
    public TokenSpans encodeWithSpans(String text) {
        String s = Utf16.replaceLoneSurrogates(text);
        TokenBytes table = vocabulary().tokenBytes();
        calls.enter();
        try {
            TokenSpans spans = table == null ? null : table.spans(ids(s), s);
            return spans != null ? spans : tokenizerSpans(s, idsAndSpans(s));
        } finally {
            calls.exit();
        }
    }

    /**
     * The contents of the added tokens marked {@code "special": true} (e.g. {@code <|im_end|>},
     * {@code <bos>}): text that spells one is encoded as that control token, wherever it stands.
     */
    @Override
    public Set<String> specialTokens() {
        return vocabulary().specialTokens();
    }

    private synchronized Vocabulary vocabulary() {
        if (vocabulary == null) {
            JsonNode root;
            try {
                root = treeOf(json);
            } catch (IOException e) {
                // DJL parsed the same bytes, so this does not happen; were it to, the tokenizer's
                // own spans would serve and no special token would be known.
                root = null;
            }
            Set<String> special = new LinkedHashSet<>();
            if (root != null) {
                for (JsonNode added : root.path("added_tokens")) {
                    if (added.path("special").asBoolean(false) && !added.path("content").asText("").isEmpty()) {
                        special.add(added.path("content").asText());
                    }
                }
            }
            vocabulary = new Vocabulary(root == null ? null : TokenBytes.of(root), Collections.unmodifiableSet(special));
            json = null;
        }
        return vocabulary;
    }

    /**
     * {@code tokenizer.json} as a tree, without canonicalising its field names: Jackson interns every
     * name it reads, and the vocabulary's 150K token strings are names (Qwen), which made reading the
     * tree most of the cost of a token export's tokenizer setup.
     */
    static JsonNode treeOf(byte[] json) throws IOException {
        JsonFactory factory = JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build();
        return new ObjectMapper(factory).readTree(json);
    }

    /** Spans as the Rust tokenizer reports them (one Java object per token through JNI). */
    TokenSpans tokenizerSpans(String text) {
        String s = Utf16.replaceLoneSurrogates(text);
        IdsAndSpans e;
        calls.enter();
        try {
            e = idsAndSpans(s);
        } finally {
            calls.exit();
        }
        return tokenizerSpans(s, e);
    }

    private static TokenSpans tokenizerSpans(String s, IdsAndSpans e) {
        int[] ids = e.ids();
        CharSpan[] spans = e.spans();
        int[] cp = Utf16.codePointStarts(s);
        int[] begins = new int[ids.length];
        int[] ends = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = spans[i];
            if (span == null) {
                int at = i == 0 ? 0 : ends[i - 1];
                begins[i] = at;
                ends[i] = at;
            } else {
                begins[i] = cp == null ? span.getStart() : cp[span.getStart()];
                ends[i] = cp == null ? span.getEnd() : cp[span.getEnd()];
            }
        }
        return new TokenSpans(ids, begins, ends);
    }

    /** Spans from the token byte table alone, or null when there is no table or the bytes do not match {@code text}. */
    TokenSpans tableSpans(String text) {
        TokenBytes table = vocabulary().tokenBytes();
        String s = Utf16.replaceLoneSurrogates(text);
        return table == null ? null : table.spans(encode(s), s);
    }

    /**
     * Token starts as UTF-16 indices from code-point spans. The first token starts at 0. A later
     * token is a clean start when its span begins at or after the end of everything covered so far
     * and after the previous clean start; a token without a span (one DJL cannot place) is not.
     *
     * @param cpStarts UTF-16 index of each code point, or null when they coincide
     */
    static int[] starts(CharSpan[] spans, int[] cpStarts) {
        int[] starts = new int[spans.length];
        int covered = 0;
        int lastClean = -1;
        for (int i = 0; i < spans.length; i++) {
            CharSpan span = spans[i];
            if (i == 0) {
                starts[0] = 0;
                lastClean = span == null ? 0 : span.getStart();
            } else if (span != null && span.getStart() >= covered && span.getStart() > lastClean) {
                lastClean = span.getStart();
                starts[i] = cpStarts == null ? lastClean : cpStarts[lastClean];
            } else {
                starts[i] = -1;
            }
            if (span != null) {
                covered = Math.max(covered, span.getEnd());
            }
        }
        return starts;
    }

    /** The text of {@code ids}, special tokens included as their text. */
    @Override
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        calls.enter();
        try {
            return tokenizer.decode(longs, false);
        } finally {
            calls.exit();
        }
    }

    /**
     * Releases the native tokenizer once the calls in flight have returned (it waits for them);
     * safe to call twice. Calls after it throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        calls.close(tokenizer::close);
    }

    /** Whether a {@link #close()} is waiting for calls in flight (for tests). */
    boolean closeWaiting() {
        return calls.closeWaiting();
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }
}
