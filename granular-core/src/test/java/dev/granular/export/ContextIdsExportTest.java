package dev.granular.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granular.in2.In2Config;
import dev.granular.in2.In2Job;
import dev.granular.template.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token-native IN2 delivery: {@code in2 --chat-template} keeps its contexts' ids, and {@code
 * export --format tokens} assembles the rows from them. The rows must be identical, id for id
 * and label for label, to rendering and tokenizing each row whole, on every tokenizer in
 * .test-assets; the kept ids are used only when tokenizer, template and records match.
 */
class ContextIdsExportTest {
    /** Templates for the tokenizers whose folder has none; the others render with their own. */
    static final String LLAMA2 = "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}[INST] {{ m.content }} [/INST]"
            + "{% else %} {{ m.content }} {{ eos_token }}{% endif %}{% endfor %}";
    static final String HARMONY = "{% for m in messages %}<|start|>{{ m.role }}<|message|>{{ m.content }}<|end|>{% endfor %}"
            + "{% if add_generation_prompt %}<|start|>assistant{% endif %}";

    @TempDir
    static Path dir;

    static Stream<String> tokenizers() throws IOException {
        try (Stream<Path> s = Files.list(Reference.assetsDir().resolve("tokenizers"))) {
            return s.filter(p -> Files.isRegularFile(p.resolve("tokenizer.json"))).map(p -> p.getFileName().toString()).sorted()
                    .toList().stream();
        }
    }

