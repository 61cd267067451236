package dev.granular.teacher.internal;

import dev.granular.teacher.ModelSpec;
import dev.granular.teacher.Provider;
import dev.granular.teacher.SpendEstimate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.files.OutputDirectory;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Adds up what a command would send, without sending anything: each job hands it the very {@link ChatRequest}s its
 * run would send (built by the job's own code), and it counts requests, prompt tokens, expected completion tokens,
 * and their cost at real-time and batch prices ({@link SpendEstimate}).
 *
 * <p>Prompt tokens are counted with the model's tokenizer where granular has it built in (OpenAI's {@code o200k_base}
 * for the GPT-4o, GPT-4.1, GPT-5 and o-series families, {@code cl100k_base} for GPT-4 and GPT-3.5, plus OpenAI's
 * documented 3 tokens per message and 3 to prime the reply), else estimated at 4 characters a token (what the
 * {@code --max-cost} budget books), and each line says which. Expected completion tokens are the request's
 * {@code max_tokens}, or 1,024 when it has none (what the budget books): an upper bound, not a forecast.
 *
 * <p>A request already answered is free: found by its {@link CacheKey} in the output folder's paid replies (a resumed
 * run; read, never written) or in the response cache when its file exists. Requests whose prompt depends on replies
 * not yet known (a teacher revising a student's answer) are added with {@link #addAssumed} and a stated assumption.
 * Not thread-safe: feed it from one thread.
 */
public final class SpendEstimator implements AutoCloseable {
    /** The completion length assumed for a request without {@code max_tokens} (what the budget reserves). */
    public static final int DEFAULT_COMPLETION_TOKENS = AnthropicWire.DEFAULT_MAX_TOKENS;
    private static final String CHARS_ESTIMATE = "chars/4 estimate";

    private final PriceTable prices;
    private final Set<String> paidKeys;
    private final ResponseCache cache;
    private final Map<String, Acc> lines = new LinkedHashMap<>();
    private final Map<String, Tokenizer> tokenizers = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    private SpendEstimator(PriceTable prices, Set<String> paidKeys, ResponseCache cache) {
        this.prices = prices;
        this.paidKeys = paidKeys;
        this.cache = cache;
    }

    /**
     * An estimator pricing with {@code prices}; requests answered in {@code out}'s paid replies or in the response
     * cache at {@code cachePath} count as free. Either may be null; nothing is created or written in either place.
     */
    public static SpendEstimator open(PriceTable prices, Path out, Path cachePath) {
        Set<String> keys = out == null ? Set.of() : paidKeys(out.resolve(OutputDirectory.PAID_REPLIES));
        ResponseCache cache = cachePath != null && Files.isRegularFile(cachePath)
                ? SqliteResponseCache.open(cachePath) : ResponseCache.NONE;
        return new SpendEstimator(prices, keys, cache);
    }

    /**
     * What {@code requests} would send and cost: they add a run's requests to an estimator {@link #open opened} over the
     * prices file ({@code null}: the built-in table), {@code out}'s journal and the response cache. The one body of
     * every job's {@code estimate(spec)}.
     */
    public static dev.granular.teacher.SpendEstimate estimate(Path prices, Path out, Path cachePath,
                                                              java.util.function.Consumer<SpendEstimator> requests) {
        try (SpendEstimator estimator = open(PriceTable.builtIn(prices), out, cachePath)) {
            requests.accept(estimator);
            return estimator.estimate();
        }
    }

    /** An estimator that knows of no earlier replies. */
    public static SpendEstimator of(PriceTable prices) {
        return new SpendEstimator(prices, Set.of(), ResponseCache.NONE);
    }

    /** Counts {@code request} to {@code model} in {@code step}. */
    public void add(String step, ModelSpec model, ChatRequest request) {
        Acc a = line(step, model);
        a.requests++;
        String key = paidKeys.isEmpty() && cache == ResponseCache.NONE ? null : CacheKey.of(model, request);
        if (key != null && (paidKeys.contains(key) || cache.get(key).isPresent())) {
            a.free++;
            return;
        }
        a.prompt += promptTokens(model, request);
        Integer max = request.params().maxTokens();
        a.completion += max != null ? max : DEFAULT_COMPLETION_TOKENS;
        a.basis.add(max != null ? "max_tokens " + max
                : "no max_tokens: " + DEFAULT_COMPLETION_TOKENS + " assumed per reply (a reply may be longer)");
    }

    /**
     * Counts {@code requests} to {@code model} in {@code step} whose prompts cannot be built before earlier replies
     * exist: each assumed to be {@code promptTokens} (estimated) and {@code completionTokens} long, {@code why} saying so.
     */
    public void addAssumed(String step, ModelSpec model, long requests, long promptTokens, long completionTokens, String why) {
        Acc a = line(step, model);
        a.requests += requests;
        a.prompt += requests * promptTokens;
        a.completion += requests * completionTokens;
        a.assumed = true;
        a.basis.add(why);
    }

    /** A line for the output (e.g. that a step makes no model calls). */
    public void note(String note) {
        notes.add(note);
    }

    /** The estimate so far. */
    public SpendEstimate estimate() {
        List<SpendEstimate.Line> out = new ArrayList<>();
        for (Acc a : lines.values()) {
            long paid = a.requests - a.free;
            Optional<Price> list = prices.price(a.model);
            Optional<Price> batch = prices.batchPrice(a.model);
            Usage u = new Usage(a.prompt, a.completion);
            String counting = a.assumed ? CHARS_ESTIMATE + " (prompts partly assumed)" : counting(a.model).orElse(CHARS_ESTIMATE);
            boolean exact = !a.assumed && counting(a.model).isPresent();
            out.add(new SpendEstimate.Line(a.step, a.model.toString(), a.requests, a.free, a.prompt, counting, exact,
                    a.completion, a.basis.isEmpty() ? (paid == 0 ? "none to pay for" : "") : String.join("; ", a.basis),
                    list.map(p -> p.usd(u)).orElse(null), batch.map(p -> p.usd(u)).orElse(null)));
        }
        return new SpendEstimate(out, prices.asOf(), notes);
    }

    /** The prompt tokens of {@code request} to {@code model}: its tokenizer where built in, else 4 characters a token. */
    public int promptTokens(ModelSpec model, ChatRequest request) {
        Optional<String> encoding = counting(model);
        if (encoding.isEmpty()) {
            return request.estimatedPromptTokens();
        }
        Tokenizer t = tokenizers.computeIfAbsent(encoding.get(), Tokenizers::load);
        long n = 3; // every reply is primed with <|start|>assistant<|message|>
        for (ChatMessage m : request.messages()) {
            n += 3 + t.count(m.content()); // <|start|>{role}<|message|>{content}<|end|>
            if (m.toolCalls() != null) { // the calls are prompt too: counted as the wire sends them
                n += t.count(OpenAiWire.toolCallsJson(m.toolCalls(), true).toString());
            }
        }
        if (request.tools() != null) {
            n += t.count(OpenAiWire.JSON.valueToTree(request.tools()).toString());
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** The built-in encoding of {@code model}'s tokenizer, when granular has it. */
    static Optional<String> counting(ModelSpec model) {
        if (model.provider() != Provider.OPENAI) {
            return Optional.empty();
        }
        String m = model.model().toLowerCase(Locale.ROOT);
        if (m.startsWith("gpt-4o") || m.startsWith("chatgpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5")
                || m.startsWith("gpt-5") || m.matches("o[134](-.*)?")) {
            return Optional.of("o200k_base");
        }
        if (m.startsWith("gpt-4") || m.startsWith("gpt-3.5")) {
            return Optional.of("cl100k_base");
        }
        return Optional.empty();
    }

    private Acc line(String step, ModelSpec model) {
        return lines.computeIfAbsent(step + "\u0000" + model, k -> new Acc(step, model));
    }

    /** The cache keys of the valid replies in a paid-replies file, read without changing it. */
    private static Set<String> paidKeys(Path file) {
        if (!Files.isRegularFile(file)) {
            return Set.of();
        }
        ObjectMapper json = new ObjectMapper();
        Set<String> keys = new HashSet<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                try {
                    JsonNode n = json.readTree(line);
                    if (n != null && n.path("key").isTextual()) {
                        keys.add(n.get("key").asText());
                    }
                } catch (IOException e) {
                    // a torn or damaged line: the run itself reports it; the estimate just does not count it as free
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return keys;
    }

    @Override
    public void close() {
        cache.close();
        tokenizers.values().forEach(Tokenizer::close);
    }

    private static final class Acc {
        final String step;
        final ModelSpec model;
        long requests;
        long free;
        long prompt;
        long completion;
        boolean assumed;
        final java.util.LinkedHashSet<String> basis = new java.util.LinkedHashSet<>();

        Acc(String step, ModelSpec model) {
            this.step = step;
            this.model = model;
        }
    }
}
