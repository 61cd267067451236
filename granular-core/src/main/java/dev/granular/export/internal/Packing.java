package dev.granular.export.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;

/**
 * Best-fit decreasing bin packing of examples into rows of at most {@code capacity} tokens:
 * longest example first, each into the open row with the least room that still fits it, else a
 * new row. No example is split; each appears in exactly one row. Deterministic (ties by input
 * order). Public because a distributed export (granular-spark's PackPlan) must plan the same rows as
 * {@code export --pack}: the plan is this one function of the lengths, wherever it runs.
 */
public final class Packing {
    private Packing() {
    }

    /**
     * Rows as lists of example indices (into {@code lengths}), rows in the order they were opened.
     *
     * @throws IllegalArgumentException when an example is longer than {@code capacity} or not positive
     */
    public static List<int[]> bestFitDecreasing(int[] lengths, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1 || lengths[i] > capacity) {
                throw new IllegalArgumentException("example " + i + " has " + lengths[i] + " tokens; rows hold 1.." + capacity);
            }
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -lengths[i]).thenComparingInt(i -> i));
        List<List<Integer>> rows = new ArrayList<>();
        // room left -> rows with that room, oldest first
        TreeMap<Integer, Deque<Integer>> byRoom = new TreeMap<>();
        int[] room = new int[lengths.length];
        for (int i : order) {
            var fit = byRoom.ceilingEntry(lengths[i]);
            int row;
            if (fit == null) {
                row = rows.size();
                rows.add(new ArrayList<>());
                room[row] = capacity;
            } else {
                row = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) {
                    byRoom.remove(fit.getKey());
                }
            }
            rows.get(row).add(i);
            room[row] -= lengths[i];
            if (room[row] > 0) {
                byRoom.computeIfAbsent(room[row], k -> new ArrayDeque<>()).addLast(row);
            }
        }
        List<int[]> out = new ArrayList<>(rows.size());
        for (List<Integer> r : rows) {
            out.add(r.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
