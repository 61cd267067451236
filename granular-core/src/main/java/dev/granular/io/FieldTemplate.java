package dev.granular.io;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A message naming configuration fields as <code>${field}</code>, shown with a caller's names for them: the core
 * names fields ({@code maxCost}), the CLI shows its flags ({@code --max-cost}), a recipe its keys. Shared by
 * {@link InvalidConfigException} and {@link StoppedEarlyException}.
 */
final class FieldTemplate {
    private static final Pattern FIELD = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9]*)}");

    private FieldTemplate() {
    }

    /** The fields {@code template} names, in order of appearance (each once). */
    static List<String> fields(String template) {
        List<String> out = new ArrayList<>();
        Matcher m = FIELD.matcher(template);
        while (m.find()) {
            if (!out.contains(m.group(1))) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /** {@code template} with each field shown as {@code names} gives it (null keeps the field's own name). */
    static String render(String template, UnaryOperator<String> names) {
        Matcher m = FIELD.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = names.apply(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(name == null ? m.group(1) : name));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
