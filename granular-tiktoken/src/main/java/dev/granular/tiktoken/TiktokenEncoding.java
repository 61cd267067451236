package dev.granular.tiktoken;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.util.List;
import java.util.Optional;

/**
 * A built-in tiktoken encoding ({@code o200k_base}, {@code cl100k_base}) as jtokkit runs it, with ids as
 * {@code int[]} and bytes as {@code byte[]} instead of jtokkit's types. Special-token text such as
 * {@code <|endoftext|>} is encoded as ordinary text (the "ordinary" methods).
 *
 * <p>Each method is one jtokkit call plus the conversion jtokkit's own API needs anyway
 * ({@code IntArrayList.toArray()} on the way out, an {@code IntArrayList} on the way in), so wrapping
 * costs no extra copy on the encode path.
 *
 * <p>Thread-safe: jtokkit encodings are.
 */
public final class TiktokenEncoding {

    /** The encodings granular offers, in the order {@link #names()} lists them. */
    private static final List<EncodingType> BUILTIN = List.of(EncodingType.O200K_BASE, EncodingType.CL100K_BASE);

    private final Encoding encoding;

    private TiktokenEncoding(Encoding encoding) {
        this.encoding = encoding;
    }

    /** The names {@link #named} accepts: {@code o200k_base}, {@code cl100k_base}. */
    public static List<String> names() {
        return BUILTIN.stream().map(EncodingType::getName).toList();
    }

    /**
     * The encoding called {@code name}, or empty when it is not one of {@link #names()}. Each encoding's
     * vocabulary is loaded once, on first use, and shared.
     */
    public static Optional<TiktokenEncoding> named(String name) {
        for (EncodingType type : BUILTIN) {
            if (type.getName().equals(name)) {
                return Optional.of(new TiktokenEncoding(Registry.INSTANCE.getEncoding(type)));
            }
        }
        return Optional.empty();
    }

    /** The encoding's name ({@code o200k_base}, ...). */
    public String name() {
        return encoding.getName();
    }

    /**
     * The token ids of {@code text}. jtokkit encodes a lone surrogate as {@code ?}: callers that need
     * offsets into the text replace lone surrogates first.
     */
    public int[] encodeOrdinary(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    /** The number of tokens {@link #encodeOrdinary} gives, without building the list. */
    public int countOrdinary(String text) {
        return encoding.countTokensOrdinary(text);
    }

    /** The UTF-8 bytes of the tokens {@code ids}, concatenated (one token's bytes can be part of a character). */
    public byte[] decodeBytes(int[] ids) {
        IntArrayList list = new IntArrayList(ids.length);
        for (int id : ids) {
            list.add(id);
        }
        return encoding.decodeBytes(list);
    }

    @Override
    public String toString() {
        return "TiktokenEncoding[" + name() + "]";
    }

    /** jtokkit's registry, created on first use and shared; it loads each encoding once. */
    private static final class Registry {
        static final EncodingRegistry INSTANCE = Encodings.newLazyEncodingRegistry();
    }
}
