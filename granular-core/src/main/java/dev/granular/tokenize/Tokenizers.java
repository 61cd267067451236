package dev.granular.tokenize;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.granular.io.BadInputException;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a {@link Tokenizer} from a spec: the name of a built-in tiktoken encoding, or the path of a
 * Hugging Face {@code tokenizer.json} (or of a directory containing one). Nothing is downloaded.
 *
 * <pre>{@code
 * try (Tokenizer t = Tokenizers.load("cl100k_base")) { ... }
 * try (Tokenizer t = Tokenizers.load("models/qwen3")) { ... }   // models/qwen3/tokenizer.json
 * }</pre>
 */
public final class Tokenizers {

    private static final List<EncodingType> BUILTIN = List.of(EncodingType.O200K_BASE, EncodingType.CL100K_BASE);

    private Tokenizers() {
    }

    /** Names {@link #load} accepts besides paths: {@code o200k_base}, {@code cl100k_base}. */
    public static List<String> builtinNames() {
        return BUILTIN.stream().map(EncodingType::getName).toList();
    }

    /**
     * A built-in tiktoken encoding, by name ({@code o200k_base}, {@code cl100k_base}; see {@link #builtinNames()}).
     *
     * @throws BadInputException for another name
     */
    public static Tokenizer builtin(String name) {
        for (EncodingType type : BUILTIN) {
            if (type.getName().equals(name)) {
                return new TiktokenTokenizer(Registry.INSTANCE.getEncoding(type));
            }
        }
        throw new BadInputException("unknown built-in tokenizer '" + name + "': expected one of "
                + String.join(", ", builtinNames()));
    }

    /**
     * A Hugging Face tokenizer: the path of a {@code tokenizer.json} file or of a directory containing one
     * (a model's folder). The caller closes it (it holds native memory).
     *
     * @throws BadInputException when the path does not exist or holds no valid tokenizer.json
     */
    public static Tokenizer huggingFace(Path path) {
        if (!Files.exists(path)) {
            throw new BadInputException(path, 0, "no such file or directory (expected a tokenizer.json or a folder holding one)");
        }
        return HuggingFaceTokenizerAdapter.open(path);
    }

    /**
     * The tokenizer for {@code spec}. The caller closes it (a no-op for built-in encodings).
     *
     * @throws BadInputException when {@code spec} is neither a built-in name nor an existing path,
     *                           or the path holds no valid tokenizer.json
     */
    public static Tokenizer load(String spec) {
        for (EncodingType type : BUILTIN) {
            if (type.getName().equals(spec)) {
                return new TiktokenTokenizer(Registry.INSTANCE.getEncoding(type));
            }
        }
        Path path = pathOrNull(spec);
        if (path == null || !Files.exists(path)) {
            throw new BadInputException("unknown tokenizer '" + spec + "': expected one of "
                    + String.join(", ", builtinNames())
                    + ", or the path of a Hugging Face tokenizer.json file or of a directory containing one");
        }
        return HuggingFaceTokenizerAdapter.open(path);
    }

    private static Path pathOrNull(String spec) {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        try {
            return Path.of(spec);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** The jtokkit registry, created on first use and shared; it loads each encoding once. */
    private static final class Registry {
        static final EncodingRegistry INSTANCE = Encodings.newLazyEncodingRegistry();
    }
}
