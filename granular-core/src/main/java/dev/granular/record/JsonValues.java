package dev.granular.record;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks and freezes the free-form parts of a record ({@code tools}, {@code meta}) so that
 * {@link RecordJson#toJson} can always write them: only maps with string keys, lists, strings,
 * finite numbers, booleans and null are JSON. Failing at construction names the bad value's
 * path; failing at write time would name nothing useful.
 */
final class JsonValues {
    private JsonValues() {
    }

    /** An unmodifiable deep copy of {@code value}, keeping map insertion order. */
    static Object copy(Object value, String path) {
        if (value == null || value instanceof String || value instanceof Boolean) {
            return value;
        }
        if (value instanceof Number number) {
            return checkNumber(number, path);
        }
        if (value instanceof Map<?, ?> map) {
            return copyMap(map, path);
        }
        if (value instanceof List<?> list) {
            return copyList(list, path);
        }
        throw new IllegalArgumentException(path + ": " + value.getClass().getName()
                + " is not a JSON value (use Map, List, String, Number, Boolean or null)");
    }

    /** An unmodifiable deep copy of a JSON object. */
    static Map<String, Object> copyMap(Map<?, ?> map, String path) {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException(path + ": key " + e.getKey() + " is not a string");
            }
            copy.put(key, copy(e.getValue(), path + "." + key));
        }
        return Collections.unmodifiableMap(copy);
    }

    /** An unmodifiable deep copy of a JSON array. */
    static List<Object> copyList(List<?> list, String path) {
        List<Object> copy = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            copy.add(copy(list.get(i), path + "[" + i + "]"));
        }
        return Collections.unmodifiableList(copy);
    }

    private static Number checkNumber(Number number, String path) {
        boolean finite = switch (number) {
            case Double d -> Double.isFinite(d);
            case Float f -> Float.isFinite(f);
            case Integer i -> true;
            case Long l -> true;
            case Short s -> true;
            case Byte b -> true;
            case BigInteger b -> true;
            case BigDecimal b -> true;
            default -> throw new IllegalArgumentException(path + ": unsupported number type "
                    + number.getClass().getName());
        };
        if (!finite) {
            throw new IllegalArgumentException(path + ": " + number + " is not a JSON number");
        }
        return number;
    }
}
