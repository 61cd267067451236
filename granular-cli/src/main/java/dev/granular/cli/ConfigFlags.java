package dev.granular.cli;

import java.util.Map;

/**
 * The command-line flag for a configuration field named in a core error
 * ({@link dev.granular.io.InvalidConfigException}): {@code minTokens} is {@code --min-tokens}, as the
 * options are named after the fields; the few flags that are not are listed.
 */
final class ConfigFlags {
    private static final Map<String, String> OTHER = Map.of(
            "qaMix", "--qa",
            "template", "--template",
            "systemMessage", "--system-message");

    private ConfigFlags() {
    }

    static String flag(String field) {
        String other = OTHER.get(field);
        if (other != null) {
            return other;
        }
        StringBuilder sb = new StringBuilder("--");
        for (char c : field.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
