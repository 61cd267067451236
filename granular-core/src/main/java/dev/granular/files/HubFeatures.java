package dev.granular.files;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The column types of JSONL rows, as Hugging Face {@code dataset_info.features} in a card's front matter.
 *
 * <p>Why: without declared features, {@code datasets} infers the schema from the first block of a file
 * (about 10 MB) and fails on a later row with a key the first block never had (a mix whose rare component
 * has its own {@code meta} keys, one message with {@code train_detail}). Declared features are the union
 * of every row's keys, so rows without a key load it as null.
 *
 * <p>One streaming pass over the files (Jackson's parser; strings are skipped, not built). Types merge
 * as {@code datasets} can cast them: int with float is float64, null with anything is that thing. A
 * clash it cannot express (a string in one row, a number in another; an empty object) gives no
 * features: the card then lets {@code datasets} infer, as before.
 */
final class HubFeatures {
    private static final JsonFactory JSON = new JsonFactory();

    private HubFeatures() {
    }

    /** A JSON value's type, merged over rows. Serializable: a distributed job's tasks type the rows they write. */
    sealed interface Type extends java.io.Serializable permits Leaf, ListOf, Struct, Clash {
    }

    enum Leaf implements Type { NULL, BOOL, INT, FLOAT, STRING }

    record ListOf(Type element) implements Type {
    }

    record Struct(Map<String, Type> fields) implements Type {
    }

    record Clash() implements Type {
    }

    static Type merge(Type a, Type b) {
        if (a == null || a == Leaf.NULL) {
            return b;
        }
        if (b == null || b == Leaf.NULL) {
            return a;
        }
        if (a instanceof Clash || b instanceof Clash) {
            return new Clash();
        }
        if (a instanceof Leaf x && b instanceof Leaf y) {
            if (x == y) {
                return x;
            }
            if ((x == Leaf.INT && y == Leaf.FLOAT) || (x == Leaf.FLOAT && y == Leaf.INT)) {
                return Leaf.FLOAT;
            }
            return new Clash();
        }
        if (a instanceof ListOf x && b instanceof ListOf y) {
            return new ListOf(merge(x.element(), y.element()));
        }
        if (a instanceof Struct x && b instanceof Struct y) {
            Map<String, Type> m = new LinkedHashMap<>(x.fields());
            y.fields().forEach((k, v) -> m.merge(k, v, HubFeatures::merge));
            return new Struct(m);
        }
        return new Clash();
    }

    /** The type of the value at the parser's current token, the value consumed. */
    private static Type read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Type> fields = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    fields.merge(name, read(p), HubFeatures::merge);
                }
                return new Struct(fields);
            }
            case START_ARRAY -> {
                Type e = null;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    e = merge(e, read(p));
                }
                return new ListOf(e == null ? Leaf.NULL : e);
            }
            case VALUE_STRING -> {
                return Leaf.STRING;
            }
            case VALUE_NUMBER_INT -> {
                return Leaf.INT;
            }
            case VALUE_NUMBER_FLOAT -> {
                return Leaf.FLOAT;
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return Leaf.BOOL;
            }
            default -> {
                return Leaf.NULL;
            }
        }
    }

    /** The type of one JSON line. */
    static Type ofLine(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            Type row = null;
            while (p.nextToken() != null) {
                row = merge(row, read(p));
            }
            return row;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a JSON line", e);
        }
    }

    /** The features of a merged row type (null: no rows), as {@link #of}. */
    static Optional<List<Object>> of(Type row) {
        if (!(row instanceof Struct s)) {
            return Optional.empty();
        }
        try {
            return Optional.of(fields(s));
        } catch (IllegalStateException clash) {
            return Optional.empty();
        }
    }

    /** The merged row type of {@code files} (JSONL, optionally gzipped); empty when they hold no rows. */
    static Optional<Struct> rowType(List<Path> files) {
        Type row = null;
        for (Path f : files) {
            try (InputStream raw = Files.newInputStream(f);
                 InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                 JsonParser p = JSON.createParser(in)) {
                while (p.nextToken() != null) {
                    row = merge(row, read(p));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f, e);
            }
        }
        return row instanceof Struct s ? Optional.of(s) : Optional.empty();
    }

    /**
     * The {@code dataset_info.features} list of the rows in {@code files}, as plain maps and lists for YAML;
     * empty when the rows' types clash, a value is an empty object, or there are no rows.
     */
    public static Optional<List<Object>> of(List<Path> files) {
        Optional<Struct> row = rowType(files);
        if (row.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(fields(row.get()));
        } catch (IllegalStateException clash) {
            return Optional.empty();
        }
    }

    private static List<Object> fields(Struct s) {
        if (s.fields().isEmpty()) {
            throw new IllegalStateException("empty object");
        }
        List<Object> out = new ArrayList<>();
        s.fields().forEach((name, t) -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", name);
            f.putAll(feature(t));
            out.add(f);
        });
        return out;
    }

    /** {@code dtype: X}, {@code list: ...} or {@code struct: [...]}: the datasets YAML of one type. */
    private static Map<String, Object> feature(Type t) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (t) {
            case Leaf l -> m.put("dtype", dtype(l));
            case ListOf l -> {
                Type e = l.element();
                if (e instanceof Leaf leaf) {
                    m.put("list", dtype(leaf));
                } else if (e instanceof Struct s) {
                    m.put("list", fields(s));
                } else {
                    // a list of lists: datasets' YAML nests it as a list whose element is a feature
                    Map<String, Object> inner = feature(e);
                    m.put("list", inner);
                }
            }
            case Struct s -> m.put("struct", fields(s));
            case Clash c -> throw new IllegalStateException("types clash");
        }
        return m;
    }

    private static String dtype(Leaf l) {
        return switch (l) {
            case NULL -> "null";
            case BOOL -> "bool";
            case INT -> "int64";
            case FLOAT -> "float64";
            case STRING -> "string";
        };
    }
}
