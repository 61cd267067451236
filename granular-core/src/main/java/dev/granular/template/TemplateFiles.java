package dev.granular.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds a chat template's text in a Hugging Face tokenizer directory, or in a file given with
 * {@code --chat-template}, and the special-token variables in the directory's tokenizer_config.json.
 *
 * <p>Precedence, as transformers resolves it (read in its source, functions named below):
 * <ol>
 *   <li>{@code chat_template.jinja} (the "default" template) and {@code additional_chat_templates/NAME.jinja}
 *       (named ones, e.g. "tool_use"). {@code PreTrainedTokenizerBase._from_pretrained}
 *       (tokenization_utils_base.py): "If independent chat template file(s) exist, they take priority
 *       over template entries in the tokenizer config": it reads them into a dict and replaces
 *       {@code init_kwargs["chat_template"]}, flattened to a string when "default" is the only one.</li>
 *   <li>the {@code chat_template} entry of {@code tokenizer_config.json}, a string or a list of
 *       {@code {"name", "template"}}.</li>
 *   <li>{@code chat_template.json} = {@code {"chat_template": "..."}}, the legacy file of processor
 *       repositories. Tokenizers never read it; {@code ProcessorMixin.get_processor_dict}
 *       (processing_utils.py) does, and there it even wins over chat_template.jinja and is refused
 *       together with additional_chat_templates/. granular renders what the <em>tokenizer</em>
 *       renders (what TRL's SFTTrainer applies to a text model), so it reads this file only when the
 *       tokenizer itself has no template: the same text a processor would use in that case.</li>
 * </ol>
 *
 * <p>Text files are decoded as UTF-8 with Python's universal newlines ({@code \r\n} and {@code \r}
 * become {@code \n}), because transformers reads them with {@code open(path, encoding="utf-8").read()}:
 * a template saved with Windows line endings renders the same there, and so here.
 */
final class TemplateFiles {
    static final String CONFIG = "tokenizer_config.json";
    static final String JINJA = "chat_template.jinja";
    static final String EXTRA_DIR = "additional_chat_templates";
    static final String LEGACY_JSON = "chat_template.json";

    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A template's text and the file it came from. */
    record Text(String text, Path file) {
    }

    /** The default template, the "tool_use" one (or null) and the special tokens of tokenizer_config.json. */
    record Found(Text main, Text toolUse, Map<String, String> specialTokens, List<String> additionalSpecialTokens) {
        Found(Text main, Text toolUse, Map<String, String> specialTokens) {
            this(main, toolUse, specialTokens, List.of());
        }

        Found withAdditional(List<String> additional) {
            return new Found(main, toolUse, specialTokens, List.copyOf(additional));
        }

    }

    private TemplateFiles() {
    }

    /**
     * @param override a {@code --chat-template} file, or null for the directory's own template
     * @throws BadInputException when no template is found (naming every place looked) or a file is malformed
     */
    static Found find(Path tokenizerDir, Path override) {
        Found found = findTemplate(tokenizerDir, override);
        Path configFile = tokenizerDir.resolve(CONFIG);
        JsonNode config = Files.isRegularFile(configFile) ? readObject(configFile) : null;
        return config == null ? found : found.withAdditional(additionalSpecialTokens(config, configFile));
    }

    private static Found findTemplate(Path tokenizerDir, Path override) {
        if (!Files.isDirectory(tokenizerDir)) {
            throw new BadInputException(tokenizerDir, 0, "no such directory: expected a Hugging Face tokenizer directory");
        }
        Path configFile = tokenizerDir.resolve(CONFIG);
        // Without tokenizer_config.json a template from a file still loads; it just sees no special tokens.
        JsonNode config = Files.isRegularFile(configFile) ? readObject(configFile) : null;
        Map<String, String> special = config == null ? Map.of() : specialTokens(config, configFile);
        if (override != null) {
            return fromOverride(override, special);
        }
        Found files = fromJinjaFiles(tokenizerDir, special);
        if (files != null) {
            return files;
        }
        if (config != null && config.hasNonNull("chat_template")) {
            return fromEntry(config.get("chat_template"), configFile, special);
        }
        Path legacy = tokenizerDir.resolve(LEGACY_JSON);
        if (Files.isRegularFile(legacy)) {
            JsonNode node = readObject(legacy);
            if (!node.hasNonNull("chat_template")) {
                throw new BadInputException(legacy, 0, "no \"chat_template\" entry: expected {\"chat_template\": \"...\"}");
            }
            return fromEntry(node.get("chat_template"), legacy, special);
        }
        throw new BadInputException("no chat template in " + tokenizerDir + ": looked for " + tokenizerDir.resolve(JINJA)
                + " (no such file), the \"chat_template\" entry of " + configFile
                + (config == null ? " (no such file)" : " (none)") + " and " + legacy + " (no such file); give one with"
                + " --chat-template FILE (a .jinja template, or a .json file with a \"chat_template\" entry)");
    }

