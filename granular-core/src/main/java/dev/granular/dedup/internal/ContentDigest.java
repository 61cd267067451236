package dev.granular.dedup.internal;

import dev.granular.record.Message;
import dev.granular.record.TrainingRecord;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The key of exact dedup: 128 bits of SHA-256 of a record's normalised content ({@link #normalised}); a false match
 * needs about 2^64 rows.
 */
public record ContentDigest(long hi, long lo) implements Serializable {
    private static final Pattern SPACE = Pattern.compile("\\s+");

    public static ContentDigest of(TrainingRecord r) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(normalised(r).getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.wrap(h);
            return new ContentDigest(b.getLong(), b.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The normalised content of a record: its messages' roles and contents, each content NFC-normalised with every
     * run of white space collapsed to one space and trimmed; case is kept. Tools and meta do not count.
     */
    public static String normalised(TrainingRecord r) {
        StringBuilder sb = new StringBuilder();
        for (Message m : r.messages()) {
            sb.append(m.role().wireName()).append('\u0000')
                    .append(SPACE.matcher(Normalizer.normalize(m.content(), Normalizer.Form.NFC)).replaceAll(" ").strip())
                    .append('\u0001');
        }
        return sb.toString();
    }
}
