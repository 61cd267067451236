package dev.granular.in2;

import dev.granular.io.InvalidConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides an IN2 dataset's content, apart from its inputs.
 *
 * @param examples      number of examples
 * @param segmentTokens tokens per segment, IN2's minimum information unit (128)
 * @param minTokens     smallest long-context length, tokens (4096)
 * @param maxTokens     largest long-context length, tokens (32768)
 * @param mix           shares of single / multi / short / general examples
 * @param maxDocTokens  longer documents are split into pseudo-documents of at most this many tokens
 * @param template      the user message around context and question
 * @param systemMessage a system message for every example, or null for none
 * @param seed          the random seed; the same inputs and seed give the same data
 * @param qaMix         who writes the questions: programmatic rules, a teacher model, or a mixture
 */
public record In2Config(long examples, int segmentTokens, int minTokens, int maxTokens, Mix mix, int maxDocTokens,
                        PromptTemplate template, String systemMessage, long seed, QaMix qaMix) implements java.io.Serializable {

    public static final In2Config DEFAULT = new In2Config(1000, 128, 4096, 32768, Mix.DEFAULT, 1024,
            PromptTemplate.DEFAULT, null, 42);

    public In2Config {
        if (examples < 1) {
            throw new InvalidConfigException("${examples} must be at least 1, got " + examples);
        }
        if (segmentTokens < 8) {
            throw new InvalidConfigException("${segmentTokens} must be at least 8, got " + segmentTokens);
        }
        if (minTokens < 1) {
            throw new InvalidConfigException("${minTokens} must be at least 1, got " + minTokens);
        }
        if (minTokens > maxTokens) {
            throw new InvalidConfigException("${minTokens} (" + minTokens + ") is larger than ${maxTokens} (" + maxTokens + ")");
        }
        if (maxDocTokens < segmentTokens) {
            throw new InvalidConfigException("${maxDocTokens} (" + maxDocTokens + ") is smaller than ${segmentTokens} (" + segmentTokens + ")");
        }
        if (maxDocTokens > minTokens) {
            throw new InvalidConfigException("${maxDocTokens} (" + maxDocTokens + ") must not exceed ${minTokens} (" + minTokens
                    + "): a multi-segment example puts a whole document into one context");
        }
        if (mix == null || template == null) {
            throw new InvalidConfigException("${mix} and ${template} are required");
        }
        if (systemMessage != null && systemMessage.isEmpty()) {
            systemMessage = null;
        }
        qaMix = qaMix == null ? QaMix.PROGRAMMATIC : qaMix;
    }

    /** Programmatic questions. */
    public In2Config(long examples, int segmentTokens, int minTokens, int maxTokens, Mix mix, int maxDocTokens,
                     PromptTemplate template, String systemMessage, long seed) {
        this(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, template, systemMessage, seed, QaMix.PROGRAMMATIC);
    }

    public In2Config withQa(QaMix q) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, template, systemMessage, seed, q);
    }

    public In2Config withExamples(long n) {
        return new In2Config(n, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, template, systemMessage, seed, qaMix);
    }

    public In2Config withContext(int min, int max) {
        return new In2Config(examples, segmentTokens, min, max, mix, Math.min(maxDocTokens, min), template, systemMessage, seed, qaMix);
    }

    public In2Config withMix(Mix m) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, m, maxDocTokens, template, systemMessage, seed, qaMix);
    }

    public In2Config withSeed(long s) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, template, systemMessage, s, qaMix);
    }

    public In2Config withTemplate(PromptTemplate t, String system) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, t, system, seed, qaMix);
    }

    public In2Config withMinTokens(int min) {
        return new In2Config(examples, segmentTokens, min, maxTokens, mix, maxDocTokens, template, systemMessage, seed, qaMix);
    }

    public In2Config withMaxTokens(int max) {
        return new In2Config(examples, segmentTokens, minTokens, max, mix, maxDocTokens, template, systemMessage, seed, qaMix);
    }

    public In2Config withSegmentTokens(int n) {
        return new In2Config(examples, n, minTokens, maxTokens, mix, maxDocTokens, template, systemMessage, seed, qaMix);
    }

    public In2Config withMaxDocTokens(int n) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, n, template, systemMessage, seed, qaMix);
    }

    /** Another user-message template; the system message stays. */
    public In2Config withTemplate(PromptTemplate t) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, t, systemMessage, seed, qaMix);
    }

    /** A system message for every example, or null (or empty) for none. */
    public In2Config withSystemMessage(String system) {
        return new In2Config(examples, segmentTokens, minTokens, maxTokens, mix, maxDocTokens, template, system, seed, qaMix);
    }

    public In2Config withSegmentation(int segTokens, int maxDoc) {
        return new In2Config(examples, segTokens, minTokens, maxTokens, mix, maxDoc, template, systemMessage, seed, qaMix);
    }

    /** The resolved configuration, as the manifest records it. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("examples", examples);
        m.put("segment_tokens", segmentTokens);
        m.put("min_tokens", minTokens);
        m.put("max_tokens", maxTokens);
        m.put("mix", mix.toJson());
        m.put("max_doc_tokens", maxDocTokens);
        m.put("template", template.text());
        m.put("system_message", systemMessage);
        m.put("seed", seed);
        m.put("qa", qaMix.toString());
        return m;
    }
}
