package dev.granular.corpus.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.granular.corpus.reader.CorpusReader;
import dev.granular.corpus.reader.StrictUtf8;
import dev.granular.corpus.reader.Texts;
import dev.granular.io.BadInputException;
import dev.granular.record.internal.JsonlInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.LongPredicate;

/**
 * Finds corpus documents that share a word n-gram with the evaluation data, as IN2 does (with
 * n = 10) to keep evaluation text out of the training contexts.
 *
 * <p><b>Words</b> are maximal runs of Unicode letters and digits
 * ({@link Character#isLetterOrDigit(int)}), lower-cased with {@link Locale#ROOT}. Everything else
 * separates words, apostrophes included: "Don't" is the two words "don" and "t", the same for
 * {@code '} and {@code ’}. So case, punctuation and spacing do not hide a shared n-gram.
 *
 * <p><b>N-grams</b> are n consecutive words within one text (they never span two JSON strings
 * or two files); a text of fewer than n words has none. Each is stored as a 64-bit hash: FNV-1a
 * over each lower-cased word, finalised with the MurmurHash3 mixer, combined over the n words
 * with a rolling polynomial hash (so a text is scanned in linear time) and mixed once more. With
 * 64-bit hashes, a false match needs about 2^32 distinct n-grams on each side before it is
 * likely. The hashes live in a primitive {@link LongHashSet} (8 to 16 bytes per n-gram).
 *
 * <p>Immutable once built, so {@link #contaminated(String)} may be called from several threads;
 * serializable, so that a Spark job can broadcast it to its executors.
 */
public final class Decontaminator implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    /** The n of IN2's decontamination. */
    public static final int DEFAULT_N = 10;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final long ROLL = 0x9E3779B97F4A7C15L;

    private final int n;
    private final long rollTop;
    private final LongHashSet ngrams = new LongHashSet();

    private Decontaminator(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        this.n = n;
        long top = 1;
        for (int i = 1; i < n; i++) {
            top *= ROLL;
        }
        this.rollTop = top;
    }

    /**
     * Builds a decontaminator from evaluation files. {@code .jsonl} and {@code .jsonl.gz} files
     * are read line by line, and every string value of every row, at any depth, is a text (keys
     * are not); blank lines are ignored. Any other file is one text. Files are decoded as strict
     * UTF-8. No files gives a decontaminator that finds nothing.
     *
     * @param n the n-gram length in words (IN2 uses {@value #DEFAULT_N})
     * @throws BadInputException for a missing or unreadable file, invalid UTF-8, a malformed JSON
     *                           line or corrupt gzip data, naming the file and line
     */
    public static Decontaminator fromFiles(List<Path> excludeFiles, int n) {
        Decontaminator d = new Decontaminator(n);
        for (Path file : excludeFiles) {
            d.addFile(file);
        }
        return d;
    }

    /** The n-gram length in words. */
    public int n() {
        return n;
    }

    /** The number of distinct n-gram hashes held. */
    public long size() {
        return ngrams.size();
    }

    /** True when no n-grams are held, so nothing is ever contaminated. */
    public boolean isEmpty() {
        return ngrams.size() == 0;
    }

    /** True when a message of {@code r} shares an n-gram with the evaluation data ({@code dedup}, {@code mix}). */
    public boolean contaminated(dev.granular.record.TrainingRecord r) {
        if (isEmpty()) {
            return false;
        }
        for (dev.granular.record.Message m : r.messages()) {
            if (contaminated(m.content())) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code text} has an n-gram that occurs in the evaluation data; stops at the first. */
    public boolean contaminated(String text) {
        return !isEmpty() && scan(text, ngrams::contains);
    }

    private void addText(String text) {
        scan(text, hash -> {
            ngrams.add(hash);
            return false;
        });
    }

    /**
     * Calls {@code sink} with the hash of each n-gram of {@code text}, in order, and stops as soon
     * as it returns true.
     *
     * @return whether {@code sink} returned true
     */
    private boolean scan(String text, LongPredicate sink) {
        long[] window = new long[n];
        long words = 0;
        long rolling = 0;
        int i = 0;
        int length = text.length();
        while (i < length) {
            int cp = text.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            boolean ascii = true;
            while (i < length && Character.isLetterOrDigit(cp = text.codePointAt(i))) {
                ascii &= cp < 0x80;
                i += Character.charCount(cp);
            }
            long word = ascii ? asciiWordHash(text, start, i)
                    : wordHash(text.substring(start, i).toLowerCase(Locale.ROOT));
            int slot = (int) (words % n);
            if (words >= n) {
                rolling -= window[slot] * rollTop;
            }
            rolling = rolling * ROLL + word;
            window[slot] = word;
            words++;
            if (words >= n && sink.test(mix(rolling))) {
                return true;
            }
        }
        return false;
    }

    private static long asciiWordHash(String text, int from, int to) {
        long h = FNV_OFFSET;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            h = (h ^ c) * FNV_PRIME;
        }
        return mix(h);
    }

    private static long wordHash(String lower) {
        long h = FNV_OFFSET;
        for (int i = 0; i < lower.length(); i++) {
            h = (h ^ lower.charAt(i)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** The MurmurHash3 64-bit finaliser. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private void addFile(Path file) {
        if (!Files.exists(file)) {
            throw new BadInputException(file, 0, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw new BadInputException(file, 0, "is a directory, not an evaluation file");
        }
        String extension = Texts.extension(file.getFileName().toString());
        if (extension.equals("jsonl") || extension.equals("jsonl.gz")) {
            addJsonl(file);
        } else {
            addPlain(file);
        }
    }

    private void addPlain(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CorpusReader.cannotRead(file, e);
        }
        try {
            addText(new StrictUtf8().decode(data, data.length));
        } catch (StrictUtf8.InvalidUtf8Exception e) {
            throw new BadInputException(file, StrictUtf8.lineOf(data, e.offset),
                    "invalid UTF-8 at byte offset " + e.offset);
        }
    }

    /** Every string of every row, through the shared reader (file:line errors, gzip, the size limit). */
    private void addJsonl(Path file) {
        JsonlInput.check(List.of(file), JsonlInput.Format.of((text, at, ordinal) -> {
            addStrings(JsonlInput.tree(text, at));
            return file;
        }, row -> null), 0);
    }

    private void addStrings(JsonNode node) {
        if (node.isTextual()) {
            addText(node.textValue());
        } else if (node.isContainerNode()) {
            for (JsonNode child : node) {
                addStrings(child);
            }
        }
    }
}
