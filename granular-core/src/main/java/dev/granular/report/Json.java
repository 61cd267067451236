package dev.granular.report;

import dev.granular.files.AtomicFiles;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * JSON for reports such as {@code summary.json}: pretty-printed, map entries in insertion order
 * (pass {@link java.util.LinkedHashMap}s to control the order), non-finite numbers (NaN, infinities)
 * written as {@code null} so every file is standard JSON, and a final newline.
 */
public final class Json {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .addModule(new SimpleModule("granular-report")
                    .addSerializer(Double.class, new FiniteOrNull())
                    .addSerializer(Double.TYPE, new FiniteOrNull())
                    .addSerializer(double[].class, new FiniteOrNullArray()))
            .build();

    private Json() {
    }

    /** The mapper behind this class, for reading reports back; do not reconfigure it. */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    /** {@code value} as pretty-printed JSON, ending in a newline. */
    public static String toPrettyString(Object value) {
        try {
            return MAPPER.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /**
     * {@code value} as one line of compact JSON (no newline), with the same rules as
     * {@link #toPrettyString}: a JSONL line such as a {@code failed.jsonl} entry.
     */
    public static String toCompactString(Object value) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /**
     * Writes {@code value} as pretty-printed UTF-8 JSON to {@code out}, creating parent directories,
     * through a temporary file in the same directory that is atomically renamed onto {@code out}.
     */
    public static void writeAtomically(Path out, Object value) throws IOException {
        byte[] bytes = toPrettyString(value).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out, stream -> stream.write(bytes));
    }

    /** The SHA-256 of {@code bytes} as 64 lower-case hex digits. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The SHA-256 of the UTF-8 encoding of {@code text} as 64 lower-case hex digits. */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes finite doubles as numbers and NaN or infinities as {@code null}. */
    private static final class FiniteOrNull extends StdSerializer<Double> {
        FiniteOrNull() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            writeDouble(value, gen);
        }
    }

    /** Writes a {@code double[]} with {@link FiniteOrNull}'s rule for each element. */
    private static final class FiniteOrNullArray extends StdSerializer<double[]> {
        FiniteOrNullArray() {
            super(double[].class);
        }

        @Override
        public void serialize(double[] values, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeStartArray(values, values.length);
            for (double v : values) {
                writeDouble(v, gen);
            }
            gen.writeEndArray();
        }
    }

    private static void writeDouble(double v, JsonGenerator gen) throws IOException {
        if (Double.isFinite(v)) {
            gen.writeNumber(v);
        } else {
            gen.writeNull();
        }
    }
}
