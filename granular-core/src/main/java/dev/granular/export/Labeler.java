package dev.granular.export;

import dev.granular.record.internal.ChatShape;
import dev.granular.record.Message;
import dev.granular.record.Role;
import dev.granular.record.TrainSpan;
import dev.granular.record.TrainingRecord;
import dev.granular.template.ChatTemplate;
import dev.granular.template.TemplateException;
import dev.granular.template.TemplateMessage;
import dev.granular.tokenize.TokenSpans;
import dev.granular.tokenize.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Labels every token of a record's rendered conversation: the content of trained messages (or
 * the trained spans of their {@code train_detail}) and the end-of-turn token closing each trained
 * assistant message are trained; everything else is -100.
 *
 * <pre>{@code
 * Labeler labeler = new Labeler(ChatTemplate.load(dir), tokenizer);
 * switch (labeler.label(record)) {
 *     case LossMask m -> use(m.ids(), m.labels());
 *     case Labeler.Refused r -> System.err.println(r.reason());
 * }
 * }</pre>
 *
 * <p><b>Locating content.</b> The conversation is rendered twice: as is, and with the content of
 * each trained message replaced by a unique sentinel. The sentinel rendering cuts the text into
 * the template's own pieces (headers, separators, untrained messages); the real rendering must then
 * read as those pieces with each trained content in between, verbatim or with surrounding
 * whitespace stripped (Jinja's {@code trim}, {@code .strip()}, {@code .lstrip('\n')}). A template
 * that rewrites a trained content in any other way (drops it, splits it at {@code </think>},
 * changes its scaffolding because of what it says) is refused, naming the message: nothing is
 * guessed.
 *
 * <p><b>Characters to tokens.</b> The rendering is tokenized once, with each token's span (Hugging
 * Face's offsets: a byte-level piece of a character covers that character); a token is trained
 * only when its span lies inside one trained span, so a token that straddles trained and untrained
 * text is masked (axolotl's rule). This is immune to BPE merges at
 * the seam between template text and content: nothing is tokenized in pieces.
 *
 * <p><b>Refusals</b> (never a degenerate row): nothing trained; the template refuses the
 * conversation; a trained message that cannot be located; a trained span that the template strips
 * or that no whole token covers; a trained assistant message with no end-of-turn token after it.
 *
 * <p>Thread-safe when the tokenizer is (granular's are).
 */
public final class Labeler {

    /** The outcome for one record: a {@link LossMask} or a refusal. */
    public sealed interface Result permits LossMask, Refused {
    }

    /** Why a record cannot be labelled exactly. */
    public record Refused(String reason) implements Result {
    }

    /** End-of-turn tokens of the common chat templates, besides the tokenizer's eos_token. */
    static final List<String> KNOWN_TERMINATORS = List.of("<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|eom_id|>",
            "<|end|>", "<|return|>", "<|endoftext|>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "</s>");

    private static final char SENTINEL_OPEN = '\uE000';
    private static final char SENTINEL_CLOSE = '\uE001';

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final List<String> terminators;
    /** Null when special-token text in content is allowed; else what finds it. */
    private final SpecialText specialText;

    /** A labeler that refuses records whose content spells a special token (see {@link #Labeler(ChatTemplate, Tokenizer, boolean)}). */
    public Labeler(ChatTemplate template, Tokenizer tokenizer) {
        this(template, tokenizer, false);
    }

    /**
     * @param allowSpecialText whether a message whose content (or reasoning) spells one of the
     *                         tokenizer's special tokens, e.g. {@code <|im_end|>} inside an answer, is
     *                         labelled anyway. The tokenizer encodes such text as the control token
     *                         itself, as transformers does when a trainer tokenizes the rendering, so a
     *                         trained answer would teach the model to end its turn (or open a new one)
     *                         in mid-sentence. False refuses these records, naming the message and the token.
     */
    public Labeler(ChatTemplate template, Tokenizer tokenizer, boolean allowSpecialText) {
        this.template = Objects.requireNonNull(template, "template");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.specialText = allowSpecialText ? null : new SpecialText(tokenizer.specialTokens());
        Set<String> t = new LinkedHashSet<>();
        String eos = template.specialTokens().get("eos_token");
        if (eos != null && !eos.isEmpty()) {
            t.add(eos);
        }
        t.addAll(KNOWN_TERMINATORS);
        this.terminators = List.copyOf(t);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatTemplate template() {
        return template;
    }

    /** Whether records whose content spells a special token are labelled rather than refused. */
    public boolean allowsSpecialText() {
        return specialText == null;
    }

    /**
     * Whether {@link #label} would take {@code content} as text: it holds neither granular's
     * reserved character nor, unless allowed, a special token's text. {@link StoredIdsRow} checks
     * a whole content before labelling a shortened copy of it.
     */
    boolean acceptsText(String content) {
        return content.indexOf(SENTINEL_OPEN) < 0 && (specialText == null || specialText.find(content) == null);
    }

    /** The end-of-turn strings recognised after a trained assistant message, eos_token first. */
    public List<String> terminators() {
        return terminators;
    }

    /** Labels {@code r}, or says why it cannot be labelled exactly. */
    public Result label(TrainingRecord r) {
        List<Message> ms = r.messages();
        if (ms.stream().noneMatch(Message::train)) {
            return new Refused("nothing is trained");
        }
        for (int i = 0; i < ms.size(); i++) {
            if (ms.get(i).content().indexOf(SENTINEL_OPEN) >= 0) {
                return new Refused("messages[" + i + "] contains U+E000, which granular reserves to locate content in the rendering");
            }
            if (specialText != null) {
                Message m = ms.get(i);
                String found = specialText.find(m.content());
                String field = "content";
                if (found == null && m.reasoningContent() != null) {
                    found = specialText.find(m.reasoningContent());
                    field = "reasoning_content";
                }
                if (found == null && m.hasToolCalls()) {
                    // The calls are trained text too: a call spelling a control token would be read as one.
                    found = specialText.find(ChatShape.json(ChatShape.toolCalls(m.toolCalls(), false)));
                    field = "tool_calls";
                }
                if (found != null) {
                    return new Refused(where(ms, i) + " " + field + " contains the special token text " + quote(found) + ", which "
                            + tokenizer.name() + " encodes as that control token, not as text (pass --allow-special-text to keep it "
                            + "as transformers would tokenize it)");
                }
            }
        }
        String rendered;
        String scaffold;
        try {
            rendered = template.render(templateMessages(ms, false), r.tools(), false);
            scaffold = template.render(templateMessages(ms, true), r.tools(), false);
        } catch (TemplateException e) {
            if (e.limit() != null) {
                throw e;   // a template over its limits is broken or hostile, not refusing this one record: stop (exit 2)
            }
            return new Refused("the chat template refuses the conversation: " + e.getMessage() + refusedAt(ms, r.tools()));
        }
        return label(ms, rendered, scaffold, r.tools());
    }

    /**
     * {@code " (first refused at messages[j] (role))"}: the message whose addition makes the template refuse,
     * found by rendering growing prefixes (only on this refusal path), or "" when every prefix renders.
     */
    private String refusedAt(List<Message> ms, List<Object> tools) {
        for (int j = 1; j <= ms.size(); j++) {
            try {
                template.render(templateMessages(ms.subList(0, j), false), tools, false);
            } catch (TemplateException e) {
                if (e.limit() != null) {
                    throw e;
                }
                return " (first refused at " + where(ms, j - 1) + ")";
            }
        }
        return "";
    }

    private static List<TemplateMessage> templateMessages(List<Message> ms, boolean sentinels) {
        List<TemplateMessage> out = new ArrayList<>(ms.size());
        for (int i = 0; i < ms.size(); i++) {
            Message m = ms.get(i);
            // A tool-calling turn keeps its text: it is located by rendering the conversation up to it.
            String content = sentinels && m.train() && !m.hasToolCalls() ? sentinel(i) : m.content();
            out.add(TemplateMessage.from(m, content));
        }
        return out;
    }

    /**
     * The trained runs of tool-calling assistant turn {@code i}: everything the template writes
     * for the turn after the generation prompt, through its end-of-turn token. The turn begins
     * where the conversation before it, rendered with the generation prompt, ends (that rendering
     * must be a prefix of the whole one) and ends at the first end-of-turn token after that. The
     * calls themselves are not in any marker, so the turn must visibly hold every call's function
     * name and the message's text; a template that drops or moves them is refused, never guessed.
     *
     * @return a {@code List<Run>}, or a {@link Refused}
     */
    private Object toolTurn(List<Message> ms, int i, String rendered, List<Object> tools) {
        String before;
        try {
            before = template.render(templateMessages(ms.subList(0, i), false), tools, true);
        } catch (TemplateException e) {
            if (e.limit() != null) {
                throw e;
            }
            return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template refuses the conversation "
                    + "before it: " + e.getMessage());
        }
        if (!rendered.startsWith(before)) {
            return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template renders the conversation "
                    + "before it differently depending on what follows");
        }
        int eotBegin = -1;
        int eotEnd = -1;
        for (String t : terminators) {
            int at = rendered.indexOf(t, before.length());
            if (at >= 0 && (eotBegin < 0 || at < eotBegin)) {
                eotBegin = at;
                eotEnd = at + t.length();
            }
        }
        if (eotBegin < 0) {
            return new Refused(where(ms, i) + " is trained but the chat template writes no end-of-turn token after its tool calls "
                    + "(looked for " + String.join(" ", terminators) + "): the model would not learn to stop");
        }
        String turn = rendered.substring(before.length(), eotBegin);
        // The first end-of-turn token after the calls must close this turn, not a later one: rendered through
        // this message alone, the turn must end the same way. DeepSeek-V3 writes no end of turn after a lone
        // call, so the first one after it closes the tool output or the answer that follows: refused.
        String through;
        try {
            through = template.render(templateMessages(ms.subList(0, i + 1), false), tools, false);
        } catch (TemplateException e) {
            if (e.limit() != null) {
                throw e;
            }
            return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template refuses the conversation "
                    + "ending with it: " + e.getMessage());
        }
        int ownEnd = -1;
        if (through.startsWith(before)) {
            for (String t : terminators) {
                int at = through.indexOf(t, before.length());
                if (at >= 0 && (ownEnd < 0 || at < ownEnd)) {
                    ownEnd = at;
                }
            }
        }
        if (ownEnd < 0 || !through.substring(before.length(), ownEnd).endsWith(turn)) {
            return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template writes no end-of-turn token "
                    + "of its own after the calls (the next one closes later messages), so the turn's end cannot be told");
        }
        Message m = ms.get(i);
        for (var call : m.toolCalls()) {
            if (!turn.contains(call.name())) {
                return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template does not render the call to "
                        + quote(call.name()) + " within the turn");
            }
        }
        if (!turn.contains(m.content().strip())) {
            return new Refused(where(ms, i) + " (tool calls) cannot be located: the chat template does not render its content "
                    + "within the turn");
        }
        List<Run> runs = new ArrayList<>();
        if (!turn.isEmpty()) {
            runs.add(new Run(i, before.length(), eotBegin, false, "tool-call turn"));
        }
        runs.add(new Run(i, eotBegin, eotEnd, true, "end-of-turn " + rendered.substring(eotBegin, eotEnd)));
        return runs;
    }

    private static String sentinel(int i) {
        return SENTINEL_OPEN + Integer.toString(i) + SENTINEL_CLOSE;
    }

    /** A trained run of the rendering in UTF-16 indices. */
    private record Run(int message, int begin, int end, boolean terminator, String what) {
    }

    private Result label(List<Message> ms, String rendered, String scaffold, List<Object> tools) {
        List<Run> toolRuns = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            if (ms.get(i).train() && ms.get(i).hasToolCalls()) {
                Object found = toolTurn(ms, i, rendered, tools);
                if (found instanceof Refused refused) {
                    return refused;
                }
                @SuppressWarnings("unchecked")
                List<Run> turn = (List<Run>) found;
                toolRuns.addAll(turn);
            }
        }
        // The template's pieces around the trained contents.
        List<Integer> trainedIdx = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < ms.size(); i++) {
            if (!ms.get(i).train() || ms.get(i).hasToolCalls()) {
                continue;
            }
            String s = sentinel(i);
            int at = scaffold.indexOf(s, from);
            if (at < 0) {
                return new Refused(where(ms, i) + " cannot be located: the chat template does not render its content "
                        + (scaffold.contains(s) ? "in order" : "at all"));
            }
            if (scaffold.indexOf(s, at + s.length()) >= 0) {
                return new Refused(where(ms, i) + " cannot be located: the chat template renders its content more than once");
            }
            pieces.add(scaffold.substring(from, at));
            trainedIdx.add(i);
            from = at + s.length();
        }
        pieces.add(scaffold.substring(from));

        // Read the real rendering as piece, content, piece, content, ..., piece.
        if (trainedIdx.isEmpty()) {
            if (!scaffold.equals(rendered)) {
                return new Refused("the rendering does not match the chat template's pieces");
            }
        } else if (!rendered.startsWith(pieces.get(0))) {
            return new Refused(where(ms, trainedIdx.get(0)) + " cannot be located: the chat template renders the text before it "
                    + "differently depending on its content");
        }
        List<Run> runs = new ArrayList<>();
        int pos = pieces.get(0).length();
        for (int j = 0; j < trainedIdx.size(); j++) {
            int i = trainedIdx.get(j);
            Message m = ms.get(i);
            String next = pieces.get(j + 1);
            boolean last = j + 1 == trainedIdx.size();
            int[] cut = locate(m.content(), rendered, pos, next, last);
            if (cut == null) {
                return new Refused(where(ms, i) + " cannot be located in the rendering: the chat template rewrites its content "
                        + "(beyond stripping surrounding whitespace) or renders the text around it differently");
            }
            int a = cut[0];
            int b = cut[1];
            int shift = pos - a;
            String content = m.content();
            if (m.trainDetail() == null) {
                if (b > a) {
                    runs.add(new Run(i, a + shift, b + shift, false, "content"));
                }
            } else {
                List<TrainSpan> detail = m.trainDetail();
                for (int s = 0; s < detail.size(); s++) {
                    TrainSpan span = detail.get(s);
                    if (!span.train()) {
                        continue;
                    }
                    // Touching trained spans are one run of trained text.
                    int lastSpan = s;
                    while (lastSpan + 1 < detail.size() && detail.get(lastSpan + 1).train()) {
                        lastSpan++;
                    }
                    int sb = content.offsetByCodePoints(0, span.beginOffset());
                    int se = content.offsetByCodePoints(0, detail.get(lastSpan).endOffset());
                    String label = lastSpan == s ? "train_detail[" + s + "]" : "train_detail[" + s + ".." + lastSpan + "]";
                    s = lastSpan;
                    int lo = Math.max(sb, a);
                    int hi = Math.min(se, b);
                    if (lo >= hi) {
                        return new Refused(where(ms, i) + "." + label + " is trained but the chat template strips "
                                + "its text (" + quote(content.substring(sb, se)) + ")");
                    }
                    runs.add(new Run(i, lo + shift, hi + shift, false, label));
                }
            }
            int end = pos + (b - a);
            if (m.role() == Role.ASSISTANT) {
                int[] eot = terminator(rendered, end, next.length());
                if (eot == null) {
                    return new Refused(where(ms, i) + " is trained but the chat template writes no end-of-turn token after it "
                            + "(looked for " + String.join(" ", terminators) + "): the model would not learn to stop");
                }
                runs.add(new Run(i, eot[0], eot[1], true, "end-of-turn " + rendered.substring(eot[0], eot[1])));
            }
            pos = end + next.length();
        }
        if (pos != rendered.length()) {
            return new Refused("the rendering does not match the chat template's pieces: the template renders the conversation "
                    + "differently depending on trained content");
        }
        runs.addAll(toolRuns);
        runs.sort(java.util.Comparator.comparingInt(Run::begin));
        runs = merge(runs);

        TokenSpans enc = tokenizer.encodeWithSpans(rendered);
        int n = enc.size();
        int[] ids = enc.ids();
        int[] tokStart = enc.begins();
        int[] tokEnd = enc.ends();
        int[] runBegins = new int[runs.size()];
        for (int k = 0; k < runs.size(); k++) {
            runBegins[k] = runs.get(k).begin();
        }
        int[] labels = new int[n];
        boolean[] covered = new boolean[runs.size()];
        for (int t = 0; t < n; t++) {
            labels[t] = LossMask.IGNORE;
            if (tokEnd[t] <= tokStart[t]) {
                continue;
            }
            // The run that starts last at or before the token's start; trained only when the token ends inside it.
            int k = Arrays.binarySearch(runBegins, tokStart[t]);
            if (k < 0) {
                k = -k - 2;
            }
            if (k >= 0 && tokEnd[t] <= runs.get(k).end()) {
                labels[t] = ids[t];
                covered[k] = true;
            }
        }
        for (int k = 0; k < runs.size(); k++) {
            if (!covered[k]) {
                Run run = runs.get(k);
                return new Refused(where(ms, run.message()) + ": " + (run.terminator()
                        ? "the " + run.what() + " is not a token of its own"
                        : "its trained " + run.what() + " " + quote(rendered.substring(run.begin(), run.end()))
                        + " is covered by no whole token (every token there straddles untrained text)"));
            }
        }
        boolean anyLabel = false;
        for (int l : labels) {
            anyLabel |= l != LossMask.IGNORE;
        }
        if (!anyLabel) {
            return new Refused("nothing is trained: the trained messages render no text and no end-of-turn token");
        }
        // Code-point offsets for callers (Python string indices).
        int[] cp = codePointIndex(rendered);
        int[] cs = new int[n];
        int[] ce = new int[n];
        for (int t = 0; t < n; t++) {
            cs[t] = cp == null ? tokStart[t] : cp[tokStart[t]];
            ce[t] = cp == null ? tokEnd[t] : cp[tokEnd[t]];
        }
        List<LossMask.Span> spans = new ArrayList<>(runs.size());
        for (Run run : runs) {
            spans.add(new LossMask.Span(run.message(), cp == null ? run.begin() : cp[run.begin()],
                    cp == null ? run.end() : cp[run.end()], run.terminator()));
        }
        return new LossMask(rendered, ids, labels, cs, ce, spans);
    }

    /**
     * Where {@code content} (or a whitespace-stripped part of it) lies at {@code pos} of the
     * rendering, followed by the template's next piece: {@code [a, b)} in the content, or null.
     */
    private static int[] locate(String content, String rendered, int pos, String next, boolean last) {
        int len = content.length();
        int leadAll = 0;
        while (leadAll < len && isStrippable(content.charAt(leadAll))) {
            leadAll++;
        }
        int leadNl = 0;
        while (leadNl < len && content.charAt(leadNl) == '\n') {
            leadNl++;
        }
        int trailAll = len;
        while (trailAll > leadAll && isStrippable(content.charAt(trailAll - 1))) {
            trailAll--;
        }
        int trailNl = len;
        while (trailNl > 0 && content.charAt(trailNl - 1) == '\n') {
            trailNl--;
        }
        int[] as = {0, leadNl, leadAll};
        int[] bs = {len, trailNl, trailAll};
        for (int a : as) {
            for (int b : bs) {
                if (b < a) {
                    continue;
                }
                int n = b - a;
                if (rendered.regionMatches(pos, content, a, n) && rendered.startsWith(next, pos + n)
                        && (!last || pos + n + next.length() == rendered.length())) {
                    return new int[]{a, b};
                }
            }
        }
        return null;
    }

    /** Python's str.isspace() for the characters templates strip. */
    private static boolean isStrippable(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
    }

    /** The end-of-turn string right after {@code end} (only whitespace before it), within the next piece. */
    private int[] terminator(String rendered, int end, int pieceLength) {
        int limit = end + pieceLength;
        int p = end;
        while (p < limit) {
            for (String t : terminators) {
                if (p + t.length() <= limit && rendered.startsWith(t, p)) {
                    return new int[]{p, p + t.length()};
                }
            }
            if (!Character.isWhitespace(rendered.charAt(p))) {
                return null;
            }
            p++;
        }
        return null;
    }

    /** Sorted runs with touching runs of one message joined (adjacent trained spans are one run). */
    private static List<Run> merge(List<Run> runs) {
        List<Run> sorted = new ArrayList<>(runs);
        sorted.sort((x, y) -> Integer.compare(x.begin(), y.begin()));
        List<Run> out = new ArrayList<>();
        for (Run run : sorted) {
            if (!out.isEmpty()) {
                Run prev = out.get(out.size() - 1);
                if (prev.end() == run.begin() && prev.message() == run.message() && !prev.terminator() && !run.terminator()) {
                    out.set(out.size() - 1, new Run(prev.message(), prev.begin(), run.end(), false, prev.what()));
                    continue;
                }
            }
            out.add(run);
        }
        return out;
    }

    /** For each UTF-16 index (and the length), its code-point index; null when they coincide. */
    static int[] codePointIndex(String s) {
        int n = s.length();
        boolean any = false;
        for (int i = 0; i < n; i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                any = true;
                break;
            }
        }
        if (!any) {
            return null;
        }
        int[] idx = new int[n + 1];
        int cp = 0;
        for (int i = 0; i < n; i++) {
            idx[i] = cp;
            if (!(Character.isLowSurrogate(s.charAt(i)) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
                cp++;
            } else {
                idx[i] = cp - 1;
            }
        }
        idx[n] = cp;
        return idx;
    }

    private static String where(List<Message> ms, int i) {
        return "messages[" + i + "] (" + ms.get(i).role().wireName() + ")";
    }

    private static String quote(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return "\"" + t.replace("\n", "\\n") + "\"";
    }

    /**
     * Finds special-token text in a string. Special tokens start with few distinct characters
     * (typically {@code <}, sometimes {@code [}), so it jumps between occurrences of those with
     * {@code String.indexOf}, which the JDK vectorizes: the check costs little next to tokenizing.
     */
    private static final class SpecialText {
        /** Candidates by first character, longest first so that the reported token is the one the tokenizer matches. */
        private final Map<Character, List<String>> byFirstChar = new HashMap<>();
        private final char[] firstChars;

        SpecialText(Set<String> tokens) {
            for (String t : tokens) {
                byFirstChar.computeIfAbsent(t.charAt(0), c -> new ArrayList<>()).add(t);
            }
            byFirstChar.values().forEach(l -> l.sort((a, b) -> b.length() - a.length()));
            firstChars = new char[byFirstChar.size()];
            int k = 0;
            for (char c : byFirstChar.keySet()) {
                firstChars[k++] = c;
            }
        }

        /** One special token that {@code text} spells, or null. */
        String find(String text) {
            for (char c : firstChars) {
                List<String> candidates = byFirstChar.get(c);
                for (int i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) {
                    for (String t : candidates) {
                        if (text.startsWith(t, i)) {
                            return t;
                        }
                    }
                }
            }
            return null;
        }
    }
}