    private static Found fromOverride(Path file, Map<String, String> special) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file, 0, "no such file: expected a chat template (.jinja, or .json with a \"chat_template\" entry)");
        }
        if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            return new Found(new Text(readText(file), file), null, special);
        }
        JsonNode node = readObject(file);
        if (!node.hasNonNull("chat_template")) {
            throw new BadInputException(file, 0, "no \"chat_template\" entry: a .json --chat-template is read like tokenizer_config.json"
                    + " or chat_template.json (give a template as a .jinja file otherwise)");
        }
        return fromEntry(node.get("chat_template"), file, special);
    }

    /** chat_template.jinja and additional_chat_templates/*.jinja, or null when there are none. */
    private static Found fromJinjaFiles(Path dir, Map<String, String> special) {
        Map<String, Text> named = new LinkedHashMap<>();
        Path main = dir.resolve(JINJA);
        if (Files.isRegularFile(main)) {
            named.put("default", new Text(readText(main), main));
        }
        Path extraDir = dir.resolve(EXTRA_DIR);
        if (Files.isDirectory(extraDir)) {
            // After chat_template.jinja, as transformers does: an additional default.jinja replaces it.
            try (Stream<Path> s = Files.list(extraDir)) {
                for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".jinja") && Files.isRegularFile(p)).sorted().toList()) {
                    String name = p.getFileName().toString();
                    named.put(name.substring(0, name.length() - ".jinja".length()), new Text(readText(p), p));
                }
            } catch (IOException e) {
                throw new BadInputException(extraDir, 0, "cannot list: " + e.getMessage());
            }
        }
        if (named.isEmpty()) {
            return null;
        }
        Text defaultText = named.get("default");
        if (defaultText == null) {
            // transformers also drops tokenizer_config.json's template here and then fails for any call without tools.
            throw new BadInputException(extraDir, 0, "templates " + named.keySet() + " but no default one: add " + main
                    + " (when template files exist, tokenizer_config.json's chat_template is not used)");
        }
        return new Found(defaultText, named.get("tool_use"), special);
    }

    /** A {@code chat_template} value: a string, or a list of {@code {"name", "template"}}. */
    private static Found fromEntry(JsonNode ct, Path file, Map<String, String> special) {
        if (ct.isTextual()) {
            return new Found(new Text(ct.asText(), file), null, special);
        }
        if (!ct.isArray()) {
            throw new BadInputException(file, 0, "chat_template: expected a string or a list of named templates");
        }
        Map<String, String> named = new LinkedHashMap<>();
        for (JsonNode entry : ct) {
            if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                throw new BadInputException(file, 0, "chat_template: expected a list of {\"name\", \"template\"} objects");
            }
            named.put(entry.get("name").asText(), entry.get("template").asText());
        }
        String main = named.get("default");
        if (main == null) {
            throw new BadInputException(file, 0, "chat_template: no template named \"default\" among " + named.keySet());
        }
        String tool = named.get("tool_use");
        return new Found(new Text(main, file), tool == null ? null : new Text(tool, file), special);
    }

    /**
     * transformers' {@code additional_special_tokens} (strings or {@code {"content": ...}} objects),
     * which apply_chat_template passes to the template with the other special tokens.
     */
    private static List<String> additionalSpecialTokens(JsonNode config, Path file) {
        JsonNode list = config.get("additional_special_tokens");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new BadInputException(file, 0, "additional_special_tokens: expected a list");
        }
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode v : list) {
            if (v.isTextual()) {
                out.add(v.asText());
            } else if (v.isObject() && v.path("content").isTextual()) {
                out.add(v.get("content").asText());
            } else {
                throw new BadInputException(file, 0, "additional_special_tokens: expected strings or objects with a \"content\" string");
            }
        }
        return out;
    }

    private static Map<String, String> specialTokens(JsonNode config, Path file) {
        Map<String, String> special = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKENS) {
            JsonNode v = config.get(key);
            if (v == null || v.isNull()) {
                continue;
            }
            // transformers' special_tokens_map leaves out a token that is empty: the template sees it undefined
            if (v.isTextual()) {
                if (!v.asText().isEmpty()) {
                    special.put(key, v.asText());
                }
            } else if (v.isObject() && v.path("content").isTextual()) {
                if (!v.get("content").asText().isEmpty()) {
                    special.put(key, v.get("content").asText());
                }
            } else {
                throw new BadInputException(file, 0, key + ": expected a string or an object with a \"content\" string");
            }
        }
        return Map.copyOf(special);
    }

    private static JsonNode readObject(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file, 0, "not valid JSON: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(file, 0, "expected a JSON object");
        }
        return node;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file).replace("\r\n", "\n").replace('\r', '\n');
        } catch (IOException e) {
            // Files.readString reports malformed UTF-8 as a CharacterCodingException, an IOException.
            throw new BadInputException(file, 0, "cannot read as UTF-8 text: " + e);
        }
    }
}
