package dev.granular.teacher.internal;

import java.util.Arrays;

/**
 * A map from row index to byte offset in primitive arrays (open addressing, linear probing):
 * about 32 bytes a row at worst, where a {@code HashMap<Long, Long>} costs about 80, so a
 * journal of millions of rows fits in a few tens of megabytes. Not thread-safe; keys are >= 0.
 */
public final class OffsetIndex {
    private static final long EMPTY = -1;

    private long[] keys;
    private long[] values;
    private int size;

    OffsetIndex() {
        keys = new long[16];
        values = new long[16];
        Arrays.fill(keys, EMPTY);
    }

    int size() {
        return size;
    }

    /** The offset stored for {@code key}, or -1. */
    long get(long key) {
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    /** Stores or replaces the offset of {@code key}. */
    void put(long key, long value) {
        if (key < 0) {
            throw new IllegalArgumentException("row index must be >= 0: " + key);
        }
        if ((size + 1) * 2L > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            if (keys[i] == EMPTY) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
        }
    }

    /** The keys present, in no particular order. */
    long[] keys() {
        long[] out = new long[size];
        int n = 0;
        for (long k : keys) {
            if (k != EMPTY) {
                out[n++] = k;
            }
        }
        return out;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    /** Spreads consecutive indices (the usual keys) over the table (a 64-bit finalizer mix). */
    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        return (int) h & mask;
    }
}
