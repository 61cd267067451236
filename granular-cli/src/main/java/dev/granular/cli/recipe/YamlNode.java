package dev.granular.cli.recipe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.granular.io.BadInputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML value with the place it was written ({@code where}: {@code FILE:LINE}), so that every error about a recipe
 * names the line to fix. Jackson's tree model drops locations; its streaming parser keeps them
 * ({@link JsonParser#currentTokenLocation()}), so the tree is built here from the tokens.
 *
 * <p>{@code value} is a {@code Map<String, YamlNode>} (keys in file order), a {@code List<YamlNode>}, a String, a
 * Number, a Boolean or null.
 */
public record YamlNode(Object value, String where) {
    private static final YAMLFactory YAML = new YAMLFactory();

    /**
     * Parses {@code text} (from {@code file}, for the messages).
     *
     * @throws BadInputException for malformed YAML or a key given twice, naming the file and line
     */
    public static YamlNode parse(String text, String file) {
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new YamlNode(new LinkedHashMap<String, YamlNode>(), file + ":1");
            }
            return read(p, file);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new BadInputException(file, at == null ? 0 : at.getLineNr(), "malformed YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadInputException(file, 0, "cannot read: " + e.getMessage());
        }
    }

    private static YamlNode read(JsonParser p, String file) throws IOException {
        String where = file + ":" + p.currentTokenLocation().getLineNr();
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, YamlNode> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int line = p.currentTokenLocation().getLineNr();
                    p.nextToken();
                    YamlNode v = read(p, file);
                    if (m.put(key, v) != null) {
                        throw new BadInputException(file, line, "key '" + key + "' is given twice");
                    }
                }
                return new YamlNode(m, where);
            }
            case START_ARRAY -> {
                List<YamlNode> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(read(p, file));
                }
                return new YamlNode(l, where);
            }
            case VALUE_STRING -> {
                return new YamlNode(p.getText(), where);
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new YamlNode(p.getNumberValue(), where);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new YamlNode(p.getBooleanValue(), where);
            }
            case VALUE_NULL -> {
                return new YamlNode(null, where);
            }
            default -> throw new BadInputException(file, p.currentTokenLocation().getLineNr(), "unexpected YAML: " + t);
        }
    }

    /** A value from the command line ({@code --set}), parsed as YAML so that numbers, lists and booleans keep their types. */
    public static YamlNode ofSetting(String value, String where) {
        YamlNode n;
        try {
            n = parse(value, where);
        } catch (BadInputException e) {
            return new YamlNode(value, where);
        }
        return relocate(n, where);
    }

    private static YamlNode relocate(YamlNode n, String where) {
        if (n.value() instanceof Map<?, ?> m) {
            Map<String, YamlNode> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, relocate((YamlNode) v, where)));
            return new YamlNode(out, where);
        }
        if (n.value() instanceof List<?> l) {
            return new YamlNode(l.stream().map(v -> relocate((YamlNode) v, where)).toList(), where);
        }
        return new YamlNode(n.value(), where);
    }

    public boolean isMap() {
        return value instanceof Map;
    }

    public boolean isList() {
        return value instanceof List;
    }

    public boolean isScalar() {
        return !isMap() && !isList();
    }

    @SuppressWarnings("unchecked")
    public Map<String, YamlNode> map() {
        return value instanceof Map ? (Map<String, YamlNode>) value : Collections.emptyMap();
    }

    @SuppressWarnings("unchecked")
    public List<YamlNode> list() {
        return value instanceof List ? (List<YamlNode>) value : List.of(this);
    }

    /** The scalar as text (numbers as Java writes them: 5, 0.25), or null. */
    public String text() {
        return value == null ? null : value.toString();
    }

    /** A plain Java value (maps, lists, scalars), for hashing and writing back. */
    public Object plain() {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, ((YamlNode) v).plain()));
            return out;
        }
        if (value instanceof List<?> l) {
            return l.stream().map(v -> ((YamlNode) v).plain()).toList();
        }
        return value;
    }

    /** A bad-input error at this node. */
    public BadInputException error(String message) {
        int colon = where.lastIndexOf(':');
        if (colon > 0) {
            try {
                return new BadInputException(where.substring(0, colon), Long.parseLong(where.substring(colon + 1)), message);
            } catch (NumberFormatException e) {
                // a --set value: no line
            }
        }
        return new BadInputException(where + ": " + message);
    }
}
