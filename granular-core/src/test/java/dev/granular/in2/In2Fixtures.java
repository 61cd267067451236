package dev.granular.in2;

import dev.granular.in2.internal.DocumentSplitter;
import dev.granular.in2.internal.SegmentStore;
import dev.granular.in2.internal.SegmentStoreBuilder;
import dev.granular.in2.internal.SegmentTokens;
import dev.granular.in2.internal.Segmenter;

import dev.granular.corpus.Document;
import dev.granular.tokenize.Tokenizer;
import dev.granular.tokenize.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** Synthetic corpora, segment stores and tokenizers for the IN2 tests; no network, no shared files. */
final class In2Fixtures {
    /** Tokenizers the tests run on: built-in encodings, then the Hugging Face assets. */
    static final List<String> TOKENIZERS = List.of("o200k_base", "cl100k_base", "qwen3", "llama3", "gemma3", "llama2");
    static final List<String> HUGGING_FACE = List.of("qwen3", "llama3", "gemma3", "llama2");
    /** Tokenizers without a prefix-space normalizer: a plain encode of a context equals its slice ids. */
    static final List<String> NO_PREFIX_SPACE = List.of("o200k_base", "cl100k_base", "qwen3", "llama3");

    private static final String[] NAMES = {"Maria Lopez", "Jonathan Reeve", "Élodie Fabre", "Gérard Dupont", "Aiko Tanaka",
        "Oliver Grant", "Priya Natarajan", "Søren Madsen", "Hélène Moreau", "Kwame Mensah", "Lucía Ortega", "Brandon Hale",
        "Geneva", "Toronto", "Lyon", "Nairobi", "Osaka", "Montréal", "Bergen"};
    private static final String[] NOUNS = {"committee", "council", "farmers", "engineers", "the museum", "the hospital",
        "the ministry", "researchers", "the bakery", "volunteers", "the airline", "investors", "the orchestra", "students"};
    private static final String[] VERBS = {"announced", "reported", "approved", "rejected", "counted", "delivered",
        "estimated", "recorded", "published", "ordered", "received", "lost", "measured", "planted"};
    private static final String[] OBJECTS = {"new grants", "tonnes of grain", "bicycles", "complaints", "visitors",
        "solar panels", "trees", "tickets", "patients", "laptops", "kilometres of track", "books", "cafés", "pianos"};
    private static final String[] TAILS = {"for the coming year", "after a long debate", "despite the weather",
        "in the old quarter", "before the deadline", "according to early figures", "with little fanfare",
        "on a rainy Tuesday", "near the harbour", "during the crème brûlée festival", "at the façade of the hôtel de ville"};
    private static final String[] FRENCH = {"Le café de la rue est très animé à midi.", "Ça coûte cher, non ?",
        "L'été dernier, la fête a réuni beaucoup de monde.", "Où est la bibliothèque ?"};
    private static final String[] CJK = {"東京は日本の首都です。", "北京是中国的首都。", "서울은 한국의 수도입니다.",
        "今日は天気がいいですね。", "我们明天见。"};
    private static final String[] EMOJI = {"😀", "👍🏽", "🎉", "🇫🇷", "👩‍👩‍👧", "🫠", "🚲"};
    private static final String[] ENDINGS = {".", ".", ".", "!", "?", "...!!", "?!", "."};

    private In2Fixtures() {
    }

