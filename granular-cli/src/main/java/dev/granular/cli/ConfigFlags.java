package dev.granular.cli;

import dev.granular.io.BadInputException;
import dev.granular.io.InvalidConfigException;
import dev.granular.teacher.ClientLimits;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The command-line flag for a configuration field named in a core error
 * ({@link dev.granular.io.InvalidConfigException}): {@code minTokens} is {@code --min-tokens}, as the
 * options are named after the fields; the few flags that are not are listed.
 */
final class ConfigFlags {
    private static final Map<String, String> OTHER = Map.of(
            "qaMix", "--qa",
            "template", "--template",
            "systemMessage", "--system-message",
            "selection", "--select");

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

    /**
     * {@code make}'s limits; an error names the flags of the model they are for ({@code prefix} "teacher-" gives
     * {@code --teacher-concurrency}), where the default mapping would name {@code --concurrency}, a flag distill and
     * self-correct do not have.
     */
    static ClientLimits limits(String prefix, Supplier<ClientLimits> make) {
        try {
            return make.get();
        } catch (InvalidConfigException e) {
            throw new BadInputException(e.message(field -> "--" + prefix + flag(field).substring(2)));
        }
    }
}