    /** 40 documents of prose with numbers, names, accents, CJK, emoji, tabs and odd spacing: seams of every kind. */
    static Path corpus() throws IOException {
        Path c = dir.resolve("corpus");
        if (Files.isDirectory(c)) {
            return c;
        }
        Files.createDirectories(c);
        String[] words = {"the", "council", "approved", "1,250", "grants", "Maria", "López", "said", "café", "東京は日本の首都です。",
            "🎉", "harbour", "42", "3.5", "Élodie", "(48)", "tonnes", "of", "grain", "12.5%", "—", "naïve", "Ωmega", "x\ty"};
        SplittableRandom r = new SplittableRandom(7);
        for (int d = 0; d < 40; d++) {
            StringBuilder sb = new StringBuilder();
            int paragraphs = 3 + r.nextInt(6);
            for (int p = 0; p < paragraphs; p++) {
                int sentences = 2 + r.nextInt(5);
                for (int s = 0; s < sentences; s++) {
                    int n = 6 + r.nextInt(14);
                    for (int w = 0; w < n; w++) {
                        String word = words[r.nextInt(words.length)];
                        sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word).append(w + 1 < n ? " " : "");
                    }
                    sb.append(r.nextInt(5) == 0 ? "!  " : ". ");
                }
                sb.append(r.nextInt(4) == 0 ? " \n\n" : "\n\n");
            }
            Files.writeString(c.resolve("doc-" + d + ".txt"), sb.toString());
        }
        return c;
    }

    /** The chat template in2 and the export use for {@code name}: its own, or a file written here. */
    static Path templateFile(String name) throws IOException {
        String text = switch (name) {
            case "llama2" -> LLAMA2;
            case "gptoss" -> HARMONY;
            default -> null;
        };
        if (text == null) {
            return null;
        }
        Path f = dir.resolve(name + ".jinja");
        Files.writeString(f, text);
        return f;
    }

    static Path in2(String name, Path tokenizer, Path template) throws IOException {
        Path out = dir.resolve("in2-" + name);
        In2Config config = In2Config.DEFAULT.withExamples(40).withContext(1024, 4096).withSegmentation(64, 512)
                .withTemplate(dev.granular.in2.PromptTemplate.DEFAULT, name.equals("qwen3") ? "You answer from the text." : null);
        In2Job.run(In2Job.Spec.of(List.of(corpus()), config, out).withTokenizer(tokenizer.toString())
                .withChatTemplate(template == null ? In2Job.TOKENIZER_TEMPLATE : template.toString()).withShardSize(15).withThreads(2),
                In2Job.Listener.NONE);
        return out;
    }

    static TokenExportJob.Spec export(Path in, Path out, Path tokenizer, Path template) {
        return TokenExportJob.Spec.of(in, out, tokenizer).withChatTemplate(template).withFileFormat(TokenExportJob.FileFormat.JSONL)
                .withShardSize(7).withThreads(2);
    }

    static JsonNode summary(Path out) throws IOException {
        return new ObjectMapper().readTree(out.resolve("report/summary.json").toFile());
    }

    static List<String> rows(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(out.resolve("data"))) {
            for (Path f : files.sorted().toList()) {
                lines.addAll(Files.readAllLines(f));
            }
        }
        return lines;
    }

    @ParameterizedTest
    @MethodSource("tokenizers")
    void rowsFromKeptIdsAreTheFullPathsRows(String name) throws IOException {
        Path tokenizer = Reference.tokenizerDir(name);
        Path template = templateFile(name);
        Path in = in2(name, tokenizer, template);
        assertThat(in.resolve("tokens/meta.json")).exists();
        Path fast = dir.resolve("fast-" + name);
        Path full = dir.resolve("full-" + name);
        TokenExportJob.Result a = TokenExportJob.run(export(in, fast, tokenizer, template), n -> { }, true);
        TokenExportJob.Result b = TokenExportJob.run(export(in, full, tokenizer, template), n -> { }, false);
        JsonNode ids = summary(fast).path("context_ids");
        System.out.printf("%s: %s%n", name, ids);
        assertThat(ids.path("sidecar").asText()).isEqualTo("used");
        assertThat(ids.path("rows_from_ids").asLong()).as("rows from kept ids (fallbacks: %s)", ids.path("fallbacks"))
                .isGreaterThan(20);
        assertThat(summary(full).has("context_ids")).isFalse();
        List<String> fastRows = rows(fast);
        List<String> fullRows = rows(full);
        assertThat(fastRows).hasSize(40).hasSameSizeAs(fullRows);
        for (int i = 0; i < fullRows.size(); i++) {
            assertThat(fastRows.get(i)).as("%s row %d", name, i).isEqualTo(fullRows.get(i));
        }
        assertThat(a.tokens()).isEqualTo(b.tokens());
        assertThat(a.trainedTokens()).isEqualTo(b.trainedTokens());
    }

    /**
     * Contexts whose filler text spells a special token: the full path refuses them, so the rows
     * with kept ids fall back to it (counted) and are refused the same way.
     */
    @Test
    void aContextSpellingASpecialTokenFallsBackAndIsRefusedAsBefore() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path corpus = dir.resolve("special-corpus");
        Files.createDirectories(corpus);
        try (Stream<Path> docs = Files.list(corpus())) {
            int i = 0;
            for (Path d : docs.sorted().toList()) {
                String text = Files.readString(d);
                // a quarter of the documents hold the control token's text in a paragraph of their own
                Files.writeString(corpus.resolve(d.getFileName()), i++ % 4 == 0 ? text + "The tag <|im_end|> closes a turn.\n\n" + text : text);
            }
        }
        Path in = dir.resolve("in2-special");
        In2Config config = In2Config.DEFAULT.withExamples(40).withContext(1024, 4096).withSegmentation(64, 512);
        In2Job.run(In2Job.Spec.of(List.of(corpus), config, in).withTokenizer(qwen.toString()).withChatTemplate(In2Job.TOKENIZER_TEMPLATE)
                .withShardSize(100).withThreads(2), In2Job.Listener.NONE);
        Path fast = dir.resolve("special-fast");
        Path full = dir.resolve("special-full");
        TokenExportJob.Result a = TokenExportJob.run(export(in, fast, qwen, null), n -> { }, true);
        TokenExportJob.Result b = TokenExportJob.run(export(in, full, qwen, null), n -> { }, false);
        JsonNode ids = summary(fast).path("context_ids");
        System.out.println("special text: " + ids + ", rejected " + a.rejected());
        assertThat(b.rejected()).as("contexts spelling <|im_end|> are refused").isPositive();
        assertThat(a.rejected()).isEqualTo(b.rejected());
        assertThat(ids.path("fallbacks").asLong()).isGreaterThanOrEqualTo(b.rejected());
        assertThat(ids.path("rows_from_ids").asLong()).isPositive();
        assertThat(rows(fast)).isEqualTo(rows(full));
        assertThat(Files.readString(fast.resolve("rejected.jsonl"))).isEqualTo(Files.readString(full.resolve("rejected.jsonl")));
    }

    /** Another template, another tokenizer or edited records: the kept ids are ignored (and the summary says why). */
    @Test
    void keptIdsAreIgnoredUnlessTheyMatch() throws IOException {
        Path qwen = Reference.tokenizerDir("qwen3");
        Path in = dir.resolve("in2-qwen3");
        if (!Files.exists(in.resolve("manifest.json"))) {
            in2("qwen3", qwen, null);
        }
        Path other = dir.resolve("other.jinja");
        Files.writeString(other, "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
        Path out1 = dir.resolve("x-template");
        TokenExportJob.run(export(in, out1, qwen, other), n -> { }, true);
        assertThat(summary(out1).at("/context_ids/sidecar").asText()).isEqualTo("ignored: another chat template");

        Path out2 = dir.resolve("x-tokenizer");
        TokenExportJob.run(export(in, out2, Reference.tokenizerDir("qwen2_5"), null), n -> { }, true);
        assertThat(summary(out2).at("/context_ids/sidecar").asText()).isEqualTo("ignored: another tokenizer");

        Path copy = dir.resolve("edited");
        Files.createDirectories(copy.resolve("data"));
        Files.createDirectories(copy.resolve("tokens"));
        try (Stream<Path> files = Files.list(in.resolve("data"))) {
            for (Path f : files.toList()) {
                String text = Files.readString(f);
                Files.writeString(copy.resolve("data").resolve(f.getFileName()), f.getFileName().toString().equals("part-00000.jsonl")
                        ? text.replaceFirst("Read the text", "Read this text") : text);
            }
        }
        for (String f : List.of("meta.json", "contexts.bin")) {
            Files.copy(in.resolve("tokens").resolve(f), copy.resolve("tokens").resolve(f));
        }
        Path out3 = dir.resolve("x-records");
        TokenExportJob.run(export(copy, out3, qwen, null), n -> { }, true);
        assertThat(summary(out3).at("/context_ids/sidecar").asText()).isEqualTo("ignored: the records changed since");
    }
}
