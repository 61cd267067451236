package dev.granular.teacher.internal;

import java.nio.file.Path;

/**
 * A second process for {@link SqliteResponseCacheTest}: writes {@code count} entries (forever when
 * negative) named {@code PREFIX-i} to the cache at {@code FILE}, printing {@code i} after each
 * committed put, so the test knows which writes were acknowledged before it kills this process.
 */
public final class CacheWriterChild {
    private CacheWriterChild() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        String prefix = args[1];
        long count = Long.parseLong(args[2]);
        String body = "x".repeat(Integer.parseInt(args[3]));
        try (SqliteResponseCache cache = SqliteResponseCache.open(file, 2)) {
            for (long i = 0; count < 0 || i < count; i++) {
                cache.put(prefix + "-" + i, "openai:child", "{\"n\":" + i + ",\"pad\":\"" + body + "\"}");
                System.out.println(i);
                System.out.flush();
            }
        }
    }
}
