package dev.granular.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granular.io.BadInputException;
import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face model's chat template, rendered the way transformers' {@code
 * apply_chat_template(messages, tools=..., add_generation_prompt=..., tokenize=False)} does.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.load(Path.of("models/qwen3"));   // chat_template.jinja or tokenizer_config.json
 * ChatTemplate u = ChatTemplate.load(Path.of("models/qwen3"), Path.of("my-template.jinja"));   // --chat-template
 * String text = t.render(List.of(TemplateMessage.of("user", "Hi")), null, true);
 * int[] ids = tokenizer.encode(text);   // no special tokens added: the template wrote BOS where it wants one
 * }</pre>
 *
 * <p>The template sees the variables transformers passes: {@code messages}, {@code tools} (None
 * when absent), {@code add_generation_prompt}, and the special tokens of tokenizer_config.json
 * ({@code bos_token}, {@code eos_token}, {@code unk_token}, {@code sep_token}, {@code pad_token},
 * {@code cls_token}, {@code mask_token}, each a string or an {@code {"content": ...}} object
 * there; one that is empty is left out, as transformers leaves it out, so the template sees it undefined),
 * {@code additional_special_tokens} (a list, when tokenizer_config.json has one), plus any extra variables given to {@link #render(List, List, boolean, Map)} (e.g. {@code
 * enable_thinking}). Instances are immutable and thread-safe.
 */
public final class ChatTemplate {

