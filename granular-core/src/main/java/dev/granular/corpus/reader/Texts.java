package dev.granular.corpus.reader;

/** The minimal text normalisation every reader applies. */
public final class Texts {
    private Texts() {
    }

    /**
     * Strips one leading byte-order mark (U+FEFF) and turns {@code \r\n} and lone {@code \r}
     * into {@code \n}. Nothing else changes: no trimming, no Unicode normalisation.
     */
    public static String normalize(String text) {
        String s = !text.isEmpty() && text.charAt(0) == '\uFEFF' ? text.substring(1) : text;
        if (s.indexOf('\r') < 0) {
            return s;
        }
        return s.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** The lower-case extension a reader recognises ({@code jsonl.gz} counts as one), or "". */
    public static String extension(String fileName) {
        String lower = fileName.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".jsonl.gz")) {
            return "jsonl.gz";
        }
        int dot = lower.lastIndexOf('.');
        return dot < 0 ? "" : lower.substring(dot + 1);
    }
}
