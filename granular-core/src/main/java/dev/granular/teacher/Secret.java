package dev.granular.teacher;

import dev.granular.teacher.internal.LlmClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * An API key. Its {@link #toString()} never shows the value, so a key that reaches a log
 * line, an exception message or a manifest by accident prints as {@code ***}.
 *
 * <p>{@link #redact} masks every form in which a server or proxy may echo the key back in an
 * error message: as sent, URL-encoded, base64 (e.g. inside a Basic header a proxy quotes), and
 * the forms a non-ASCII key takes after a lossy encoding ({@code é} sent as {@code ?}, or its
 * UTF-8 bytes read as Latin-1). Keys that cannot be sent as they are are refused before any
 * request ({@link ModelSpec#key}); the lossy forms are masked anyway, since a library key
 * made by other code may reach {@link LlmClient} directly.
 */
public final class Secret {
    /** Derived forms shorter than this are not masked: they would mask ordinary words. */
    private static final int MIN_FORM_LENGTH = 6;

    private final String value;
    private final Set<String> forms;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value);
        this.forms = forms(value);
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** The key itself: only for the HTTP header that carries it. */
    public String reveal() {
        return value;
    }

    /** Whether the key is sent byte for byte as it is: printable ASCII only (HTTP header values are bytes). */
    public boolean sendableAsIs() {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** {@code text} with every form of the key replaced by {@code ***}; null stays null. */
    public String redact(String text) {
        if (text == null || value.isEmpty()) {
            return text;
        }
        String out = text;
        for (String f : forms) {
            out = out.replace(f, "***");
        }
        return out;
    }

    /** The key as sent and as it may come back; longest first so that a longer form is masked whole. */
    private static Set<String> forms(String key) {
        Set<String> all = new LinkedHashSet<>();
        all.add(key);
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        all.add(URLEncoder.encode(key, StandardCharsets.UTF_8));
        all.add(URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"));
        all.add(new String(key.getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII)); // é -> ?
        all.add(new String(key.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1)); // outside Latin-1 -> ?
        all.add(new String(utf8, StandardCharsets.ISO_8859_1)); // é -> Ã©
        for (Base64.Encoder enc : new Base64.Encoder[] {Base64.getEncoder(), Base64.getUrlEncoder(),
                Base64.getEncoder().withoutPadding(), Base64.getUrlEncoder().withoutPadding()}) {
            all.add(enc.encodeToString(utf8));
        }
        Set<String> kept = new java.util.TreeSet<>((a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
        for (String f : all) {
            if (f.equals(key) || f.length() >= MIN_FORM_LENGTH) {
                kept.add(f);
            }
        }
        return kept;
    }

    @Override
    public String toString() {
        return "***";
    }
}
