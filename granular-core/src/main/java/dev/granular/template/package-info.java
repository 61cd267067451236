/**
 * Chat templates: renders a Hugging Face model's {@code chat_template} for a conversation exactly
 * as transformers' {@code apply_chat_template} does, so that the text (and so the token ids) given
 * to a trainer is the text the model was trained with.
 *
 * <p>Entry point: {@link dev.granular.template.ChatTemplate} ({@code load(tokenizerDir[, templateFile])},
 * {@code render(messages, tools, addGenerationPrompt[, extraVariables])}), with
 * {@link dev.granular.template.TemplateMessage} (role, content, reasoning_content) and
 * {@link dev.granular.template.TemplateException} (a {@code BadInputException} naming the construct
 * and its {@code line:column} in the template).
 *
 * <h2>Decision: a dedicated interpreter, not jinjava</h2>
 *
 * <p>Measured against the reference (transformers.js 4.3.2, {@code @huggingface/jinja} 0.5.11,
 * run by {@code scripts/reference-chat-template.mjs}) on the five templates shipped with the test
 * tokenizers (qwen3, llama3, llama3_1, gemma3, deepseek_v3) × 14 conversations (system prompts,
 * several turns, French/CJK/Korean/emoji/ZWJ text, empty contents, padded contents, reasoning_content
 * and inline {@code <think>}, a JSON tools list, template-like and special-token text, a conversation
 * the template refuses, user-last and assistant-last endings, add_generation_prompt true and false):
 *
 * <ul>
 *   <li>jinjava 2.8.4 with the best compatibility settings found (trim_blocks, lstrip_blocks,
 *       {@code LegacyOverrides.useTrimmingForNotesAndExpressions}, a registered
 *       {@code raise_exception}, trailing newline dropped by hand): <b>62/70</b>. llama3, llama3_1,
 *       gemma3 and deepseek_v3 14/14 each; qwen3 6/14: {@code namespace(last_query_index=messages|length - 1)}
 *       fails ("Cannot coerce NamedParameter to Long") for every conversation with more than one
 *       message, and the other gaps listed in the shared stack notes (slicing {@code [::-1]}, Python
 *       string methods such as {@code split} with Java regex semantics, {@code tojson(indent)},
 *       {@code loop.previtem}, undefined {@code is not none}) would each need a patch to an
 *       evaluator whose Java-EL semantics (Java objects, Java string methods reachable) differ
 *       from Python's underneath. Measured with a scratch harness outside the repository; jinjava
 *       is not a dependency.</li>
 *   <li>This package's interpreter: <b>70/70</b> renderings identical, and for all 70 the token ids
 *       of the rendering from granular's tokenizer ({@code Tokenizers.load(dir).encode}) equal
 *       transformers.js's {@code apply_chat_template(..., tokenize=true)} ids; the refused
 *       conversation (gemma3, assistant first) fails here with the template's own message.
 *       {@code ChatTemplateReferenceTest} recomputes the reference with node at every test run.</li>
 * </ul>
 *
 * <p>Like llama.cpp (minja) and transformers.js ({@code @huggingface/jinja}), we therefore wrote a
 * small interpreter for Jinja2 as chat templates use it: {@link dev.granular.template.Lexer}
 * (Jinja2's whitespace rules with transformers' {@code trim_blocks=True, lstrip_blocks=True},
 * {@code {%- -%}}, {@code {%+}}, {@code {% raw %}}, one trailing newline dropped), {@link
 * dev.granular.template.Parser} (Jinja2 precedence; if/elif/else, for/else with an {@code if} filter,
 * tuple targets and {@code recursive}, break/continue, set incl. {@code ns.attr}, block set and
 * filtered block set, macro with defaults, {@code varargs}/{@code kwargs}, {@code call} blocks with
 * {@code caller()}, {@code filter} blocks, {@code with}, {@code generation}; {@code *args}/{@code
 * **kwargs} in calls) and {@link dev.granular.template.Interpreter} with {@link
 * dev.granular.template.Py} values (None vs Undefined, int/float/str/list/tuple/dict, Markup,
 * Python equality, ordering, truthiness, str()/repr(), float repr, code-point indexing and slicing,
 * {@code json.dumps} with transformers' tojson defaults, printf-style {@code %} and {@code str.format}
 * in {@link dev.granular.template.PyFormat}), {@code loop.*} (incl. {@code changed}, {@code cycle},
 * {@code depth}), {@code namespace()}, {@code range}, {@code dict}, {@code raise_exception},
 * {@code strftime_now}, the string, dict and list methods templates call, and all of Jinja2's
 * built-in filters and tests (list in {@code Interpreter.FILTERS}/{@code TESTS}; the text ones in
 * {@link dev.granular.template.JinjaText}). As in Jinja2 3.x, an unknown filter or test fails only
 * when the expression that uses it runs, so templates whose unused branches name filters that
 * transformers does not have ({@code from_json}, {@code regex_replace}) render.
 *
 * <p>Checked against Python's Jinja2 in transformers' environment ({@code scripts/jinja2-reference.py}):
 * {@code JinjaDifferentialTest} (some 140 snippets covering every feature above) and {@code
 * RealTemplatesJinja2Test} (7 real templates × 14 conversations × add_generation_prompt on/off, all
 * identical). Where Python would print something this interpreter cannot reproduce exactly, it
 * throws instead of guessing: integers beyond 64 bits, {@code pprint} of values longer than 80
 * characters, {@code wordwrap} of text with hyphens (unless {@code break_on_hyphens=false}), the
 * {@code random} and {@code urlize} filters, the locale format
 * code {@code n}.
 *
 * <h2>Sandbox</h2>
 *
 * <p>Values are a closed set of Java types copied from the inputs ({@code Py.fromJava} refuses any
 * other object), attribute and method lookup is a fixed table (no reflection), names starting with
 * {@code _} are undefined as in Jinja2's sandbox, lists and dicts are immutable (only namespace
 * attributes can be set), and there is no file, import, include or network construct. Output and
 * string size, list size, loop iterations plus macro calls, nesting depth and wall-clock time are
 * bounded by {@link dev.granular.template.TemplateLimits} (the size bounds grow with the input, so
 * long IN2 contexts render), {@code range()} at 100,000 items as in Jinja2's sandbox; a template
 * over a limit fails with a {@code TemplateException} whose {@code limit()} names it, and export
 * stops with exit code 2 naming the template file instead of refusing record after record.
 *
 * <p>Not supported (refused with a {@code TemplateException}): the tags that read other files
 * ({@code include}, {@code import}, {@code from}, {@code extends}, {@code block}) and those not in
 * transformers' environment ({@code do}, {@code trans}, {@code autoescape}), list and dict
 * mutation, and the exceptions listed above.
 *
 * <h2>Where the template comes from</h2>
 *
 * <p>{@code ChatTemplate.load(tokenizerDir[, templateFile])} looks where a transformers tokenizer
 * looks, in its order: {@code chat_template.jinja} plus {@code additional_chat_templates/NAME.jinja} (newer
 * Hugging Face layouts; when present they replace the config entry), else the {@code chat_template}
 * entry of tokenizer_config.json (a string or a list of named templates), else the legacy
 * processor file {@code chat_template.json} (which tokenizers do not read: last here, so that it
 * only fills in when the tokenizer has no template). A {@code templateFile} ({@code --chat-template}) replaces
 * all three: {@code .json} is read for its {@code chat_template} entry, anything else is the template
 * text. Special tokens always come from the directory's tokenizer_config.json (none without it).
 * The sources and the reasons for this order are in {@code TemplateFiles}; {@code
 * ChatTemplate.source()} names the file used and {@code fingerprint()} hashes what renders.
 */
package dev.granular.template;
