package dev.granular.tokenize;

import dev.granular.io.BadInputException;
import dev.granular.tiktoken.TiktokenEncoding;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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

    private Tokenizers() {
    }

    /** Names {@link #load} accepts besides paths: {@code o200k_base}, {@code cl100k_base}. */
    public static List<String> builtinNames() {
        return TiktokenEncoding.names();
    }

    /**
     * A built-in tiktoken encoding, by name ({@code o200k_base}, {@code cl100k_base}; see {@link #builtinNames()}).
     *
     * @throws BadInputException for another name
     */
    public static Tokenizer builtin(String name) {
        Optional<TiktokenEncoding> encoding = TiktokenEncoding.named(name);
        if (encoding.isPresent()) {
            return new TiktokenTokenizer(encoding.get());
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
        Optional<TiktokenEncoding> encoding = TiktokenEncoding.named(spec);
        if (encoding.isPresent()) {
            return new TiktokenTokenizer(encoding.get());
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
}
