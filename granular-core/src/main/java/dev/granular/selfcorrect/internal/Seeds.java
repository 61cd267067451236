package dev.granular.selfcorrect.internal;

import java.nio.charset.StandardCharsets;

/**
 * Stable seeded hashing. Every random-looking choice in this package (which self-check phrase,
 * which candidates survive a cap or the balance) is a hash of the seed and a stable key, never
 * of thread timing or iteration order, so the same inputs give the same dataset on every run
 * and a resumed run picks exactly what the killed one picked.
 */
public final class Seeds {
    private Seeds() {
    }

    /** A well-mixed 64-bit value of {@code seed} and {@code key} (FNV-1a over UTF-8, then SplitMix64's finaliser). */
    static long hash(long seed, String key) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h += 0x9e3779b97f4a7c15L;
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
