package dev.granular.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.granular.record.Message;
import dev.granular.record.RecordJson;
import dev.granular.record.TrainingRecord;
import dev.granular.template.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Records, tokenizer directories and template files for the --chat-template tests of export and inspect. */
final class ChatTemplateFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Unlike the qwen3 template in every line, and still closing each turn with qwen3's end-of-turn token. */
    static final String PLAIN = "{% for m in messages %}### {{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";

    private ChatTemplateFixtures() {
    }

    static Path qwen3() {
        return Reference.tokenizerDir("qwen3");
    }

    /** Two records of one question and a trained answer. */
    static Path records(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String[] qa : List.of(new String[] {"Capital of France?", "Paris."}, new String[] {"Capital of Japan?", "Tokyo."})) {
            TrainingRecord r = new TrainingRecord("r-" + qa[1].toLowerCase().replace(".", ""), List.of(Message.user(qa[0]),
                    Message.assistant(qa[1])), null, Map.of("design", "test"));
            sb.append(RecordJson.toJson(r)).append('\n');
        }
        return Files.writeString(dir.resolve("in.jsonl"), sb.toString());
    }

    /** A copy of the qwen3 tokenizer directory (named qwen3) whose template is in chat_template.jinja, not tokenizer_config.json. */
    static Path qwen3WithJinja(Path parent) throws IOException {
        Path moved = Files.createDirectories(parent.resolve("qwen3"));
        Files.copy(qwen3().resolve("tokenizer.json"), moved.resolve("tokenizer.json"));
        ObjectNode config = (ObjectNode) JSON.readTree(qwen3().resolve("tokenizer_config.json").toFile());
        Files.writeString(moved.resolve("chat_template.jinja"), config.remove("chat_template").asText());
        JSON.writeValue(moved.resolve("tokenizer_config.json").toFile(), config);
        return moved;
    }

    /** qwen3's tokenizer.json and special tokens, and no chat template anywhere. */
    static Path qwen3WithoutTemplate(Path parent) throws IOException {
        Path bare = Files.createDirectories(parent.resolve("bare"));
        Files.copy(qwen3().resolve("tokenizer.json"), bare.resolve("tokenizer.json"));
        Files.writeString(bare.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        return bare;
    }
}
