package dev.granular.spark;

import dev.granular.export.Labeler;
import dev.granular.io.BadInputException;
import dev.granular.template.ChatTemplate;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The bytes of the files a tokenizer and its chat template are read from, to be broadcast to
 * executors, which have no access to the driver's disk: each executor writes them once into a
 * local folder and builds its {@link Labeler} from there, exactly as the single-machine export
 * does from the original folder. Only the files granular reads travel (a model folder's weights
 * do not): {@code tokenizer.json}, {@code tokenizer_config.json}, {@code chat_template.jinja},
 * {@code chat_template.json}, {@code additional_chat_templates/*.jinja}, and the
 * {@code --chat-template} file.
 *
 * @param files          relative path ('/'-separated) to content
 * @param templateFile   the relative path of the {@code --chat-template} file among {@code files}, or null
 * @param allowSpecialText see {@link Labeler#Labeler(ChatTemplate, Tokenizer, boolean)}
 */
public record ShippedTokenizer(Map<String, byte[]> files, String templateFile, boolean allowSpecialText) implements Serializable {
    private static final String TEMPLATE_DIR = "given-chat-template";
    /** Labelers built in this JVM, by content digest: one per executor, shared by its task threads (a Labeler is thread-safe). */
    private static final Map<String, Labeler> LABELERS = new ConcurrentHashMap<>();

    public ShippedTokenizer {
        files = Map.copyOf(files);
    }

    /**
     * Reads the files of {@code tokenizerDir} (and {@code chatTemplate}, may be null) on the driver.
     *
     * @throws BadInputException when {@code tokenizerDir} is not a directory holding a tokenizer.json
     */
    public static ShippedTokenizer read(Path tokenizerDir, Path chatTemplate, boolean allowSpecialText) {
        if (!Files.isRegularFile(tokenizerDir.resolve("tokenizer.json"))) {
            throw new BadInputException(tokenizerDir.toString(), 0, "is not a Hugging Face tokenizer directory (no tokenizer.json)");
        }
        Map<String, byte[]> files = new TreeMap<>();
        try {
            for (String name : new String[]{"tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json"}) {
                Path p = tokenizerDir.resolve(name);
                if (Files.isRegularFile(p)) {
                    files.put(name, Files.readAllBytes(p));
                }
            }
            Path extra = tokenizerDir.resolve("additional_chat_templates");
            if (Files.isDirectory(extra)) {
                try (Stream<Path> s = Files.list(extra)) {
                    for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".jinja") && Files.isRegularFile(p)).toList()) {
                        files.put("additional_chat_templates/" + p.getFileName(), Files.readAllBytes(p));
                    }
                }
            }
            String template = null;
            if (chatTemplate != null) {
                if (!Files.isRegularFile(chatTemplate)) {
                    throw new BadInputException(chatTemplate.toString(), 0, "--chat-template: no such file");
                }
                // In its own folder, under its own name: ChatTemplate reads .json and other files differently.
                template = TEMPLATE_DIR + "/" + chatTemplate.getFileName();
                files.put(template, Files.readAllBytes(chatTemplate));
            }
            return new ShippedTokenizer(files, template, allowSpecialText);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tokenizer in " + tokenizerDir, e);
        }
    }

    /** Sha-256 of every file's name and content (and the special-text rule): names the local copy. */
    public String digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(Long.toString(e.getValue().length).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue());
            }
            md.update((byte) (allowSpecialText ? 1 : 0));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * This JVM's labeler for these files, written to a local folder and loaded on first use. Its
     * tokenizer stays open for the life of the executor, as tasks of later stages reuse it.
     */
    public Labeler labeler() {
        return LABELERS.computeIfAbsent(digest(), d -> {
            try {
                Path dir = Files.createTempDirectory("granular-tokenizer-" + d.substring(0, 12) + "-");
                for (Map.Entry<String, byte[]> e : files.entrySet()) {
                    Path p = dir.resolve(e.getKey());
                    Files.createDirectories(p.getParent());
                    Files.write(p, e.getValue());
                }
                ChatTemplate template = ChatTemplate.load(dir, templateFile == null ? null : dir.resolve(templateFile));
                return new Labeler(template, Tokenizers.load(dir.toString()), allowSpecialText);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the shipped tokenizer to a local folder", e);
            }
        });
    }
}
