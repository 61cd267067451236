package dev.granular.teacher;

/** The wire protocol a model is reached through. */
public enum Provider {
    /** OpenAI's Chat Completions API, also spoken by vLLM, llama.cpp, Ollama, SGLang and others. */
    OPENAI,
    /** Anthropic's Messages API. */
    ANTHROPIC
}
