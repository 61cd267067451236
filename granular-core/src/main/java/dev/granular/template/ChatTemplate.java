package dev.granular.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face model's chat template, rendered the way transformers' {@code
 * apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False)} does.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.load(Path.of("models/qwen3"));   // reads tokenizer_config.json
 * String text = t.render(List.of(TemplateMessage.of("user", "Hi")), null, true);
 * int[] ids = tokenizer.encode(text);   // no special tokens added: the template wrote BOS where it wants one
 * }</pre>
 *
 * <p>The template sees the variables transformers passes: {@code messages}, {@code tools} (None
 * when absent), {@code add_generation_prompt}, and the special tokens of tokenizer_config.json
 * ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code sep_token}, {@code pad_token},
 * {@code cls_token}, {@code mask_token}, each a string or an {@code {"content": ...}} object
 * there), plus any extra variables given to {@link #render(List, List, boolean, Map)} (e.g. {@code
 * enable_thinking}). Instances are immutable and thread-safe.
 */
public final class ChatTemplate {

    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final JinjaTemplate template;
    private final JinjaTemplate toolUse;
    private final Map<String, String> specialTokens;

    private ChatTemplate(String source, JinjaTemplate template, JinjaTemplate toolUse, Map<String, String> specialTokens) {
        this.source = source;
        this.template = template;
        this.toolUse = toolUse;
        this.specialTokens = specialTokens;
    }

    /**
     * A template from its text and the special-token variables it may use (e.g. {@code bos_token}).
     *
     * @throws TemplateException when the template has a syntax error or a construct this interpreter does not support
     */
    public static ChatTemplate of(String template, Map<String, String> specialTokens) {
        return new ChatTemplate(null, JinjaTemplate.parse(template), null, Map.copyOf(specialTokens));
    }

    /**
     * The chat template of a Hugging Face tokenizer directory: {@code chat_template} of its
     * tokenizer_config.json, either a string or a list of {@code {"name", "template"}} (then the one
     * named "default", or "tool_use" when tools are given and there is one, as transformers picks).
     *
     * @throws BadInputException when the file is missing or malformed, or has no chat template
     * @throws TemplateException when the template has a syntax error or an unsupported construct
     */
    public static ChatTemplate load(Path tokenizerDir) {
        Path file = tokenizerDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file, 0, "no such file: expected a Hugging Face tokenizer_config.json");
        }
        JsonNode config;
        try {
            config = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file, 0, "not valid JSON: " + e.getMessage());
        }
        if (config == null || !config.isObject()) {
            throw new BadInputException(file, 0, "expected a JSON object");
        }
        Map<String, String> special = new LinkedHashMap<>();
        for (String key : SPECIAL_TOKENS) {
            JsonNode v = config.get(key);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isTextual()) {
                special.put(key, v.asText());
            } else if (v.isObject() && v.path("content").isTextual()) {
                special.put(key, v.get("content").asText());
            } else {
                throw new BadInputException(file, 0, key + ": expected a string or an object with a \"content\" string");
            }
        }
        JsonNode ct = config.get("chat_template");
        String main;
        String tool = null;
        if (ct == null || ct.isNull()) {
            throw new BadInputException("no chat template in " + file);
        } else if (ct.isTextual()) {
            main = ct.asText();
        } else if (ct.isArray()) {
            Map<String, String> named = new LinkedHashMap<>();
            for (JsonNode entry : ct) {
                if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                    throw new BadInputException(file, 0, "chat_template: expected a list of {\"name\", \"template\"} objects");
                }
                named.put(entry.get("name").asText(), entry.get("template").asText());
            }
            main = named.get("default");
            tool = named.get("tool_use");
            if (main == null) {
                throw new BadInputException(file, 0, "chat_template: no template named \"default\" among " + named.keySet());
            }
        } else {
            throw new BadInputException(file, 0, "chat_template: expected a string or a list of named templates");
        }
        String where = file.toString();
        try {
            return new ChatTemplate(where, JinjaTemplate.parse(main), tool == null ? null : JinjaTemplate.parse(tool),
                    Map.copyOf(special));
        } catch (TemplateException e) {
            throw e.in(where);
        }
    }

    /** The special-token variables the template sees, e.g. {@code bos_token -> <|begin_of_text|>}. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** Renders a conversation; {@code tools} (JSON-like values) may be null. */
    public String render(List<TemplateMessage> messages, List<Object> tools, boolean addGenerationPrompt) {
        return render(messages, tools, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation with extra template variables (JSON-like values, e.g. {@code
     * enable_thinking=false}), which override the special tokens.
     *
     * @throws TemplateException when the template fails: its own raise_exception, a type error, an unsupported construct
     * @throws IllegalArgumentException when tools or an extra variable is not a JSON-like value
     */
    public String render(List<TemplateMessage> messages, List<Object> tools, boolean addGenerationPrompt,
                         Map<String, Object> extraVariables) {
        Objects.requireNonNull(messages, "messages");
        List<Object> msgs = new ArrayList<>(messages.size());
        for (TemplateMessage m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            if (m.reasoningContent() != null) {
                o.put("reasoning_content", m.reasoningContent());
            }
            msgs.add(o);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", msgs);
        context.put("tools", tools);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(specialTokens);
        context.putAll(extraVariables);
        JinjaTemplate t = tools != null && toolUse != null ? toolUse : template;
        try {
            return t.render(context);
        } catch (TemplateException e) {
            throw source == null ? e : e.in(source);
        }
    }

    /** Renders a granular record's messages and tools. */
    public String render(TrainingRecord record, boolean addGenerationPrompt) {
        return render(record.messages().stream().map(TemplateMessage::from).toList(), record.tools(), addGenerationPrompt);
    }

    /** Renders granular messages. */
    public String renderMessages(List<Message> messages, List<Object> tools, boolean addGenerationPrompt) {
        return render(messages.stream().map(TemplateMessage::from).toList(), tools, addGenerationPrompt);
    }
}
