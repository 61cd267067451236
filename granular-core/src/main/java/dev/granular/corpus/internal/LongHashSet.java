package dev.granular.corpus.internal;

/**
 * A set of {@code long}s: open addressing with linear probing in one {@code long[]}. Written for
 * {@link Decontaminator}, which may hold tens of millions of n-gram hashes: a
 * {@code HashSet<Long>} costs about 50 bytes per entry (a boxed Long plus a map node), this
 * costs 8 to 16 (the table is kept at most 60% full). The keys are expected to be well-mixed
 * hashes already, so the slot is taken from their bits directly. Zero, the empty-slot marker,
 * is tracked separately.
 */
final class LongHashSet implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final int MAX_CAPACITY = 1 << 30;

    private long[] table = new long[16];
    private int size;
    private boolean hasZero;

    /** Adds {@code key}; true when it was not there yet. */
    boolean add(long key) {
        if (key == 0) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        int mask = table.length - 1;
        int slot = slot(key, mask);
        while (table[slot] != 0) {
            if (table[slot] == key) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        table[slot] = key;
        if (++size > table.length / 10 * 6) {
            grow();
        }
        return true;
    }

    boolean contains(long key) {
        if (key == 0) {
            return hasZero;
        }
        int mask = table.length - 1;
        int slot = slot(key, mask);
        long found;
        while ((found = table[slot]) != 0) {
            if (found == key) {
                return true;
            }
            slot = (slot + 1) & mask;
        }
        return false;
    }

    /** The number of keys. */
    long size() {
        return size + (hasZero ? 1 : 0);
    }

    private static int slot(long key, int mask) {
        return (int) (key ^ (key >>> 32)) & mask;
    }

    private void grow() {
        if (table.length >= MAX_CAPACITY) {
            throw new IllegalStateException("too many n-grams (over " + (MAX_CAPACITY / 10 * 6) + ")");
        }
        long[] old = table;
        table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long key : old) {
            if (key != 0) {
                int slot = slot(key, mask);
                while (table[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                table[slot] = key;
            }
        }
    }

    @Override
    public String toString() {
        return "LongHashSet[size=" + size() + ", capacity=" + table.length + "]";
    }
}
