package dev.granular.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small Hugging Face tokenizer for tests that open and close many: Qwen 3's byte-level BPE, its
 * NFC normalizer, pre-tokenizer and regex included, with only the 256 byte tokens and no merges
 * (one token per UTF-8 byte), plus ChatML's two special added tokens and a ChatML chat template.
 * It runs the same native code as the real one (normalize, split by regex, byte-level, BPE) and
 * loads in milliseconds instead of seconds.
 */
public final class SmallTokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SmallTokenizer() {
    }

    /** tokenizer.json and chat_template.jinja of the small byte-level tokenizer, in {@code dir}. */
    public static Path write(Path dir) throws IOException {
        // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for code points from 256 on.
        Map<String, Integer> vocab = new LinkedHashMap<>();
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            vocab.put(Character.toString(printable ? b : 256 + shifted++), b);
        }
        Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        Map<String, Object> split = Map.of("type", "Split", "behavior", "Isolated", "invert", false, "pattern", Map.of("Regex",
                "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"));
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", List.of());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("added_tokens", List.of(added(256, "<|im_start|>"), added(257, "<|im_end|>")));
        json.put("normalizer", Map.of("type", "NFC"));
        json.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(split, byteLevel)));
        json.put("post_processor", byteLevel);
        json.put("decoder", byteLevel);
        json.put("model", model);
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), json);
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' "
                + "+ message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
        return dir;
    }

    private static Map<String, Object> added(int id, String content) {
        return Map.of("id", id, "content", content, "single_word", false, "lstrip", false, "rstrip", false, "normalized", false,
                "special", true);
    }

}
