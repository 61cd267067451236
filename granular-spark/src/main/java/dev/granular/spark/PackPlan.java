package dev.granular.spark;

import dev.granular.export.internal.Packing;
import dev.granular.export.TokenExport;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Where every example goes in the packed rows of {@code spark export --pack}: the plan the
 * single-machine export follows, computed on the driver from the examples' lengths alone and
 * broadcast to the executors, which then move each example (its token ids, the heavy part) once,
 * straight to the row it belongs to.
 *
 * <p>The single-machine export ({@code TokenExportJob}) packs each window of
 * {@link TokenExport#PACK_WINDOW} consecutive examples (in input order, records left out not
 * counted) with {@link Packing#bestFitDecreasing}, and writes the rows window by window, in the
 * order they were opened, each row's examples in the order they went in. This plan calls the same
 * planner on the same windows, so which examples share a row, and in what order, depends only on
 * the lengths in input order: never on the partitioning.
 *
 * <p>An example's place is a {@code long}: row index (global, over all windows) in the high 32
 * bits, position in the row in the low 32, so sorting by it gives the rows' order and each row's
 * examples in order. Driver and broadcast memory: 16 bytes per example (e.g. 96 MB for 6 M examples).
 *
 * @param lines  per input file, the input lines (1-based) of its examples, ascending
 * @param places per input file, parallel to {@code lines}: each example's place
 * @param rows   packed rows in all
 */
public record PackPlan(long[][] lines, long[][] places, long rows) implements Serializable {

    /**
     * The plan for examples given in input order.
     *
     * @param files    how many input files
     * @param file     each example's input file index, ascending with {@code line}
     * @param line     each example's input line
     * @param lengths  each example's length in tokens (1..capacity)
     * @param capacity the row size in tokens ({@code --pack})
     * @param window   examples packed together at most ({@link TokenExport#PACK_WINDOW} for the single-machine rows)
     */
    public static PackPlan of(int files, int[] file, long[] line, int[] lengths, int capacity, int window) {
        int n = lengths.length;
        if (file.length != n || line.length != n) {
            throw new IllegalArgumentException("file, line and lengths differ in length");
        }
        long[] place = new long[n];
        long row = 0;
        for (int start = 0; start < n; start += window) {
            int end = Math.min(n, start + window);
            for (int[] bin : Packing.bestFitDecreasing(Arrays.copyOfRange(lengths, start, end), capacity)) {
                for (int slot = 0; slot < bin.length; slot++) {
                    place[start + bin[slot]] = row << 32 | slot;
                }
                row++;
            }
        }
        int[] perFile = new int[files];
        for (int f : file) {
            perFile[f]++;
        }
        long[][] lines = new long[files][];
        long[][] places = new long[files][];
        for (int f = 0; f < files; f++) {
            lines[f] = new long[perFile[f]];
            places[f] = new long[perFile[f]];
        }
        int[] at = new int[files];
        for (int i = 0; i < n; i++) {
            int f = file[i];
            if (at[f] > 0 && lines[f][at[f] - 1] >= line[i]) {
                throw new IllegalArgumentException("examples not in input order at file " + f + " line " + line[i]);
            }
            lines[f][at[f]] = line[i];
            places[f][at[f]] = place[i];
            at[f]++;
        }
        return new PackPlan(lines, places, row);
    }

    /** The place of the example read from {@code line} of input file {@code file}. */
    public long place(int file, long line) {
        int i = Arrays.binarySearch(lines[file], line);
        if (i < 0) {
            throw new IllegalStateException("no example at file " + file + " line " + line + " in the packing plan");
        }
        return places[file][i];
    }

    /** The row of a place. */
    public static long row(long place) {
        return place >>> 32;
    }
}
