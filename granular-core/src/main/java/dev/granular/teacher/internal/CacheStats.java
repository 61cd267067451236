package dev.granular.teacher.internal;

/**
 * What a {@link ResponseCache} did in this process.
 *
 * @param hits   lookups that found a reply (each one a request not paid for)
 * @param misses lookups that found nothing
 * @param puts   replies stored (a key already present, e.g. written by another process, is not counted)
 */
public record CacheStats(long hits, long misses, long puts) {
    public static final CacheStats ZERO = new CacheStats(0, 0, 0);
}