    /** A random number in one of several shapes: 7, 42, 1,250, 3.5, 12,400,000, 1987. */
    static String number(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> Integer.toString(2 + r.nextInt(9));
            case 1 -> Integer.toString(10 + r.nextInt(990));
            case 2 -> String.format(java.util.Locale.ROOT, "%,d", 1000 + r.nextInt(99_000));
            case 3 -> (1 + r.nextInt(99)) + "." + r.nextInt(10);
            case 4 -> String.format(java.util.Locale.ROOT, "%,d", 1_000_000 + r.nextInt(90_000_000));
            default -> Integer.toString(1950 + r.nextInt(70));
        };
    }

    /** One English sentence with a name, a number and sometimes an emoji or accents. */
    static String sentence(SplittableRandom r, String marker) {
        StringBuilder sb = new StringBuilder();
        String subject = r.nextInt(3) == 0 ? NAMES[r.nextInt(NAMES.length)] : NOUNS[r.nextInt(NOUNS.length)];
        sb.append(Character.toUpperCase(subject.charAt(0))).append(subject.substring(1));
        sb.append(' ').append(VERBS[r.nextInt(VERBS.length)]).append(' ').append(number(r)).append(' ')
                .append(OBJECTS[r.nextInt(OBJECTS.length)]).append(' ').append(TAILS[r.nextInt(TAILS.length)]);
        if (r.nextInt(3) == 0) {
            sb.append(", said ").append(NAMES[r.nextInt(NAMES.length)]);
        }
        if (marker != null) {
            sb.append(" in ").append(marker);
        }
        if (r.nextInt(6) == 0) {
            sb.append(' ').append(EMOJI[r.nextInt(EMOJI.length)]);
        }
        sb.append(ENDINGS[r.nextInt(ENDINGS.length)]);
        return sb.toString();
    }

    /**
     * A document of {@code paragraphs} paragraphs mixing English prose with numbers and names, French, CJK, emoji,
     * tabs, trailing spaces and punctuation runs before newlines. Every English sentence carries {@code marker}
     * (when not null), so a test can tell which document a piece of text came from.
     */
    static String document(SplittableRandom r, int paragraphs, boolean mixedScripts, String marker) {
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < paragraphs; p++) {
            if (p > 0) {
                switch (r.nextInt(6)) {
                    case 0 -> sb.append("  \n\n");    // trailing spaces before the break
                    case 1 -> sb.append("\n\n\t");    // a tab-indented paragraph
                    case 2 -> sb.append("\n \n");     // a blank line holding a space
                    default -> sb.append("\n\n");
                }
            }
            int sentences = 1 + r.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    sb.append(switch (r.nextInt(10)) {
                        case 0 -> "\t";
                        case 1 -> "  ";
                        case 2 -> "\n";
                        default -> " ";
                    });
                }
                int k = mixedScripts ? r.nextInt(12) : 5;
                if (k == 0) {
                    sb.append(FRENCH[r.nextInt(FRENCH.length)]);
                } else if (k == 1) {
                    sb.append(CJK[r.nextInt(CJK.length)]).append(CJK[r.nextInt(CJK.length)]);
                } else if (k == 2) {
                    sb.append(EMOJI[r.nextInt(EMOJI.length)]).append(' ').append(EMOJI[r.nextInt(EMOJI.length)]);
                } else {
                    sb.append(sentence(r, marker));
                }
            }
        }
        return sb.toString();
    }

    /** The marker that every English sentence of document {@code i} carries. */
    static String marker(int i) {
        return "zq" + i + "k";
    }

    /** {@code n} documents, from one to a dozen paragraphs each; ids {@code doc-i}. */
    static List<Document> corpus(long seed, int n, boolean mixedScripts, boolean markers) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Document> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int paragraphs = 1 + r.nextInt(r.nextInt(5) == 0 ? 12 : 4);
            out.add(new Document("doc-" + i, document(r, paragraphs, mixedScripts, markers ? marker(i) : null), "doc-" + i));
        }
        return out;
    }

    static SegmentStore build(Path dir, SegmentTokens tokens, List<Document> docs, int segmentTokens, int maxDocTokens) {
        Segmenter segmenter = new Segmenter(segmentTokens);
        DocumentSplitter splitter = new DocumentSplitter(maxDocTokens);
        try (SegmentStoreBuilder b = new SegmentStoreBuilder(dir)) {
            for (Document d : docs) {
                b.append(SegmentStoreBuilder.prepare(d, tokens, splitter, segmenter));
            }
            return b.finish();
        }
    }

    static Tokenizer tokenizer(String id) {
        return Tokenizers.load(HUGGING_FACE.contains(id) ? tokenizerDir(id).toString() : id);
    }

    static Path tokenizerDir(String name) {
        Path dir = assetsDir().resolve("tokenizers").resolve(name);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("missing test asset " + dir.resolve("tokenizer.json") + ": run scripts/fetch-test-assets");
        }
        return dir;
    }

    /** The system property granular.testAssets, else .test-assets above the working directory. */
    static Path assetsDir() {
        String property = System.getProperty("granular.testAssets");
        if (property != null && !property.isBlank() && !property.contains("${")) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".test-assets"))) {
                return dir.resolve(".test-assets");
            }
        }
        return fail("no .test-assets folder above " + Path.of("").toAbsolutePath()
                + " and no -Dgranular.testAssets: run scripts/fetch-test-assets");
    }

    /** {@code s} with code points {@code [from, to)} cut out. */
    static String cpSlice(String s, int from, int to) {
        return s.substring(s.offsetByCodePoints(0, from), s.offsetByCodePoints(0, to));
    }

    static int toInt(Object o) {
        return ((Number) o).intValue();
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }
}