    private static final ObjectMapper CANONICAL = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** A parsed template and the file it came from (null for {@link #of}), to name in errors. */
    private record Part(JinjaTemplate template, String where) {
        static Part parse(TemplateFiles.Text text) {
            String where = text.file().toString();
            try {
                return new Part(JinjaTemplate.parse(text.text()), where);
            } catch (TemplateException e) {
                throw e.in(where);
            }
        }
    }

    private final Part template;
    private final Part toolUse;
    private final Map<String, String> specialTokens;
    private final String source;
    private final String fingerprint;
    private final TemplateLimits limits;
    private final List<String> additionalSpecialTokens;

    private ChatTemplate(Part template, Part toolUse, Map<String, String> specialTokens, String source, String fingerprint) {
        this(template, toolUse, specialTokens, source, fingerprint, TemplateLimits.defaults(), List.of());
    }

    private ChatTemplate(Part template, Part toolUse, Map<String, String> specialTokens, String source, String fingerprint,
                         TemplateLimits limits, List<String> additionalSpecialTokens) {
        this.additionalSpecialTokens = List.copyOf(additionalSpecialTokens);
        this.template = template;
        this.toolUse = toolUse;
        this.specialTokens = specialTokens;
        this.source = source;
        this.fingerprint = fingerprint;
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * The same template, rendering within other limits (the defaults are {@link TemplateLimits#defaults()}).
     * Limits do not change what renders, so the fingerprint stays.
     */
    public ChatTemplate withLimits(TemplateLimits limits) {
        return new ChatTemplate(template, toolUse, specialTokens, source, fingerprint, limits, additionalSpecialTokens);
    }

    /** tokenizer_config.json's additional_special_tokens, which the template sees as a list (empty when none). */
    public List<String> additionalSpecialTokens() {
        return additionalSpecialTokens;
    }

    /** The bounds each rendering works within. */
    public TemplateLimits limits() {
        return limits;
    }

    /**
     * A template from its text and the special-token variables it may use (e.g. {@code bos_token}).
     *
     * @throws TemplateException when the template has a syntax error or a construct this interpreter does not support
     */
    public static ChatTemplate of(String template, Map<String, String> specialTokens) {
        Map<String, String> special = Map.copyOf(specialTokens);
        return new ChatTemplate(new Part(JinjaTemplate.parse(template), null), null, special, null,
                fingerprint(template, null, special));
    }

    /**
     * The chat template of a Hugging Face tokenizer directory, found as a transformers tokenizer
     * finds it: {@code chat_template.jinja} (with {@code additional_chat_templates/NAME.jinja}), else
     * the {@code chat_template} entry of tokenizer_config.json; then, which tokenizers do not read,
     * the legacy processor file {@code chat_template.json}. Same as {@code load(tokenizerDir, null)}.
     *
     * @throws BadInputException when no template is found (the message names every place looked) or a file is malformed
     * @throws TemplateException when the template has a syntax error or an unsupported construct (naming its file)
     */
    public static ChatTemplate load(Path tokenizerDir) {
        return load(tokenizerDir, null);
    }

    /**
     * The chat template of a tokenizer directory, or the one in {@code templateFile} when it is not
     * null ({@code --chat-template}): a {@code .json} file is read like tokenizer_config.json (its
     * {@code chat_template} entry, a string or a list of named templates); any other file is the
     * template text. Either way the special tokens ({@code bos_token}, ...) come from the directory's
     * tokenizer_config.json, so that they match the tokenizer; without that file the template sees none.
     *
     * <p>When several templates are named ({@code additional_chat_templates/}, or a list in JSON),
     * "default" renders, or "tool_use" when tools are given and there is one, as transformers picks.
     *
     * @throws BadInputException when no template is found (the message names every place looked) or a file is malformed
     * @throws TemplateException when the template has a syntax error or an unsupported construct (naming its file)
     */
    public static ChatTemplate load(Path tokenizerDir, Path templateFile) {
        Objects.requireNonNull(tokenizerDir, "tokenizerDir");
        TemplateFiles.Found found = TemplateFiles.find(tokenizerDir, templateFile);
        TemplateFiles.Text tool = found.toolUse();
        String source = found.main().file().toString();
        if (tool != null && !tool.file().equals(found.main().file())) {
            source += " + " + tool.file();
        }
        String fingerprint = fingerprint(found.main().text(), tool == null ? null : tool.text(), found.specialTokens());
        boolean usesAdditional = found.main().text().contains("additional_special_tokens")
                || (tool != null && tool.text().contains("additional_special_tokens"));
        if (usesAdditional && !found.additionalSpecialTokens().isEmpty()) {
            // only a template that names them can render differently with them: other fingerprints stay as they were
            fingerprint = fingerprint(found.main().text() + "\u0000" + String.join("\u0000", found.additionalSpecialTokens()),
                    tool == null ? null : tool.text(), found.specialTokens());
        }
        return new ChatTemplate(Part.parse(found.main()), tool == null ? null : Part.parse(tool), found.specialTokens(), source,
                fingerprint, TemplateLimits.defaults(), found.additionalSpecialTokens());
    }

    /** Everything that changes a rendering: the template texts and the special tokens they see. */
    private static String fingerprint(String main, String toolUse, Map<String, String> special) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("default", main);
        identity.put("tool_use", toolUse);
        identity.put("special_tokens", special);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(identity));
            return "sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Where the template came from: its file (e.g. {@code models/qwen3/chat_template.jinja}), then
     * {@code " + "} and the tool_use template's file when that is another one; null for {@link #of}.
     */
    public String source() {
        return source;
    }

    /**
     * {@code sha256:} of the template texts (default and tool_use) and the special tokens: equal
     * fingerprints render every conversation the same. Not a hash of a file: the same template read
     * from tokenizer_config.json or from chat_template.jinja has the same fingerprint.
     */
    public String fingerprint() {
        return fingerprint;
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
        Map<String, Object> context = context(messages, tools, addGenerationPrompt, extraVariables);
        Part t = tools != null && toolUse != null ? toolUse : template;
        try {
            return t.template().render(context, limits);
        } catch (TemplateException e) {
            throw t.where() == null ? e : e.in(t.where());
        }
    }

    /** The variables the template sees, as transformers' apply_chat_template passes them (JSON-like values). */
    Map<String, Object> context(List<TemplateMessage> messages, List<Object> tools, boolean addGenerationPrompt,
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
            o.putAll(m.fields());
            msgs.add(o);
        }
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("messages", msgs);
        context.put("tools", tools);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(specialTokens);
        if (!additionalSpecialTokens.isEmpty()) {
            context.put("additional_special_tokens", additionalSpecialTokens);
        }
        context.putAll(extraVariables);
        return context;
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
